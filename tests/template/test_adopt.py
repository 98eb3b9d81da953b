"""`make adopt` both ways on a fresh clone, then the adopted project's own `make check`."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path

from tests.template.conftest import git, run, tracked_mentions


def adopt(repo: Path, *args: str) -> str:
    return run(repo, "make", "--no-print-directory", "adopt", *args).stdout


def test_adopt_minimal_service_passes_its_own_make_check(
    template_clone: Callable[[str], Path],
) -> None:
    repo = template_clone("acme-notes")
    before = git(repo, "rev-parse", "HEAD")
    out = adopt(repo, "NAME=acme-notes")
    assert "adopted as acme-notes" in out
    assert git(repo, "rev-parse", "HEAD~1") == before  # one commit on top of the template
    assert git(repo, "status", "--porcelain") == ""
    assert tracked_mentions(repo, "featherweight") == []
    assert (repo / "src" / "acme_notes" / "greeting.py").is_file()
    assert not (repo / "scripts" / "template" / "skeleton").exists()
    record = tomllib.loads((repo / ".template.toml").read_text())
    assert record["template"]["commit"] == before
    assert record["template"]["example"] == "dropped"
    assert "scripts/render_reqs.py" in record["files"]
    check = run(repo, "make", "--no-print-directory", "check", timeout=3600)
    assert "render-sim: all checks passed" in check.stdout
    assert "health check   ok" in check.stdout


def test_adopt_keep_example_passes_make_check_with_its_websocket_probe(
    template_clone: Callable[[str], Path],
) -> None:
    repo = template_clone("acme-speech")
    adopt(repo, "NAME=acme-speech", "KEEP_EXAMPLE=1")
    assert tracked_mentions(repo, "featherweight") == []
    assert (repo / "src" / "acme_speech" / "asr" / "pocketsphinx.py").is_file()
    assert 'name = "acme-speech"' in (repo / "pyproject.toml").read_text()
    assert "name: acme-speech" in (repo / "render.yaml").read_text()
    check = run(repo, "make", "--no-print-directory", "check", timeout=3600)
    assert "WS /ws/asr" in check.stdout
    assert "render-sim: all checks passed" in check.stdout


def test_adopt_refuses_a_second_run_a_dirty_tree_and_a_bad_name(
    template_clone: Callable[[str], Path],
) -> None:
    repo = template_clone("refusals")
    bad = run(repo, "make", "--no-print-directory", "adopt", "NAME=Acme_Notes", check=False)
    assert bad.returncode != 0
    assert "use NAME=acme-notes" in bad.stderr
    (repo / "notes.txt").write_text("work in progress\n")
    dirty = run(repo, "make", "--no-print-directory", "adopt", "NAME=acme-notes", check=False)
    assert "uncommitted changes (notes.txt" in dirty.stderr
    (repo / "notes.txt").unlink()
    adopt(repo, "NAME=acme-notes")
    again = run(repo, "make", "--no-print-directory", "adopt", "NAME=other", check=False)
    assert again.returncode != 0
    assert "was adopted already as 'acme-notes'" in again.stderr
