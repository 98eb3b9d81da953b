"""Check, offline, that requirements-render.txt is current, locked, hashed, lean and complete.

One line per problem, each ending with the command that fixes it. Problems: the inputs changed
since the last compile; a pin disagrees with uv.lock; a requirement is not pinned with hashes;
a heavy package is present; production code imports a distribution the file lacks;
requirements-render.in and pyproject's [project.dependencies] name different packages.
"""

from __future__ import annotations

import argparse
import ast
import re
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from importlib.metadata import packages_distributions
from pathlib import Path

from scripts import lockfile
from scripts.lockfile import normalize
from scripts.proc import ScriptError
from scripts.project import PYPROJECT, RENDER_IN, RENDER_TXT, ROOT, UV_LOCK, read_pyproject
from scripts.render_reqs import (
    COMMAND,
    fingerprint,
    minor_of,
    recorded_fingerprint,
    recorded_python,
    render_python_version,
)

FIX = f"run `{COMMAND}`"
# Where production code lives, relative to the root, and the package root each is imported from.
PRODUCTION_TREES: tuple[tuple[str, str], ...] = (("backend", "."), ("src/featherweight", "src"))
FIRST_PARTY = frozenset({"featherweight", "backend"})
NAME_RE = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


@dataclass(frozen=True)
class Pin:
    """One requirement of a compiled file: `name==version` plus its hashes and `# via` notes."""

    name: str
    spec: str
    line: int
    version: str | None = None
    hashes: int = 0
    via: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Import:
    """A third-party top-level module imported by production code, at its first place."""

    module: str
    path: str
    line: int


def parse_pins(text: str) -> list[Pin]:
    """Parse a pip-compile output file (continuation lines, hashes, split-style annotations)."""
    pins: list[dict] = []
    in_via = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip().removesuffix("\\").strip()
        if not raw.strip():
            in_via = False
        elif raw[0] not in " \t#" and not raw.startswith("-"):
            spec = line.split(";")[0].strip()
            match = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(\[[^\]]*\])?\s*==\s*(\S+)$", spec)
            name = NAME_RE.match(spec)
            pins.append(
                {
                    "name": normalize(name.group(1)) if name else spec,
                    "spec": spec,
                    "line": number,
                    "version": match.group(3) if match else None,
                    "hashes": 0,
                    "via": [],
                }
            )
            in_via = False
        elif pins and line.startswith("--hash="):
            pins[-1]["hashes"] += 1
        elif pins and raw.startswith((" ", "\t")) and line.startswith("# via"):
            rest = line.removeprefix("# via").strip()
            pins[-1]["via"] += [rest] if rest else []
            in_via = not rest
        elif pins and in_via and line.startswith("#   "):
            pins[-1]["via"].append(line.removeprefix("#").strip())
    return [Pin(**{**p, "via": tuple(p["via"])}) for p in pins]


def requirement_names(in_text: str) -> set[str]:
    """Normalised names required by a .in file (options such as -r/-c lines are ignored)."""
    names = set()
    for line in in_text.splitlines():
        line = re.sub(r"(^|\s)#.*$", "", line).strip()
        match = NAME_RE.match(line) if line and not line.startswith("-") else None
        if match:
            names.add(normalize(match.group(1)))
    return names


def _type_checking_block(node: ast.AST) -> bool:
    test = getattr(node, "test", None) if isinstance(node, ast.If) else None
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _walk(node: ast.AST) -> Iterator[ast.AST]:
    """ast.walk in source order, skipping `if TYPE_CHECKING:` bodies (not run in production)."""
    for child in ast.iter_child_nodes(node):
        if _type_checking_block(child):
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


def module_name(path: Path, package_root: Path) -> str:
    """`src/featherweight/asr/x.py` with package root `src` -> `featherweight.asr.x`."""
    parts = list(path.relative_to(package_root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def production_imports(root: Path, extra_modules: Sequence[str]) -> list[Import]:
    """Third-party modules imported by backend/ and src/featherweight/, first place of each.

    Modules listed in [tool.featherweight.extra-modules] (and their submodules) are skipped:
    only an engine's extra loads them.
    """
    first: dict[str, Import] = {}
    for tree, package_root in PRODUCTION_TREES:
        for path in sorted((root / tree).rglob("*.py")):
            name = module_name(path, root / package_root)
            if any(name == m or name.startswith(f"{m}.") for m in extra_modules):
                continue
            rel = path.relative_to(root).as_posix()
            try:
                imports = imported_modules(path.read_text(), rel)
            except SyntaxError as exc:
                raise ScriptError(f"{rel}:{exc.lineno}: cannot parse: {exc.msg}") from None
            for module, line in imports:
                if module in sys.stdlib_module_names or module in FIRST_PARTY:
                    continue
                first.setdefault(module, Import(module, rel, line))
    return sorted(first.values(), key=lambda i: i.module)


def _freshness(root: Path, txt: str, in_text: str) -> list[str]:
    recorded = recorded_fingerprint(txt)
    if recorded is None:
        return [f"{RENDER_TXT} has no inputs-sha256 line (edited by hand?): {FIX}"]
    try:
        target, source = render_python_version(root)
        minor = minor_of(target)
    except ScriptError as exc:
        return [f"cannot tell Render's Python version: {exc}"]
    if recorded == fingerprint(in_text, minor):
        return []
    compiled = recorded_python(txt)
    if compiled and minor_of(compiled) != minor:
        return [
            f"{RENDER_TXT} was compiled for Python {minor_of(compiled)} but {source} names "
            f"{minor}: run `uv run --python {minor} python -m scripts.render_reqs`"
        ]
    return [f"{RENDER_TXT} is stale: {RENDER_IN} (or the compile flags) changed since: {FIX}"]


def _lock_agreement(root: Path, pins: Sequence[Pin]) -> list[str]:
    problems = []
    stale = lockfile.stale_lock_reason(root)
    fix = f"run `uv lock`, then `{COMMAND}`" if stale else FIX
    if stale:
        problems.append(f"{UV_LOCK} is the stale side: {stale}: {fix}")
    locked = lockfile.locked_versions(root)
    for pin in pins:
        if pin.version is None:
            continue
        if pin.name not in locked:
            problems.append(
                f"{RENDER_TXT}:{pin.line}: {pin.name}=={pin.version} is not in {UV_LOCK} "
                f"(the lock is the stale side): declare it in {PYPROJECT}, run `uv lock`, "
                f"then `{COMMAND}`"
            )
        elif pin.version not in locked[pin.name]:
            have = ", ".join(sorted(locked[pin.name]))
            problems.append(
                f"{RENDER_TXT}:{pin.line}: {pin.name}=={pin.version} but {UV_LOCK} locks {have} "
                f"({RENDER_TXT} is the stale side): {fix}"
            )
    return problems


def _pinning(pins: Sequence[Pin]) -> list[str]:
    return [
        f"{RENDER_TXT}:{pin.line}: {pin.spec!r} is not pinned with == and --hash: {FIX} "
        "(never edit the file by hand)"
        for pin in pins
        if pin.version is None or pin.hashes == 0
    ]


def _heavy(root: Path, pins: Sequence[Pin]) -> list[str]:
    heavy = lockfile.heavy_packages(root)
    problems = []
    for pin in pins:
        if pin.name in heavy:
            via = f" (via {', '.join(pin.via)})" if pin.via else ""
            problems.append(
                f"{RENDER_TXT}:{pin.line}: heavy package {pin.name}{via}: move the requirement "
                f"that pulls it into an extra in {PYPROJECT} and remove it from {RENDER_IN}, "
                f"then `{COMMAND}`"
            )
    return problems


def _coverage(
    imports: Sequence[Import], pinned: set[str], dists: Mapping[str, Sequence[str]]
) -> list[str]:
    problems = []
    for imp in imports:
        candidates = sorted({normalize(d) for d in dists.get(imp.module, [])})
        where = f"{imp.path}:{imp.line}: imports {imp.module}"
        if not candidates:
            problems.append(
                f"{where}, which no installed distribution provides (unknown): install it with "
                f"`uv add <distribution>` and run `{COMMAND}`, fix the import, or list the "
                "importing module under [tool.featherweight.extra-modules] if only an extra "
                "needs it"
            )
        elif not pinned.intersection(candidates):
            dist = candidates[0]
            problems.append(
                f"{where} from {dist}, which {RENDER_TXT} lacks: add {dist} to [project."
                f"dependencies] and {RENDER_IN}, then `uv lock` and `{COMMAND}` (or list the "
                "importing module under [tool.featherweight.extra-modules] if only an extra "
                "needs it)"
            )
    return problems


def _mirror(declared: set[str], listed: set[str]) -> list[str]:
    return [
        f"{RENDER_IN} lacks {name}, which {PYPROJECT} [project.dependencies] declares: add it "
        f"to {RENDER_IN} with a comment, then `{COMMAND}`"
        for name in sorted(declared - listed)
    ] + [
        f"{RENDER_IN} has {name}, which {PYPROJECT} [project.dependencies] lacks: add it to "
        f"{PYPROJECT} (`uv add {name}`) or remove it from {RENDER_IN}, then `{COMMAND}`"
        for name in sorted(listed - declared)
    ]


def find_problems(
    root: Path, txt_path: Path, dists: Mapping[str, Sequence[str]]
) -> tuple[list[str], list[Pin]]:
    """All problems (one line each) and the parsed pins; `dists` maps modules to distributions."""
    txt = txt_path.read_text()
    in_text = (root / RENDER_IN).read_text()
    pyproject = read_pyproject(root)
    pins = parse_pins(txt)
    declared = {
        n for dep in pyproject["project"].get("dependencies", []) for n in requirement_names(dep)
    }
    extra_modules = list(
        pyproject.get("tool", {}).get("featherweight", {}).get("extra-modules", {})
    )
    imports = production_imports(root, extra_modules)
    return [
        *_freshness(root, txt, in_text),
        *_lock_agreement(root, pins),
        *_pinning(pins),
        *_heavy(root, pins),
        *_coverage(imports, {p.name for p in pins}, dists),
        *_mirror(declared, requirement_names(in_text)),
    ], pins


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.render_reqs_check",
        description=__doc__.splitlines()[0],
        epilog="example: make render-reqs-check  (= uv run python -m scripts.render_reqs_check)",
    )
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="project directory (default: this repository)"
    )
    parser.add_argument(
        "--file", type=Path, help=f"the compiled file to check (default: ROOT/{RENDER_TXT})"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    root: Path = args.root.resolve()
    txt_path: Path = args.file or root / RENDER_TXT
    for path, fix in (
        (txt_path, FIX),
        (root / RENDER_IN, "create it"),
        (root / PYPROJECT, ""),
        (root / UV_LOCK, "run `uv lock`"),
    ):
        if not path.is_file():
            print(f"error: {path} not found{': ' + fix if fix else ''}", file=sys.stderr)
            return 2
    try:
        problems, pins = find_problems(root, txt_path, packages_distributions())
    except ScriptError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(
        f"{txt_path.name}: {len(pins)} pins, current, hashed, agrees with {UV_LOCK}, "
        "no heavy packages, covers production imports"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
