"""Python versions as Render reads them, and the local interpreters that match one."""

from __future__ import annotations

import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from packaging.version import InvalidVersion, Version

from scripts.proc import ScriptError, run

# What Render gives a new service that names no version (it silently breaks pins).
RENDER_DEFAULT_PYTHON = "3.14"
# The base interpreter, not a virtualenv's: a new venv must not inherit another venv's setup.
_PROBE = (
    "import sys; print('.'.join(map(str, sys.version_info[:3])),"
    " getattr(sys, '_base_executable', None) or sys.executable)"
)


def parse_version(text: str) -> Version:
    """`x.y` or `x.y.z` as a Version; ScriptError for anything else (pre-releases included)."""
    try:
        version = Version(text.strip())
    except InvalidVersion:
        version = None
    if (
        version is None
        or len(version.release) not in (2, 3)
        or version.base_version != text.strip()
    ):
        raise ScriptError(f"Python version {text!r} is not x.y or x.y.z")
    return version


def minor_of(text: str) -> str:
    """`3.11.14` or `3.11` -> `3.11`."""
    version = parse_version(text)
    return f"{version.major}.{version.minor}"


def is_full(text: str) -> bool:
    """Whether `text` is a full `x.y.z`, the only form Render's PYTHON_VERSION accepts."""
    try:
        return len(parse_version(text).release) == 3
    except ScriptError:
        return False


@dataclass(frozen=True)
class Interpreter:
    path: str
    version: tuple[int, int, int]

    @property
    def version_text(self) -> str:
        return ".".join(map(str, self.version))


def wanted_version(python_version: str | None, version_file: str | None) -> tuple[str, list[str]]:
    """The version Render would use and notes on how it was chosen.

    PYTHON_VERSION wins and must be a full x.y.z; `.python-version` may say x.y.
    Raises ScriptError for a version Render refuses.
    """
    if python_version is not None:
        if not is_full(python_version):
            raise ScriptError(
                f"PYTHON_VERSION {python_version!r} in render.yaml is not a full x.y.z "
                'version, which Render requires: write e.g. "3.11.14"'
            )
        return python_version.strip(), []
    if version_file is not None:
        try:
            parse_version(version_file)
        except ScriptError:
            raise ScriptError(
                f".python-version says {version_file!r}: write x.y or x.y.z"
            ) from None
        return version_file, [
            f"PYTHON_VERSION not set in render.yaml: using .python-version ({version_file})"
        ]
    return RENDER_DEFAULT_PYTHON, [
        f"render.yaml sets no PYTHON_VERSION and there is no .python-version: Render would "
        f"use its current default ({RENDER_DEFAULT_PYTHON}.x); pin it in render.yaml"
    ]


def select_interpreter(wanted: str, found: list[Interpreter]) -> tuple[Interpreter, list[str]]:
    """Pick the interpreter for `wanted` (x.y or x.y.z) from `found`; warn when the patch differs.

    Same major.minor is required: the exact patch if present, else the newest patch.
    """
    version = parse_version(wanted)
    same = [i for i in found if i.version[:2] == (version.major, version.minor)]
    if not same:
        minor = f"{version.major}.{version.minor}"
        raise ScriptError(
            f"render.yaml needs Python {wanted} but no python{minor} was found here: "
            f"install it with `uv python install {minor}` or `pyenv install {minor}`, "
            f"or pass --python PATH"
        )
    full = len(version.release) == 3
    exact = [i for i in same if full and i.version[2] == version.micro]
    chosen = exact[0] if exact else max(same, key=lambda i: i.version)
    notes = []
    if full and not exact:
        notes.append(
            f"render.yaml names {wanted}; using {chosen.version_text}: "
            "pins depend on the minor version only"
        )
    return chosen, notes


def candidate_paths(
    minor: str, path_env: str | None = None, pyenv_root: Path | None = None
) -> list[str]:
    """Executables that may be Python `minor` (x.y): `pythonX.Y` on PATH, then pyenv's versions."""
    paths = []
    for entry in (path_env if path_env is not None else os.environ.get("PATH", "")).split(
        os.pathsep
    ):
        exe = Path(entry or ".") / f"python{minor}"
        if exe.is_file() and os.access(exe, os.X_OK):
            paths.append(str(exe))
    root = pyenv_root or Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv"))
    for version_dir in sorted((root / "versions").glob(f"{minor}.*")):
        exe = version_dir / "bin" / f"python{minor}"
        if exe.is_file():
            paths.append(str(exe))
    return paths


def probe(path: str) -> Interpreter | None:
    """Ask an executable its version; None when it is not a working interpreter (pyenv shims)."""
    try:
        result = run([path, "-c", _PROBE], check=False, timeout=30)
    except ScriptError:
        return None
    parts = result.stdout.split(maxsplit=1) if result.returncode == 0 else []
    if len(parts) != 2:
        return None
    major, minor, patch = (int(n) for n in parts[0].split("."))
    return Interpreter(path=parts[1].strip(), version=(major, minor, patch))


def find_uv() -> str | None:
    """uv as `uv run` names it ($UV), else uv on PATH."""
    named = os.environ.get("UV")
    return named if named and Path(named).is_file() else shutil.which("uv")


def find_interpreters(minor: str) -> list[Interpreter]:
    """Working interpreters of Python `minor` on this machine (PATH, pyenv, uv), deduplicated."""
    paths = candidate_paths(minor)
    uv = find_uv()
    if uv:
        result = run([uv, "python", "find", "--no-project", minor], check=False, timeout=60)
        if result.returncode == 0 and result.stdout.strip():
            paths.append(result.stdout.strip())
    found: dict[str, Interpreter] = {}
    for path in paths:
        interpreter = probe(path)
        if interpreter is not None:
            found.setdefault(os.path.realpath(interpreter.path), interpreter)
    return list(found.values())


def choose_python(wanted: str, override: str | None) -> tuple[Interpreter, list[str]]:
    """The interpreter to build with: `override` (with a warning) or the best local match."""
    if override is not None:
        interpreter = probe(override)
        if interpreter is None:
            raise ScriptError(f"--python {override!r} is not a working Python interpreter")
        return interpreter, [
            f"--python {override}: using Python {interpreter.version_text} "
            f"instead of the {wanted} that render.yaml names"
        ]
    return select_interpreter(wanted, find_interpreters(minor_of(wanted)))
