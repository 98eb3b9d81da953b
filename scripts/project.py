"""A project as the pipeline sees it, read once from its own files and handed to every check.

pyproject.toml (name, requirements, packages, the pipeline's settings), uv.lock, render.yaml,
the Render requirement files and .python-version. Nothing here names a particular project.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from packaging.utils import NormalizedName, canonicalize_name

from scripts import lockfile
from scripts.blueprint import WebService, find_web_service, read_blueprint, web_service_from
from scripts.config import Config, read_config
from scripts.lockfile import LOCK_NAME, Lock
from scripts.packages import PYPROJECT, Package, source_packages
from scripts.proc import ScriptError, UsageError
from scripts.requirements import RENDER_IN, RENDER_TXT

ROOT = Path(__file__).resolve().parent.parent
"""The repository these scripts live in: the default project of every command."""
RENDER_YAML = "render.yaml"
PYTHON_VERSION_FILE = ".python-version"


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None


@dataclass(frozen=True)
class Project:
    """Everything the checks need to know about one project; build it with `load_project`."""

    root: Path
    pyproject: Mapping[str, Any]
    config: Config
    packages: tuple[Package, ...]
    lock: Lock | None
    blueprint_doc: Any
    render_in: str | None
    render_txt: str | None
    python_version_file: str | None

    @property
    def name(self) -> NormalizedName:
        return canonicalize_name(str(self.pyproject["project"]["name"]))

    @property
    def dependencies(self) -> list[str]:
        return [str(d) for d in self.pyproject["project"].get("dependencies", [])]

    @property
    def extras(self) -> dict[str, list[str]]:
        table = self.pyproject["project"].get("optional-dependencies", {})
        return {str(k): [str(d) for d in v] for k, v in table.items()}

    @property
    def first_party(self) -> frozenset[str]:
        """Top-level import names that belong to the project itself."""
        return frozenset(p.name for p in self.packages)

    @cached_property
    def web_service(self) -> WebService | None:
        """render.yaml's first Python web service, or None without one."""
        found = find_web_service(self.blueprint_doc)
        return web_service_from(*found) if found else None

    def require_lock(self) -> Lock:
        if self.lock is None:
            raise ScriptError(f"{self.root / LOCK_NAME} not found: run `uv lock`")
        return self.lock

    def stale_lock(self) -> str | None:
        """Why uv.lock no longer matches pyproject.toml's requirements, or None."""
        declared = lockfile.declared_by_pyproject(self.dependencies, self.extras)
        return lockfile.stale_reason(self.require_lock(), self.name, declared)

    def heavy(self) -> frozenset[NormalizedName]:
        """Names that must never reach Render: reached only through an extra, or denied."""
        computed = lockfile.extra_only(self.require_lock(), self.name)
        return frozenset(computed) | self.config.heavy_packages

    def render_python(self) -> tuple[str, str]:
        """(version, where it came from): render.yaml's PYTHON_VERSION, else .python-version,
        which is what Render itself falls back to."""
        service = self.web_service
        if service is not None and service.python_version:
            return service.python_version, RENDER_YAML
        if self.python_version_file:
            return self.python_version_file, PYTHON_VERSION_FILE
        raise ScriptError(
            f"no Python version for Render: set PYTHON_VERSION in {RENDER_YAML} "
            f"or write {PYTHON_VERSION_FILE}"
        )


def read_pyproject(root: Path) -> dict[str, Any]:
    """Parse root/pyproject.toml; UsageError with the fix when it is missing or broken."""
    text = _read(root / PYPROJECT)
    if text is None:
        raise UsageError(f"{root / PYPROJECT} not found: is {root} a Python project?")
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{root / PYPROJECT} is not valid TOML: {exc}") from None
    if not isinstance(data.get("project"), dict) or not data["project"].get("name"):
        raise UsageError(f"{root / PYPROJECT} has no [project] name: add one")
    return data


def load_project(root: Path = ROOT) -> Project:
    """Read the project at `root` once.

    Raises:
        UsageError: pyproject.toml is missing or invalid, or its settings or build
            configuration are wrong (exit 2: nothing was checked).
        ScriptError: uv.lock or render.yaml cannot be parsed.
    """
    root = root.resolve()
    pyproject = read_pyproject(root)
    lock_text = _read(root / LOCK_NAME)
    blueprint = root / RENDER_YAML
    version_file = _read(root / PYTHON_VERSION_FILE)
    return Project(
        root=root,
        pyproject=pyproject,
        config=read_config(pyproject),
        packages=source_packages(pyproject, root),
        lock=lockfile.parse_lock(lock_text) if lock_text is not None else None,
        blueprint_doc=read_blueprint(blueprint) if blueprint.is_file() else None,
        render_in=_read(root / RENDER_IN),
        render_txt=_read(root / RENDER_TXT),
        python_version_file=(version_file or "").strip() or None,
    )
