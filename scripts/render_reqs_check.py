"""Check, offline, that requirements-render.txt is current, locked, hashed, lean and complete.

One line per problem, each ending with the command that fixes it. Problems: uv.lock is stale;
the render file is stale (its inputs changed, or its pins disagree with uv.lock); a requirement
is not pinned with hashes; a heavy package is present; production code imports a distribution
the file lacks; requirements-render.in and pyproject's [project.dependencies] name different
packages. Nothing is changed: not uv.lock, not the environment.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping, Sequence
from importlib.metadata import packages_distributions
from pathlib import Path

from packaging.utils import canonicalize_name

from scripts.config import TABLE
from scripts.imports import Import, production_imports
from scripts.lockfile import LOCK_NAME, extra_only
from scripts.packages import PYPROJECT
from scripts.proc import UsageError, guarded
from scripts.project import ROOT, Project, load_project
from scripts.pythons import minor_of
from scripts.requirements import (
    COMMAND,
    RENDER_IN,
    RENDER_TXT,
    Pin,
    fingerprint,
    parse_pins,
    recorded_fingerprint,
    recorded_python,
    requirements_in,
)

FIX = f"run `{COMMAND}`"
MODULES_TABLE = f"[tool.{TABLE}.extra-modules]"
MAX_SHOWN = 5


def stale_inputs(project: Project, txt: str) -> str | None:
    """Why the render file no longer matches its inputs (.in, Python minor, flags), or None."""
    recorded = recorded_fingerprint(txt)
    if recorded is None:
        return "it has no inputs-sha256 line (edited by hand?)"
    version, source = project.render_python()
    minor = minor_of(version)
    if recorded == fingerprint(project.render_in or "", minor):
        return None
    compiled = recorded_python(txt)
    if compiled and minor_of(compiled) != minor:
        return f"it was compiled for Python {minor_of(compiled)} but {source} names {minor}"
    return f"{RENDER_IN} (or the compile flags) changed since it was compiled"


def lock_disagreements(project: Project, pins: Sequence[Pin]) -> list[str]:
    """Pins whose version uv.lock does not hold, as short notes (`fastapi 1.0, locked 1.1`)."""
    locked = project.require_lock().versions
    notes = []
    for pin in pins:
        if pin.version is None:
            continue
        if pin.name not in locked:
            notes.append(f"{pin.name} {pin.version}, not in {LOCK_NAME}")
        elif pin.version not in locked[pin.name]:
            notes.append(f"{pin.name} {pin.version}, locked {', '.join(sorted(locked[pin.name]))}")
    return notes


def freshness(project: Project, txt: str, pins: Sequence[Pin]) -> list[str]:
    """One line naming the stale side: uv.lock (behind pyproject) or the render file."""
    stale_lock = project.stale_lock()
    if stale_lock:
        return [f"{LOCK_NAME} is stale: {stale_lock}: run `uv lock`, then `{COMMAND}`"]
    reasons = []
    inputs = stale_inputs(project, txt)
    if inputs:
        reasons.append(inputs)
    disagree = lock_disagreements(project, pins)
    if disagree:
        shown = "; ".join(disagree[:MAX_SHOWN])
        more = f"; and {len(disagree) - MAX_SHOWN} more" if len(disagree) > MAX_SHOWN else ""
        reasons.append(f"{len(disagree)} pins disagree with {LOCK_NAME} ({shown}{more})")
    if not reasons:
        return []
    return [f"{RENDER_TXT} is stale: {'; '.join(reasons)}: {FIX}"]


def pinning(pins: Sequence[Pin]) -> list[str]:
    return [
        f"{RENDER_TXT}:{pin.line}: {pin.spec!r} is not pinned with == and --hash: {FIX} "
        "(never edit the file by hand)"
        for pin in pins
        if pin.version is None or pin.hashes == 0
    ]


def heavy(project: Project, pins: Sequence[Pin]) -> list[str]:
    names = project.heavy()
    problems = []
    for pin in pins:
        if pin.name in names:
            via = f" (via {', '.join(pin.via)})" if pin.via else ""
            problems.append(
                f"{RENDER_TXT}:{pin.line}: heavy package {pin.name}{via}: move the requirement "
                f"that pulls it into an extra in {PYPROJECT} and out of {RENDER_IN}, "
                f"then `uv lock` and `{COMMAND}`"
            )
    return problems


def _extra_fix(imp: Import, dist: str, extras: frozenset[str]) -> str:
    extra = sorted(extras)[0]
    return (
        f"{imp.path}:{imp.line}: imports {imp.module} from {dist}, which only the "
        f"'{extra}' extra installs: if only that extra's code needs it, import it lazily and "
        f'list the importing module under {MODULES_TABLE} ("{imp.importer}" = "{extra}"); '
        f"if production needs it, move {dist} to [project.dependencies] and {RENDER_IN}, "
        f"then `uv lock` and `{COMMAND}`"
    )


def coverage(
    project: Project, pins: Sequence[Pin], dists: Mapping[str, Sequence[str]]
) -> list[str]:
    """Production imports whose distribution the render file lacks, each with its fix."""
    imports = production_imports(
        project.root, project.packages, project.first_party, project.config.extra_modules
    )
    pinned = {p.name for p in pins}
    extras = extra_only(project.require_lock(), project.name)
    locked = project.require_lock().versions
    problems = []
    for imp in imports:
        candidates = sorted({canonicalize_name(d) for d in dists.get(imp.module, [])})
        if not candidates and canonicalize_name(imp.module) in locked:
            candidates = [canonicalize_name(imp.module)]  # locked but not installed here
        if pinned.intersection(candidates):
            continue
        where = f"{imp.path}:{imp.line}: imports {imp.module}"
        from_extra = [c for c in candidates if c in extras]
        if from_extra:
            problems.append(_extra_fix(imp, from_extra[0], extras[from_extra[0]]))
        elif not candidates:
            problems.append(
                f"{where}, which no installed distribution provides and {LOCK_NAME} does not "
                f"hold: fix the import, or declare the distribution that provides it in "
                f"[project.dependencies] and {RENDER_IN}, then `uv lock` and `{COMMAND}`"
            )
        else:
            problems.append(
                f"{where} from {candidates[0]}, which {RENDER_TXT} lacks: add {candidates[0]} "
                f"to [project.dependencies] and {RENDER_IN}, then `uv lock` and `{COMMAND}`"
            )
    return problems


def mirror(project: Project) -> list[str]:
    declared = {canonicalize_name(r.name) for r in requirements_in("\n".join(project.dependencies))}
    listed = {canonicalize_name(r.name) for r in requirements_in(project.render_in or "")}
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
    project: Project, dists: Mapping[str, Sequence[str]]
) -> tuple[list[str], list[Pin]]:
    """All problems (one line each) and the parsed pins; `dists` maps modules to distributions."""
    txt = project.render_txt or ""
    pins = parse_pins(txt)
    return [
        *freshness(project, txt, pins),
        *pinning(pins),
        *heavy(project, pins),
        *coverage(project, pins, dists),
        *mirror(project),
    ], pins


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.render_reqs_check",
        description=__doc__.splitlines()[0] if __doc__ else None,
        epilog="example: make render-reqs-check  (= uv run python -m scripts.render_reqs_check)",
    )
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="project directory (default: this repository)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return guarded("error", lambda: check_project(args.root))


def check_project(root: Path) -> int:
    """Check the project at `root`; print each problem, or the summary when there is none."""
    project = load_project(root)
    for text, name, fix in (
        (project.render_txt, RENDER_TXT, FIX),
        (project.render_in, RENDER_IN, "create it (see the docs)"),
    ):
        if text is None:
            raise UsageError(f"{project.root / name} not found: {fix}")
    project.require_lock()
    problems, pins = find_problems(project, packages_distributions())
    for problem in problems:
        print(problem)
    if problems:
        return 1
    print(
        f"{RENDER_TXT}: {len(pins)} pins, current, hashed, agrees with {LOCK_NAME}, "
        "no heavy packages, covers production imports"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
