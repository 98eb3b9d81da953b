"""Rename a project: its package folder, and every mention of its name in the files it owns.

The lower-case name has two forms that can be spelled alike (`foo` for both the distribution
and the package): a mention followed by one of the package's modules (`foo.audio`), next to a
path separator (`src/foo`), or in an import is the package; any other is the distribution.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

from scripts.proc import run
from scripts.template.names import Names

_EDGE = r"(?<![A-Za-z0-9_]){}(?![A-Za-z0-9_])"


def package_modules(root: Path, package_dir: Path) -> set[str]:
    """Dotted names of every module and subpackage under `package_dir` (without the package)."""
    modules = set()
    for path in package_dir.rglob("*.py"):
        parts = list(path.relative_to(package_dir).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        for end in range(1, len(parts) + 1):
            modules.add(".".join(parts[:end]))
    return modules


def _is_package_mention(text: str, start: int, end: int, modules: set[str], python: bool) -> bool:
    if python:
        return True
    before, after = text[max(0, start - 12) : start], text[end : end + 80]
    if (before.endswith("/") and not before.endswith("//")) or after.startswith("/"):
        return True  # a path such as src/name; a URL's //name. is a host
    if re.search(r"(?:from|import) $", before):
        return True
    dotted = re.match(r"\.([A-Za-z_][A-Za-z0-9_.]*)", after)
    return bool(dotted and dotted.group(1).rstrip(".") in modules)


def rename_text(text: str, old: Names, new: Names, modules: set[str], python: bool) -> str:
    """`text` with every form of the old name replaced by the same form of the new one."""
    # A class name first (`OldNameError`), then the name in prose (`Old Name`).
    text = re.sub(rf"(?<![A-Za-z0-9_]){re.escape(old.camel)}(?=[A-Z])", new.camel, text)
    text = re.sub(_EDGE.format(re.escape(old.title)), new.title, text)
    # A constant may start a longer one (`OLD_NAME_TIMEOUT`).
    text = re.sub(rf"(?<![A-Za-z0-9_]){re.escape(old.constant)}(?![A-Za-z0-9])", new.constant, text)
    if old.dist != old.package:
        text = re.sub(_EDGE.format(re.escape(old.package)), new.package, text)
        return re.sub(_EDGE.format(re.escape(old.dist)), new.dist, text)

    def replace(match: re.Match[str]) -> str:
        mention = _is_package_mention(text, match.start(), match.end(), modules, python)
        return new.package if mention else new.dist

    return re.sub(_EDGE.format(re.escape(old.dist)), replace, text)


def read_text(path: Path) -> str | None:
    """A file's text, or None for a binary file (NUL bytes, or not UTF-8)."""
    data = path.read_bytes()
    if b"\0" in data:
        return None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def rename_files(root: Path, names: Iterable[str], old: Names, new: Names) -> list[str]:
    """Rewrite the mentions in `names` (paths relative to `root`), then move every file whose
    path has a folder named like the old package. Returns the paths that changed, as now named."""
    package_dirs = [root / "src" / old.package, root / old.package]
    modules: set[str] = set()
    for package_dir in package_dirs:
        if package_dir.is_dir():
            modules |= package_modules(root, package_dir)
    changed = []
    for name in names:
        path = root / name
        text = read_text(path) if path.is_file() and not path.is_symlink() else None
        if text is None:
            continue
        renamed = rename_text(text, old, new, modules, python=path.suffix == ".py")
        if renamed != text:
            path.write_text(renamed, encoding="utf-8")
            changed.append(name)
    moved = []
    for name in names:
        parts = PurePosixPath(name).parts
        if old.package in parts[:-1]:
            target = PurePosixPath(*(new.package if p == old.package else p for p in parts))
            (root / target).parent.mkdir(parents=True, exist_ok=True)
            run(["git", "mv", "-k", name, str(target)], cwd=root)
            moved.append(str(target))
            _remove_emptied(root, (root / name).parent)
    return sorted(set(changed) | set(moved))


def _remove_emptied(root: Path, folder: Path) -> None:
    """Remove `folder` and its parents up to `root` while they hold nothing but caches."""
    while folder != root and folder.is_dir():
        shutil.rmtree(folder / "__pycache__", ignore_errors=True)
        if any(folder.iterdir()):
            return
        folder.rmdir()
        folder = folder.parent


def mentions(root: Path, names: Iterable[str], word: str) -> list[str]:
    """The files among `names` whose text (or path) mentions `word`, in any letter case."""
    pattern = re.compile(re.escape(word), re.IGNORECASE)
    found = []
    for name in names:
        path = root / name
        text = read_text(path) if path.is_file() else None
        if pattern.search(name) or (text is not None and pattern.search(text)):
            found.append(name)
    return found
