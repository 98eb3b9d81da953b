"""Make a fresh copy of the template your own project, named NAME, in one commit.

By default the example service is replaced by a minimal one (/, /health, /live, settings, a
package named after the project, and an extra that shows the heavy-dependency pattern); with
--keep-example the example is kept and renamed. Either way every file the project owns is
renamed, uv.lock is re-locked, requirements-render.txt recompiled, and .template.toml records
the template's source, commit and pipeline files, so `make template-update` can follow it.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from scripts.pipenv import isolated_pip_env
from scripts.proc import ScriptError, UsageError, environ_with, guarded, progress, run
from scripts.project import ROOT, load_project
from scripts.pythons import find_uv
from scripts.template.files import Ownership, pipeline_files, read_ownership, tracked_files
from scripts.template.names import Names, project_names
from scripts.template.record import RECORD, Record, read_record, write_record
from scripts.template.rename import mentions, rename_files

SKELETON = "scripts/template/skeleton"
SKELETON_NAMES = Names.of("service-template")
"""The names the skeleton is written with, replaced by the project's own."""
UNDO = "undo with `git reset --hard && git clean -fd`"
EPILOG = """\
examples:
  make adopt NAME=acme-notes                  # a minimal service of your own
  make adopt NAME=acme-demo KEEP_EXAMPLE=1    # keep the example service, renamed
  python -m scripts.template.adopt --name acme-notes --repo ../acme-notes
"""


def git(root: Path, *args: str) -> str:
    return run(["git", *args], cwd=root, timeout=120).stdout.strip()


def check_ready(root: Path) -> None:
    """Refuse anything but a clean, never-adopted copy of the template."""
    if not (root / ".git").exists():
        raise UsageError(f"{root} is not a git repository: clone the template first")
    record = read_record(root)
    if record is not None:
        raise UsageError(
            f"{root.name} was adopted already as {record.name!r} ({RECORD}): to follow a newer "
            "template, run `make template-update FROM=<template>`"
        )
    if not (root / SKELETON).is_dir():
        raise UsageError(f"{root / SKELETON} not found: {root} is not a copy of the template")
    dirty = git(root, "status", "--porcelain")
    if dirty:
        first = dirty.splitlines()[0][3:]
        raise UsageError(
            f"the working tree has uncommitted changes ({first}, ...): commit or stash them "
            "first, so the adoption is one commit of its own"
        )
    if not run(["git", "config", "user.email"], cwd=root, check=False).stdout.strip():
        raise UsageError(
            "git has no user.email to commit with: `git config user.email you@example.com`"
        )


def template_source(root: Path) -> str:
    """Where the template came from: the origin remote, else this copy's path."""
    found = run(["git", "remote", "get-url", "origin"], cwd=root, check=False)
    return found.stdout.strip() if found.returncode == 0 and found.stdout.strip() else str(root)


def drop_example(root: Path, ownership: Ownership, names: Names) -> None:
    """Replace everything the project owns by the skeleton, renamed to `names`."""
    with tempfile.TemporaryDirectory(prefix="adopt-") as tmp:
        skeleton = Path(tmp) / "skeleton"
        shutil.copytree(root / SKELETON, skeleton)
        owned = [f for f in tracked_files(root) if not ownership.is_pipeline(f)]
        progress(f"removing the example and the template's own files ({len(owned)} files)")
        run(["git", "rm", "-q", "-r", "--", *owned], cwd=root, timeout=120)
        added = []
        for source in sorted(p for p in skeleton.rglob("*") if p.is_file()):
            name = source.relative_to(skeleton).as_posix()
            if "__pycache__" in name:
                continue
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, root / name)
            added.append(name)
    run(["git", "add", "--", *added], cwd=root, timeout=120)
    progress(f"writing the minimal service ({len(added)} files) as {names.dist}")
    rename_files(root, added, SKELETON_NAMES, names)


def keep_example(root: Path, ownership: Ownership, names: Names) -> Names:
    """Rename the example in place; return the names it had."""
    old = Names.of(load_project(root).name)
    template_only = [f for f in tracked_files(root) if ownership.is_template_only(f)]
    if template_only:
        run(["git", "rm", "-q", "-r", "--", *template_only], cwd=root, timeout=120)
    owned = [f for f in tracked_files(root) if not ownership.is_pipeline(f)]
    progress(f"renaming {old.dist} to {names.dist} in {len(owned)} files")
    rename_files(root, owned, old, names)
    return old


def relock_and_compile(root: Path, python_files: Sequence[str]) -> None:
    """uv.lock and requirements-render.txt for the renamed project, an environment to match,
    and its Python files' imports sorted again (a new name can sort differently)."""
    uv = find_uv()
    if uv is None:
        raise ScriptError("uv not found: run `make sync` first (it installs uv)")
    env = environ_with()
    env.pop("VIRTUAL_ENV", None)  # the adopted project's own .venv, not the caller's
    progress("uv lock")
    run([uv, "lock", "--quiet"], cwd=root, env=env, capture=False, timeout=900)
    progress("uv sync (the environment of the renamed project)")
    run([uv, "sync", "--frozen", "--quiet"], cwd=root, env=env, capture=False, timeout=1800)
    progress("ruff: sort the renamed imports and __all__ lists")
    ruff = [uv, "run", "--frozen", "--no-sync", "ruff"]
    sorts = "I,RUF022,RUF023"  # imports, __all__, __slots__: a new name sorts elsewhere
    run([*ruff, "check", "--quiet", "--select", sorts, "--fix", "--", *python_files], cwd=root,
        env=env, timeout=300)  # fmt: skip
    run([*ruff, "format", "--quiet", "--", *python_files], cwd=root, env=env, timeout=300)
    progress("make render-reqs")
    compile_env = isolated_pip_env(env) | {"PATH": env.get("PATH", "")}
    run([uv, "run", "--frozen", "--no-sync", "python", "-m", "scripts.render_reqs"],
        cwd=root, env=compile_env, capture=False, timeout=900)  # fmt: skip


def check_no_leftovers(root: Path, words: Sequence[str], files: Sequence[str]) -> None:
    """Fail when one of `files` still mentions one of the old names."""
    for word in words:
        left = mentions(root, files, word)
        if left:
            shown = ", ".join(left[:8]) + (" ..." if len(left) > 8 else "")
            raise ScriptError(f"{word!r} is still mentioned in {shown}: rename it by hand")


def adopt(root: Path, names: Names, *, keep: bool) -> str:
    """Adopt the template at `root` as `names`; return the new commit."""
    check_ready(root)
    ownership = read_ownership(root)
    source, commit = template_source(root), git(root, "rev-parse", "HEAD")
    template_name = Names.of(load_project(root).name)
    try:
        if keep:
            keep_example(root, ownership, names)
        else:
            drop_example(root, ownership, names)
        owned = [f for f in tracked_files(root) if not ownership.is_pipeline(f)]
        relock_and_compile(root, [f for f in owned if f.endswith(".py")])
        files = [f for f in tracked_files(root) if f != RECORD]
        check_no_leftovers(root, [template_name.dist, template_name.package], files)
        skeleton = [SKELETON_NAMES.dist, SKELETON_NAMES.package, SKELETON_NAMES.camel]
        check_no_leftovers(root, skeleton, [f for f in files if not ownership.is_pipeline(f)])
    except ScriptError as exc:
        raise ScriptError(f"{exc}; nothing was committed: {UNDO}") from None
    digests = pipeline_files(root, ownership, tracked_files(root))
    example = "kept" if keep else "dropped"
    write_record(root, Record(source, commit, names.dist, example, digests))
    run(["git", "add", "-A"], cwd=root, timeout=120)
    message = f"Adopt the template as {names.dist} (example {example})"
    run(["git", "commit", "--quiet", "--no-verify", "-m", message], cwd=root, timeout=120)
    return git(root, "rev-parse", "HEAD")


def next_steps(names: Names, commit: str, *, keep: bool) -> str:
    what = "the example, renamed" if keep else "a minimal service"
    return f"""\
adopted as {names.dist} in commit {commit[:12]}: {what}; package src/{names.package}
next:
  make check                                # every gate, render-sim included
  git remote set-url origin <your repository>
  make deploy                               # see docs/RENDER_DEPLOYMENT.md
  make template-update FROM=<the template>  # later: a newer pipeline (docs/TEMPLATE.md)
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.template.adopt",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--name", required=True, help="the project's name, e.g. acme-notes")
    parser.add_argument(
        "--keep-example",
        action="store_true",
        help="keep the example service (renamed) instead of the minimal one",
    )
    parser.add_argument(
        "--repo", type=Path, default=ROOT, help="the copy of the template (default: this one)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def body() -> int:
        names = project_names(args.name)
        commit = adopt(args.repo.resolve(), names, keep=args.keep_example)
        print(next_steps(names, commit, keep=args.keep_example), end="")
        return 0

    return guarded("adopt", body)


if __name__ == "__main__":
    raise SystemExit(main())
