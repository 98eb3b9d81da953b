"""After adopting: adding a production dependency and a heavy extra as the docs say works, and
each mistake the docs warn about is caught by a check whose message names the fix."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.template.conftest import git, run


def check(repo: Path) -> tuple[int, str]:
    done = run(repo, "make", "--no-print-directory", "-s", "render-reqs-check", check=False)
    return done.returncode, done.stdout + done.stderr


@pytest.fixture
def adopted(template_clone: Callable[[str], Path]) -> Path:
    repo = template_clone("acme-notes")
    run(repo, "make", "--no-print-directory", "adopt", "NAME=acme-notes")
    return repo


def test_production_dependency_added_as_the_docs_say_passes(adopted: Path) -> None:
    repo = adopted
    # Mistake 1: `uv add` alone; the .in does not mirror it yet.
    run(repo, os.environ.get("UV", "uv"), "add", "--quiet", "orjson>=3.10")
    code, out = check(repo)
    assert code != 0  # make exits 2 when the check exits 1
    assert "requirements-render.in lacks orjson" in out
    # Mistake 2: the .in names it, but the render file was not recompiled.
    with (repo / "requirements-render.in").open("a") as f:
        f.write("# Fast JSON for the API's answers.\norjson>=3.10\n")
    code, out = check(repo)
    assert code != 0  # make exits 2 when the check exits 1
    assert "requirements-render.txt is stale" in out and "make render-reqs" in out
    assert len([line for line in out.splitlines() if "stale" in line]) == 1
    # The fix the docs give.
    run(repo, "make", "--no-print-directory", "render-reqs")
    code, out = check(repo)
    assert code == 0, out
    assert "orjson==" in (repo / "requirements-render.txt").read_text()


def test_undeclared_import_and_a_module_level_heavy_import_are_caught(adopted: Path) -> None:
    repo = adopted
    package = repo / "src" / "acme_notes"
    (package / "loader.py").write_text('"""Read YAML."""\n\nimport yaml\n')
    code, out = check(repo)
    assert code != 0  # make exits 2 when the check exits 1
    assert "src/acme_notes/loader.py:3: imports yaml from pyyaml" in out
    assert "add pyyaml to [project.dependencies]" in out
    (package / "loader.py").unlink()
    # numpy comes from the `ml` extra: importing it at module level in a production module.
    (package / "fast.py").write_text('"""Fast maths."""\n\nimport numpy\n')
    code, out = check(repo)
    assert code != 0  # make exits 2 when the check exits 1
    assert "only the 'ml' extra installs" in out
    assert '"acme_notes.fast" = "ml"' in out
    assert "uv add" not in out


def test_heavy_package_in_the_render_file_is_refused(adopted: Path) -> None:
    repo = adopted
    with (repo / "requirements-render.in").open("a") as f:
        f.write("# Wrong: numpy belongs to the ml extra.\nnumpy>=2.0\n")
    run(repo, "make", "--no-print-directory", "render-reqs")
    code, out = check(repo)
    assert code != 0  # make exits 2 when the check exits 1
    assert "heavy package numpy" in out and "move the requirement that pulls it" in out
    assert "requirements-render.in has numpy" in out
    assert git(repo, "status", "--porcelain", "uv.lock") == ""  # the check changed nothing


def test_upgrade_moves_the_lock_and_the_render_file_together(adopted: Path) -> None:
    repo = adopted
    uv = os.environ.get("UV", "uv")
    run(repo, uv, "lock", "--quiet", "--upgrade-package", "fastapi==0.150.0")
    run(repo, "make", "--no-print-directory", "render-reqs")
    git(repo, "commit", "--quiet", "-am", "An older fastapi")
    assert "fastapi==0.150.0" in (repo / "requirements-render.txt").read_text()

    out = run(repo, "make", "--no-print-directory", "-s", "upgrade", "PACKAGE=fastapi").stdout

    assert "### Production (requirements-render.txt)" in out
    assert "| fastapi | 0.150.0 |" in out
    assert "fastapi==0.150.0" not in (repo / "requirements-render.txt").read_text()
    assert sorted(git(repo, "status", "--porcelain").split()) == [
        "M", "M", "requirements-render.txt", "uv.lock"
    ]  # fmt: skip
    assert check(repo)[0] == 0


def test_upgrade_with_a_failing_gate_leaves_both_files_as_they_were(adopted: Path) -> None:
    repo = adopted
    uv = os.environ.get("UV", "uv")
    run(repo, uv, "lock", "--quiet", "--upgrade-package", "fastapi==0.150.0")
    run(repo, "make", "--no-print-directory", "render-reqs")
    (repo / "tests" / "test_broken.py").write_text("def test_broken() -> None:\n    assert False\n")
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", "An older fastapi and a failing test")
    before = {name: (repo / name).read_bytes() for name in ("uv.lock", "requirements-render.txt")}

    done = run(
        repo, "make", "--no-print-directory", "-s", "upgrade", "PACKAGE=fastapi", check=False
    )

    assert done.returncode != 0
    assert "are back as they were" in done.stderr
    assert {name: (repo / name).read_bytes() for name in before} == before


def test_git_hooks_refuse_a_commit_that_breaks_render_yaml(adopted: Path) -> None:
    repo = adopted
    run(repo, "make", "--no-print-directory", "hooks")
    blueprint = repo / "render.yaml"
    blueprint.write_text(blueprint.read_text().replace("runtime: python", "env: python"))

    done = run(repo, "git", "commit", "-am", "Use the old key", check=False)

    assert done.returncode != 0
    assert "'env' is not allowed" in done.stdout + done.stderr
    assert git(repo, "log", "-1", "--format=%s") != "Use the old key"
