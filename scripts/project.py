"""Paths and facts about the project that several scripts share."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RENDER_IN = "requirements-render.in"
RENDER_TXT = "requirements-render.txt"
RENDER_YAML = "render.yaml"
PYPROJECT = "pyproject.toml"
UV_LOCK = "uv.lock"


def read_pyproject(root: Path = ROOT) -> dict:
    """Parse pyproject.toml under `root`."""
    with (root / PYPROJECT).open("rb") as f:
        return tomllib.load(f)


def python_version_file(root: Path = ROOT) -> str | None:
    """The version named in `.python-version`, or None if the file is absent."""
    path = root / ".python-version"
    return path.read_text().strip() or None if path.exists() else None
