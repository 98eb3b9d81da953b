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
