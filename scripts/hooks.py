"""Install a git pre-push hook that runs the fast deploy gates, so a push cannot skip them.

The hook runs `make fast-check` (the fast gates) and blocks the push when it fails
(`git push --no-verify` skips it once). It stays out of the way of `make deploy`, which has
just run every gate itself. A pre-push hook that we did not write is never replaced without
--force, and then it is kept next to ours as a backup.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from scripts.deploy import DEPLOY_MARKER_ENV
from scripts.proc import ScriptError, run
from scripts.project import ROOT

HOOK_NAME = "pre-push"
MARKER = "# render-pipeline-pre-push"  # how we recognise our own hook
HOOK_COMMAND = "make fast-check"
BACKUP_SUFFIX = ".backup"

HOOK_TEMPLATE = """\
#!/bin/sh
{marker}: written by `make hooks`; `python -m scripts.hooks uninstall` removes it.
# Runs the fast deploy gates before every push and blocks the push when one fails.
if [ -n "${deploy_env}" ]; then
    exit 0  # `make deploy` ran every gate on this commit just now
fi
echo "pre-push: {command}" >&2
if ! {command} </dev/null; then
    echo "pre-push: '{command}' failed: push blocked (skip once: git push --no-verify)" >&2
    exit 1
fi
"""

EPILOG = """\
examples:
  make hooks                                  # install (same as: python -m scripts.hooks install)
  python -m scripts.hooks status              # exit 0 if our hook is installed and current
  python -m scripts.hooks install --force     # replace another pre-push hook, keeping a backup
"""


def render_hook(command: str) -> str:
    """The hook script that runs `command` and blocks the push when it fails."""
    return HOOK_TEMPLATE.format(marker=MARKER, deploy_env=DEPLOY_MARKER_ENV, command=command)


def hook_state(text: str | None, expected: str) -> str:
    """'absent', 'current', 'outdated' (ours, older) or 'foreign' (someone else's)."""
    if text is None:
        return "absent"
    if not any(line.startswith(MARKER) for line in text.splitlines()[:3]):
        return "foreign"
    return "current" if text == expected else "outdated"


def hook_path(repo: Path) -> Path:
    """Where git looks for pre-push: honours worktrees and core.hooksPath."""
    found = run(["git", "rev-parse", "--git-path", "hooks"], cwd=repo, check=False)
    if found.returncode != 0:
        raise ScriptError(f"{repo} is not a git repository: pass --repo DIR")
    return (repo / found.stdout.strip() / HOOK_NAME).resolve()


def free_backup(path: Path) -> Path:
    """The first of pre-push.backup, pre-push.backup.1, ... that does not exist."""
    candidate = path.with_name(path.name + BACKUP_SUFFIX)
    number = 0
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.name}{BACKUP_SUFFIX}.{number}")
    return candidate


def _read(path: Path) -> str | None:
    return path.read_text(errors="replace") if path.is_file() else None


def install(repo: Path, *, command: str, force: bool = False) -> str:
    path = hook_path(repo)
    expected = render_hook(command)
    state = hook_state(_read(path), expected)
    if state == "current":
        return f"{HOOK_NAME} hook already installed: {path}"
    note = ""
    if state == "foreign":
        if not force:
            raise ScriptError(
                f"{path} exists and was not written by `make hooks`: merge it by hand,"
                " or pass --force to replace it (it is kept as a backup)"
            )
        backup = free_backup(path)
        path.rename(backup)
        note = f" (the previous hook is kept at {backup})"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(expected)
    path.chmod(0o755)
    verb = "updated" if state == "outdated" else "installed"
    return f"{HOOK_NAME} hook {verb}: {path} runs '{command}'{note}"


def uninstall(repo: Path) -> str:
    path = hook_path(repo)
    state = hook_state(_read(path), "")
    if state == "absent":
        return f"no {HOOK_NAME} hook at {path}: nothing to remove"
    if state == "foreign":
        raise ScriptError(f"{path} was not written by `make hooks`: leaving it alone")
    path.unlink()
    backup = path.with_name(path.name + BACKUP_SUFFIX)
    note = f"; a previous hook is kept at {backup}" if backup.exists() else ""
    return f"{HOOK_NAME} hook removed: {path}{note}"


def status(repo: Path, *, command: str) -> tuple[bool, str]:
    path = hook_path(repo)
    state = hook_state(_read(path), render_hook(command))
    meaning = {
        "absent": "not installed: run make hooks",
        "current": f"installed, runs '{command}'",
        "outdated": "installed but outdated: run make hooks",
        "foreign": "a pre-push hook not written by make hooks",
    }[state]
    return state == "current", f"{path}: {meaning}"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.hooks",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--repo", type=Path, default=ROOT, help="repository to manage")
    actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("install", help="write the pre-push hook (safe to run twice)")
    add.add_argument(
        "--force", action="store_true", help="replace a foreign pre-push hook, keeping a backup"
    )
    actions.add_parser("uninstall", help="remove our pre-push hook (never someone else's)")
    actions.add_parser("status", help="say whether our hook is installed; exit 1 if not current")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.action == "install":
            print(install(args.repo, command=HOOK_COMMAND, force=args.force))
        elif args.action == "uninstall":
            print(uninstall(args.repo))
        else:
            is_current, message = status(args.repo, command=HOOK_COMMAND)
            print(message)
            return 0 if is_current else 1
    except ScriptError as exc:
        print(f"hooks: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
