"""Fixtures for the pipeline's tests: throwaway projects, a clean environment, Render's schema.

Render's Blueprint schema is resolved once, here at import, exactly as the tool resolves it
($RENDER_SCHEMA, then the user's cache, then Render's URL), before `pipeline_environ` takes
RENDER_SCHEMA and the cache away from each test.
"""

from __future__ import annotations

import dataclasses
import json
import os
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scripts import render_schema
from tests.pipeline.gitrepo import commit_all, isolate_git, make_repo
from tests.pipeline.projects import Spec, write_tree


def _resolve_schema() -> tuple[dict[str, Any] | None, str]:
    try:
        return render_schema.load_schema(None, os.environ)
    except render_schema.SchemaUnavailableError as exc:
        return None, str(exc)


SCHEMA, SCHEMA_SOURCE = _resolve_schema()
"""Render's schema and where it came from; None and the tool's own reason when it found none."""

# Variables that steer the pipeline, pipeline.mk's settings and make's own (make exports
# `make test PYTEST_ARGS=...` to the makes a test starts); each test sets what it needs.
_PIPELINE_VARIABLES = (
    "RENDER_SCHEMA",
    "RENDER_DEPLOY_HOOK_URL",
    "RENDER_SERVICE_URL",
    "RENDER_PIPELINE_DEPLOY",
    "EXTRAS",
    "PYTEST_ARGS",
    "SIM_ARGS",
    "DEPLOY_ARGS",
    "TEST_WORKERS",
    "UV_VERSION",
    "MAKEFLAGS",
    "MFLAGS",
    "MAKELEVEL",
)


def closed_port() -> int:
    """A loopback port that nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture(autouse=True)
def pipeline_environ(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    """No caller's deploy targets or schema, an empty cache, and no way to reach Render."""
    for name in _PIPELINE_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name in ("no_proxy", "NO_PROXY"):  # the tests' HTTP servers are on loopback
        monkeypatch.setenv(
            name, ",".join(filter(None, [os.environ.get(name), "localhost,127.0.0.1"]))
        )
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("cache")))
    url = f"http://127.0.0.1:{closed_port()}/schema/render.yaml.json"
    monkeypatch.setattr(render_schema, "SCHEMA_URL", url)


@pytest.fixture
def schema_file(tmp_path: Path) -> Path:
    """Render's schema, saved where a test can pass it with --schema."""
    if SCHEMA is None:
        pytest.skip(f"no Render Blueprint schema here, as the tool says: {SCHEMA_SOURCE}")
    path = tmp_path / "render.yaml.schema.json"
    path.write_text(json.dumps(SCHEMA))
    return path


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """Write a small project under tmp_path and return its root.

    Keyword arguments are `Spec`'s fields: name, deps, extras, locked (versions and
    dependencies in the lock), groups, config ([tool.render-pipeline]), build (the build
    system's TOML), pyproject_extra, files (sources; default `src/<name>/__init__.py`), and
    lock, render_in, render_txt, render_yaml, python_version_file: text, or False to leave the
    file out; by default each is generated to agree with the others. `git=True` commits it.
    """
    made: list[Path] = []

    def make(*, git: bool = False, **fields: Any) -> Path:
        unknown = set(fields) - {f.name for f in dataclasses.fields(Spec)}
        assert not unknown, f"make_project has no {sorted(unknown)}"
        spec = Spec(**fields)
        root = tmp_path / (spec.name if not made else f"{spec.name}-{len(made)}")
        made.append(root)
        if git:
            make_repo(root)
        write_tree(root, spec.contents())
        if git:
            commit_all(root, "A small service")
        return root

    return make


@pytest.fixture
def isolated_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """git without the user's configuration, hooks' variables or proxies."""
    isolate_git(monkeypatch, tmp_path / "git-home")
