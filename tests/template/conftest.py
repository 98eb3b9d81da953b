"""Whole-project tests of the template itself: adopt a clone, run its gates, update it.

They take minutes and reach PyPI (uv lock, pip-compile, render-sim's build), so they are marked
`adoption` and run by `make test-adoption`, not by `make test-backend`. `make adopt` removes
this folder: it exists only in the template.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from scripts.render_schema import SchemaUnavailableError, load_schema

ROOT = Path(__file__).resolve().parents[2]
# Resolved once, as `make render-yaml-check` resolves it, before tests clean the environment.
try:
    _, SCHEMA_SOURCE = load_schema(None, os.environ)
except SchemaUnavailableError as exc:
    SCHEMA_SOURCE = None
    SCHEMA_MISSING = str(exc)
SCHEMA_ENV = {k: os.environ[k] for k in ("RENDER_SCHEMA", "XDG_CACHE_HOME") if k in os.environ}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).is_relative_to(Path(__file__).parent):
            item.add_marker(pytest.mark.adoption)
            item.add_marker(pytest.mark.network)
            item.add_marker(pytest.mark.slow)
            if SCHEMA_SOURCE is None:
                item.add_marker(pytest.mark.skip(reason=f"make check needs it: {SCHEMA_MISSING}"))


def run(
    cwd: Path,
    *args: str,
    check: bool = True,
    timeout: float = 1800,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a command in `cwd` as a user would; fail the test with its output when it fails."""
    full_env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"} | SCHEMA_ENV
    done = subprocess.run(
        list(args), cwd=cwd, env=full_env, capture_output=True, text=True,
        timeout=timeout, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    if check:
        assert done.returncode == 0, (
            f"{' '.join(args)} exited {done.returncode}\n--- stdout\n{done.stdout[-6000:]}"
            f"\n--- stderr\n{done.stderr[-6000:]}"
        )
    return done


def git(cwd: Path, *args: str) -> str:
    return run(cwd, "git", *args).stdout.strip()


@pytest.fixture
def template_clone(tmp_path: Path) -> Callable[[str], Path]:
    """A fresh clone of the template's committed tree, with a git identity, under tmp_path.

    Its stand-in Space cache links to the template's, so that venv is built once.
    """

    def clone(name: str) -> Path:
        path = tmp_path / name
        run(tmp_path, "git", "clone", "--quiet", str(ROOT), str(path))
        git(path, "config", "user.name", "Adoption Test")
        git(path, "config", "user.email", "adoption@example.invalid")
        git(path, "config", "commit.gpgsign", "false")
        (ROOT / ".cache" / "standin-space").mkdir(parents=True, exist_ok=True)
        (path / ".cache").mkdir()
        (path / ".cache" / "standin-space").symlink_to(ROOT / ".cache" / "standin-space")
        return path

    return clone


def tracked_mentions(repo: Path, word: str) -> list[str]:
    """Tracked files (other than the record) whose path or text mentions `word`."""
    files = git(repo, "ls-files").splitlines()
    found = []
    for name in files:
        if name == ".template.toml":
            continue
        data = (repo / name).read_bytes()
        if word in name.lower() or word.encode() in data.lower():
            found.append(name)
    return found
