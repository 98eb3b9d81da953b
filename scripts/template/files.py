"""The line between the template's files and the project's: files.toml, read as data.

An update reads the newer template's files.toml rather than this one's, so a template that
adds a pipeline file (or stops owning one) is followed without running its code.
"""

from __future__ import annotations

import fnmatch
import hashlib
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from scripts.proc import ScriptError, UsageError, run

FILES_TOML = "scripts/template/files.toml"


@dataclass(frozen=True)
class Ownership:
    """Glob patterns (`dir/**` for a whole tree) of pipeline and template-only files."""

    pipeline: tuple[str, ...]
    template_only: tuple[str, ...]

    def is_template_only(self, path: str) -> bool:
        return _matches(path, self.template_only)

    def is_pipeline(self, path: str) -> bool:
        return _matches(path, self.pipeline) and not self.is_template_only(path)


def _matches(path: str, patterns: Sequence[str]) -> bool:
    for pattern in patterns:
        if pattern.endswith("/**"):
            if path.startswith(pattern[:-2]):
                return True
        elif fnmatch.fnmatchcase(path, pattern):
            return True
    return False


def parse_ownership(text: str, origin: str) -> Ownership:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScriptError(f"{origin} is not valid TOML: {exc}") from None
    lists = {key: data.get(key, []) for key in ("pipeline", "template-only")}
    for key, value in lists.items():
        if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
            raise ScriptError(f"{origin}: {key} must be a list of glob patterns")
    return Ownership(tuple(lists["pipeline"]), tuple(lists["template-only"]))


def read_ownership(root: Path) -> Ownership:
    """The ownership that the template checked out at `root` declares."""
    path = root / FILES_TOML
    try:
        return parse_ownership(path.read_text(encoding="utf-8"), str(path))
    except FileNotFoundError:
        raise UsageError(
            f"{path} not found: {root} is not a copy of the template (or predates it)"
        ) from None


def tracked_files(root: Path) -> list[str]:
    """Files git tracks at `root`, as posix paths relative to it."""
    out = run(["git", "ls-files", "-z"], cwd=root).stdout
    return sorted(name for name in out.split("\0") if name)


def digest(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def file_digest(path: Path) -> str | None:
    """The digest of a file's bytes, or None when it does not exist."""
    try:
        return digest(path.read_bytes())
    except FileNotFoundError:
        return None


def pipeline_files(root: Path, ownership: Ownership, names: Iterable[str]) -> dict[str, str]:
    """Digests of the pipeline files among `names` (paths relative to `root`)."""
    found = {}
    for name in names:
        if ownership.is_pipeline(name):
            found_digest = file_digest(root / name)
            if found_digest is not None:
                found[name] = found_digest
    return found


def changed_since(root: Path, recorded: Mapping[str, str]) -> list[str]:
    """Recorded pipeline files whose bytes at `root` no longer match the record."""
    return sorted(name for name, value in recorded.items() if file_digest(root / name) != value)
