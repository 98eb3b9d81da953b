"""Bring the pipeline's files to a newer template's version, never touching the project's own.

The newer template (a path or git URL, at REF or its default branch) says which files are the
pipeline's in its scripts/template/files.toml. Each pipeline file whose bytes still match
.template.toml is replaced (or added, or removed); one the adopter changed is shown as a diff
and left alone unless --force. Then the record is rewritten, the fast gates run, and the
update is committed; a second run says the project is up to date.
"""

from __future__ import annotations

import argparse
import difflib
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

from scripts.proc import ScriptError, UsageError, guarded, progress, run
from scripts.project import ROOT, read_pyproject
from scripts.template.files import (
    changed_since,
    digest,
    file_digest,
    read_ownership,
    tracked_files,
)
from scripts.template.record import RECORD, Record, read_record, write_record

CHECK_COMMAND = ("make", "--no-print-directory", "fast-check")
PIPELINE_GROUP = "pipeline"
EPILOG = """\
examples:
  make template-update FROM=https://github.com/OWNER/TEMPLATE.git
  make template-update FROM=../template REF=v2.1        # a tag or commit of a local clone
  make template-update FROM=../template FORCE=1         # also replace files you changed
"""
MAX_DIFF_LINES = 60


@dataclass
class Plan:
    """What an update does, decided before any file changes."""

    write: dict[str, bytes] = field(default_factory=dict)
    """New or changed pipeline files and their new content."""
    remove: list[str] = field(default_factory=list)
    kept: dict[str, str] = field(default_factory=dict)
    """Pipeline files the adopter changed, left alone: path -> diff against the new version."""

    @property
    def empty(self) -> bool:
        return not (self.write or self.remove or self.kept)


def fetch_template(source: str, ref: str | None, dest: Path) -> str:
    """Clone `source` into `dest` and check out `ref` (default branch when None); its commit."""
    progress(f"fetching the template from {source}" + (f" at {ref}" if ref else ""))
    run(["git", "clone", "--quiet", "--no-checkout", source, str(dest)], timeout=600)
    target = ref or "HEAD"
    found = run(["git", "rev-parse", "--verify", "--quiet", f"{target}^{{commit}}"], cwd=dest,
                check=False)  # fmt: skip
    if found.returncode != 0:
        raise UsageError(f"REF={ref!r} is not a branch, tag or commit of {source}")
    commit = found.stdout.strip()
    run(["git", "checkout", "--quiet", "--detach", commit], cwd=dest, timeout=120)
    return commit


def diff_text(old: bytes, new: bytes, path: str) -> str:
    """A unified diff of the adopter's file against the template's new version."""
    lines = list(
        difflib.unified_diff(
            old.decode("utf-8", "replace").splitlines(keepends=True),
            new.decode("utf-8", "replace").splitlines(keepends=True),
            f"{path} (yours)",
            f"{path} (template)",
        )
    )
    if len(lines) > MAX_DIFF_LINES:
        lines = [*lines[:MAX_DIFF_LINES], f"... {len(lines) - MAX_DIFF_LINES} more lines\n"]
    return "".join(lines)


def plan_update(root: Path, record: Record, new_files: Mapping[str, bytes], *, force: bool) -> Plan:
    """Compare the project's pipeline files with the record and the new template's files."""
    plan = Plan()
    for path in sorted(set(record.files) | set(new_files)):
        local = root / path
        local_digest = file_digest(local)
        new = new_files.get(path)
        if new is not None and local_digest == digest(new):
            continue  # already the new version
        changed_by_adopter = (
            local_digest != record.files[path] if path in record.files else local_digest is not None
        )
        if changed_by_adopter and not force:
            mine = local.read_bytes() if local_digest is not None else b""
            plan.kept[path] = diff_text(mine, new or b"", path)
        elif new is not None:
            plan.write[path] = new
        elif local_digest is not None:
            plan.remove.append(path)
    return plan


def apply(root: Path, plan: Plan) -> None:
    for path, content in plan.write.items():
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
    if plan.remove:
        run(["git", "rm", "-q", "--", *plan.remove], cwd=root, timeout=120)


def pipeline_group(directory: Path) -> dict[str, str]:
    """The project's `pipeline` dependency group (the tools the pipeline runs), by name."""
    group = read_pyproject(directory).get("dependency-groups", {}).get(PIPELINE_GROUP, [])
    found: dict[str, str] = {}
    for item in group:
        if isinstance(item, str):
            try:
                found[canonicalize_name(Requirement(item).name)] = item
            except InvalidRequirement:
                continue
    return found


def missing_tools(root: Path, template: Path) -> list[str]:
    """Requirements of the new template's `pipeline` group that the project's group lacks."""
    mine, theirs = pipeline_group(root), pipeline_group(template)
    return sorted(theirs[name] for name in theirs.keys() - mine.keys())


def update(root: Path, source: str | None, ref: str | None, *, force: bool) -> list[str]:
    """Update the project at `root`; return the lines to print."""
    record = read_record(root)
    if record is None:
        raise UsageError(f"no {RECORD} in {root}: adopt the template first (`make adopt`)")
    dirty = run(["git", "status", "--porcelain"], cwd=root).stdout.strip()
    if dirty:
        raise UsageError(
            f"the working tree has uncommitted changes ({dirty.splitlines()[0][3:]}, ...): "
            "commit or stash them first, so the update is one commit of its own"
        )
    source = source or record.source
    with tempfile.TemporaryDirectory(prefix="template-update-") as tmp:
        template = Path(tmp) / "template"
        commit = fetch_template(source, ref, template)
        if commit == record.commit and not force:
            mine = [
                f"you changed {path} (`FORCE=1` replaces it)"
                for path in changed_since(root, record.files)
            ]
            return [*mine, f"up to date: the pipeline is the template's {commit[:12]} ({source})"]
        ownership = read_ownership(template)
        new_files = {
            name: (template / name).read_bytes()
            for name in tracked_files(template)
            if ownership.is_pipeline(name)
        }
        plan = plan_update(root, record, new_files, force=force)
        apply(root, plan)
        missing = missing_tools(root, template)
    files = {path: digest(content) for path, content in new_files.items()}
    write_record(root, Record(source, commit, record.name, record.example, files))
    lines = [f"{verb} {path}" for verb, paths in (("updated", plan.write), ("removed", plan.remove))
             for path in sorted(paths)]  # fmt: skip
    for path, diff in plan.kept.items():
        lines.append(f"kept {path}: you changed it; the template's version differs:\n{diff}")
    for requirement in missing:
        lines.append(
            f"the pipeline now uses {requirement}: "
            f"`uv add --group {PIPELINE_GROUP} '{requirement}'`"
        )
    progress(f"running the fast gates: {' '.join(CHECK_COMMAND)}")
    checked = run(list(CHECK_COMMAND), cwd=root, capture=False, check=False, timeout=3600)
    if checked.returncode != 0:
        raise ScriptError(
            "\n".join([*lines, "the fast gates fail after the update (output above): fix them "
                       "and commit, or undo with `git reset --hard && git clean -fd`"])
        )  # fmt: skip
    run(["git", "add", "-A"], cwd=root, timeout=120)
    message = f"Update the template's pipeline to {commit[:12]}"
    run(["git", "commit", "--quiet", "--no-verify", "-m", message], cwd=root, timeout=120)
    summary = f"updated the pipeline to the template's {commit[:12]}: {len(plan.write)} written, "
    summary += f"{len(plan.remove)} removed, {len(plan.kept)} of yours kept"
    return [*lines, summary]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.template.update",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--from",
        dest="source",
        help=f"the template: a path or git URL (default: the source in {RECORD})",
    )
    parser.add_argument("--ref", help="a tag, branch or commit of it (default: its default branch)")
    parser.add_argument(
        "--force", action="store_true", help="also replace pipeline files you changed"
    )
    parser.add_argument(
        "--repo", type=Path, default=ROOT, help="the adopted project (default: this one)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)

    def body() -> int:
        repo = args.repo.resolve()
        print("\n".join(update(repo, args.source or None, args.ref or None, force=args.force)))
        return 0

    return guarded("template-update", body)


if __name__ == "__main__":
    raise SystemExit(main())
