"""Find a project's import packages and their source trees from pyproject's build configuration.

The pipeline never names a project's packages: it reads them from what builds the wheel
(hatchling, setuptools, uv_build or flit), so a renamed package is found under its new name.
A configured tree that does not exist is an error, never a silent skip.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from scripts.proc import UsageError

PYPROJECT = "pyproject.toml"
# What setuptools' automatic discovery leaves out of a flat layout
# (setuptools.discovery.FlatLayoutPackageFinder.DEFAULT_EXCLUDE): tooling, not the product.
FLAT_EXCLUDE = (
    "ci", "bin", "debian", "doc", "docs", "documentation", "manpages", "news", "newsfragments",
    "changelog", "test", "tests", "unit_test", "unit_tests", "example", "examples", "scripts",
    "tools", "util", "utils", "python", "build", "dist", "venv", "env", "requirements", "tasks",
    "fabfile", "site_scons", "benchmark", "benchmarks", "exercise", "exercises", "htmlcov",
    "[._]*",
)  # fmt: skip


@dataclass(frozen=True)
class Package:
    """A top-level import package (or module) and where its source lives."""

    name: str
    path: PurePosixPath
    """Its directory (or .py file), relative to the project root."""
    root: PurePosixPath | None = None
    """Where it is imported from, when that is not the parent of `path` (namespace packages)."""

    @property
    def import_root(self) -> PurePosixPath:
        """The directory it is imported from (`src` for `src/pkg`)."""
        return self.root if self.root is not None else self.path.parent


def _table(data: Mapping[str, Any], *keys: str) -> Mapping[str, Any]:
    for key in keys:
        value = data.get(key)
        if not isinstance(value, Mapping):
            return {}
        data = value
    return data


def _import_name(project_name: str) -> str:
    return project_name.replace("-", "_").replace(".", "_").lower()


def _from_paths(paths: Sequence[str], where: str) -> list[Package]:
    packages = []
    for raw in paths:
        path = PurePosixPath(str(raw).strip("/"))
        name = path.stem if path.suffix == ".py" else path.name
        packages.append(Package(name, path))
    if not packages:
        raise UsageError(f"{PYPROJECT}: {where} is empty: list the package directories")
    return packages


def _hatch(pyproject: Mapping[str, Any], root: Path, name: str) -> list[Package]:
    wheel = _table(pyproject, "tool", "hatch", "build", "targets", "wheel")
    where = "[tool.hatch.build.targets.wheel] packages"
    if "packages" in wheel:
        return _from_paths(list(wheel["packages"]), where)
    for candidate in (f"src/{name}", name, f"src/{name}.py", f"{name}.py"):
        if (root / candidate).exists():
            return _from_paths([candidate], where)
    raise UsageError(
        f"{PYPROJECT}: hatchling finds no package {name!r} (src/{name} or {name}): "
        f"set {where} to your package directories"
    )


def _matches(name: str, patterns: Sequence[str]) -> bool:
    return any(fnmatch.fnmatchcase(name, str(p)) for p in patterns)


def _setuptools(pyproject: Mapping[str, Any], root: Path, name: str) -> list[Package]:
    tool = _table(pyproject, "tool", "setuptools")
    dirs = tool.get("package-dir") if isinstance(tool.get("package-dir"), Mapping) else {}
    base = str(dirs.get("", ".")) if isinstance(dirs, Mapping) else "."
    if isinstance(tool.get("packages"), list):
        top = sorted({str(p).split(".")[0] for p in tool["packages"]})
        return _from_paths(
            [str(PurePosixPath(base) / t) for t in top], "[tool.setuptools] packages"
        )
    find = _table(tool, "packages", "find")
    if find:
        where = [str(w) for w in find.get("where", [base])]
        include, exclude = list(find.get("include", ["*"])), list(find.get("exclude", []))
    elif base == "." and (root / "src").is_dir():
        where, include, exclude = ["src"], ["*"], []  # setuptools' automatic src-layout
    else:
        where, include, exclude = [base], ["*"], list(FLAT_EXCLUDE if base == "." else ())
    found = []
    for directory in where:
        for child in sorted((root / directory).glob("*/__init__.py")):
            package = child.parent.name
            if _matches(package, include) and not _matches(package, exclude):
                found.append(str(PurePosixPath(directory) / package))
    if not found:
        raise UsageError(
            f"{PYPROJECT}: setuptools finds no package under {where}: "
            "set [tool.setuptools] packages or [tool.setuptools.packages.find] where"
        )
    return _from_paths(found, "[tool.setuptools.packages.find]")


def _uv_build(pyproject: Mapping[str, Any], root: Path, name: str) -> list[Package]:
    backend = _table(pyproject, "tool", "uv", "build-backend")
    module_root = str(backend.get("module-root", "src"))
    names = backend.get("module-name", name)
    names = names if isinstance(names, list) else [names]
    if not names:
        raise UsageError(
            f"{PYPROJECT}: [tool.uv.build-backend] module-name is empty: name a module"
        )
    # A dotted name is a module inside a namespace package, imported from the module root.
    return [
        Package(
            str(n).split(".")[0],
            PurePosixPath(module_root) / str(n).replace(".", "/"),
            PurePosixPath(module_root),
        )
        for n in names
    ]


def _flit(pyproject: Mapping[str, Any], root: Path, name: str) -> list[Package]:
    module = str(_table(pyproject, "tool", "flit", "module").get("name", name))
    for candidate in (f"src/{module}", module, f"{module}.py", f"src/{module}.py"):
        if (root / candidate).exists():
            return _from_paths([candidate], "[tool.flit.module] name")
    raise UsageError(f"{PYPROJECT}: flit finds no module {module!r}: set [tool.flit.module] name")


_BACKENDS = {
    "hatchling.build": _hatch,
    "setuptools.build_meta": _setuptools,
    "uv_build": _uv_build,
    "flit_core.buildapi": _flit,
}


def source_packages(pyproject: Mapping[str, Any], root: Path) -> tuple[Package, ...]:
    """The project's import packages, from its build backend's configuration.

    Raises:
        UsageError: the backend is not one the pipeline reads, or a configured package
            directory does not exist.
    """
    backend = str(_table(pyproject, "build-system").get("build-backend", "setuptools.build_meta"))
    reader = _BACKENDS.get(backend)
    if reader is None:
        known = ", ".join(sorted(_BACKENDS))
        raise UsageError(
            f"{PYPROJECT}: build-backend {backend!r} is not one the pipeline reads ({known}): "
            "use one of them, so the checks can find your packages"
        )
    name = _import_name(str(_table(pyproject, "project").get("name", "")))
    packages = reader(pyproject, root, name)
    for package in packages:
        if not (root / package.path).exists():
            raise UsageError(
                f"{PYPROJECT}: the build configuration names {package.path}, which does not "
                "exist: fix the path, or create the package"
            )
    return tuple(packages)
