"""The third-party modules a project's production code imports, found by parsing its source."""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from scripts.packages import Package
from scripts.proc import ScriptError


@dataclass(frozen=True)
class Import:
    """A third-party top-level module imported by production code, at its first place."""

    module: str
    path: str
    line: int
    importer: str
    """The dotted name of the importing module (for the extra-modules fix)."""


def _type_checking_block(node: ast.AST) -> bool:
    test = node.test if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST) -> Iterator[ast.AST]:
    """ast.walk in source order, skipping `if TYPE_CHECKING:` bodies (not run in production)."""
    for child in ast.iter_child_nodes(node):
        if _type_checking_block(child):
            assert isinstance(child, ast.If)
            yield from (n for stmt in child.orelse for n in [stmt, *_walk(stmt)])
            continue
        yield child
        yield from _walk(child)


def imported_modules(source: str, filename: str = "<string>") -> list[tuple[str, int]]:
    """(top-level module, line) for every absolute import in `source`, function-level included."""
    found = []
    for node in _walk(ast.parse(source, filename=filename)):
        if isinstance(node, ast.Import):
            found += [(alias.name.split(".")[0], node.lineno) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.module.split(".")[0], node.lineno))
    return found


def module_name(path: Path, import_root: Path) -> str:
    """`src/pkg/sub/x.py` with import root `src` -> `pkg.sub.x`."""
    parts = list(path.relative_to(import_root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _sources(root: Path, package: Package) -> list[Path]:
    top = root / package.path
    return [top] if top.is_file() else sorted(top.rglob("*.py"))


def production_imports(
    root: Path,
    packages: tuple[Package, ...],
    first_party: frozenset[str],
    extra_modules: Mapping[str, str],
) -> list[Import]:
    """Third-party modules that the packages import, first place of each.

    Modules listed as extra-modules (and their submodules) are skipped: only an extra
    loads them.
    """
    first: dict[str, Import] = {}
    for package in packages:
        for path in _sources(root, package):
            name = module_name(path, root / package.import_root)
            if any(name == m or name.startswith(f"{m}.") for m in extra_modules):
                continue
            rel = path.relative_to(root).as_posix()
            try:
                imports = imported_modules(path.read_text(encoding="utf-8"), rel)
            except SyntaxError as exc:
                raise ScriptError(f"{rel}:{exc.lineno}: cannot parse: {exc.msg}") from None
            for module, line in imports:
                if module in sys.stdlib_module_names or module in first_party:
                    continue
                first.setdefault(module, Import(module, rel, line, name))
    return sorted(first.values(), key=lambda i: i.module)
