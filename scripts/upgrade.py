"""Upgrade dependencies in uv.lock and requirements-render.txt together, or not at all.

`uv lock --upgrade` (or `--upgrade-package NAME`), then `make render-reqs`, then the fast
gates. When any step fails, both files are put back as they were. On success it prints the
version changes as a markdown table, production (what Render installs) first.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from packaging.utils import canonicalize_name

from scripts.lockfile import LOCK_NAME, Lock
from scripts.proc import ScriptError, UsageError, guarded, progress, run
from scripts.project import ROOT, load_project
from scripts.pythons import find_uv
from scripts.requirements import RENDER_TXT, parse_pins

CHECK_COMMAND = ("make", "--no-print-directory", "fast-check")
EPILOG = """\
examples:
  make upgrade                    # every package, as far as pyproject.toml allows
  make upgrade PACKAGE=fastapi    # one package (and what it needs)
"""


@dataclass(frozen=True)
class Change:
    name: str
    old: str
    new: str
    production: bool


def versions_of(lock: Lock) -> dict[str, str]:
    """Each locked package's version(s), as one string."""
    return {str(name): ", ".join(sorted(v)) for name, v in lock.versions.items()}


def changes(
    before: Mapping[str, str], after: Mapping[str, str], production: set[str]
) -> list[Change]:
    """Packages whose locked versions differ, production first, then by name."""
    found = [
        Change(name, before.get(name, "(new)"), after.get(name, "(removed)"), name in production)
        for name in sorted(before.keys() | after.keys())
        if before.get(name) != after.get(name)
    ]
    return sorted(found, key=lambda c: (not c.production, c.name))


def format_changes(found: Sequence[Change]) -> str:
    if not found:
        return "No upgrades: uv.lock already has the newest versions pyproject.toml allows.\n"
    lines = []
    for title, production in (
        ("Production (requirements-render.txt)", True),
        ("Development", False),
    ):
        rows = [c for c in found if c.production == production]
        if rows:
            lines += [f"### {title}", "", "| package | from | to |", "| --- | --- | --- |"]
            lines += [f"| {c.name} | {c.old} | {c.new} |" for c in rows]
            lines.append("")
    return "\n".join(lines)


def upgrade(root: Path, package: str | None) -> list[Change]:
    """Upgrade, recompile and check; on any failure restore both files and raise."""
    project = load_project(root)
    before = versions_of(project.require_lock())
    if package is not None and canonicalize_name(package) not in before:
        raise UsageError(f"PACKAGE={package!r} is not in {LOCK_NAME}: check the name (`uv tree`)")
    uv = find_uv()
    if uv is None:
        raise ScriptError("uv not found: run `make sync` first (it installs uv)")
    saved = {name: (root / name).read_bytes() for name in (LOCK_NAME, RENDER_TXT)}
    how = ["--upgrade-package", package] if package else ["--upgrade"]
    try:
        progress(f"uv lock {' '.join(how)}")
        run([uv, "lock", *how], cwd=root, capture=False, timeout=900)
        progress("make render-reqs")
        run([sys.executable, "-m", "scripts.render_reqs", "--root", str(root)], cwd=root,
            capture=False, timeout=900)  # fmt: skip
        progress(f"running the fast gates: {' '.join(CHECK_COMMAND)}")
        checked = run(list(CHECK_COMMAND), cwd=root, capture=False, check=False, timeout=3600)
        if checked.returncode != 0:
            raise ScriptError("the fast gates fail with the upgraded versions (output above)")
    except ScriptError as exc:
        for name, data in saved.items():
            (root / name).write_bytes(data)
        raise ScriptError(f"{exc}: {LOCK_NAME} and {RENDER_TXT} are back as they were") from None
    after_project = load_project(root)
    after = versions_of(after_project.require_lock())
    production = {p.name for p in parse_pins(saved[RENDER_TXT].decode())}
    production |= {p.name for p in parse_pins(after_project.render_txt or "")}
    return changes(before, after, {str(n) for n in production})


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.upgrade",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--package", help="upgrade only this package (default: all)")
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="project directory (default: this repository)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def body() -> int:
        found = upgrade(args.root.resolve(), args.package or None)
        sys.stdout.write(format_changes(found))
        return 0

    return guarded("upgrade", body)


if __name__ == "__main__":
    raise SystemExit(main())
