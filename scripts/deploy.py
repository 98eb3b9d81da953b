"""Deploy to Render: run every gate, push, call the deploy hook, wait for the new version.

The gates run in order and the first failure stops everything, so nothing reaches the remote
that would break the Render build: a clean working tree, the expected branch, a remote that
HEAD contains, then the make targets of `make check` (`make gates` lists them). Then
`git push REMOTE BRANCH`; then, if RENDER_DEPLOY_HOOK_URL is set, a POST to Render's deploy
hook; then, if RENDER_SERVICE_URL is set, GET /health until its `version` is the pushed commit.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from urllib.parse import urlsplit

from scripts.proc import ScriptError, UsageError, environ_with, progress, run
from scripts.project import ROOT
from scripts.render_service import call_hook, deploy_id, redact_url, wait_for_version

HOOK_ENV = "RENDER_DEPLOY_HOOK_URL"
SERVICE_ENV = "RENDER_SERVICE_URL"
DEFAULT_REMOTE = "origin"
DEFAULT_BRANCH = "main"
DEFAULT_TIMEOUT = 900.0
DEFAULT_INTERVAL = 10.0
GIT_TIMEOUT = 120.0
MAX_LISTED = 8
SIM_GATE = "render-sim"

EPILOG = f"""\
examples:
  make deploy                                   # gates, push origin main, hook, wait
  make deploy DEPLOY_ARGS=--dry-run             # run the gates and print the plan only
  python -m scripts.deploy --remote upstream --branch release --timeout 1200

environment (secrets and targets only):
  {HOOK_ENV}  Render's deploy hook for the service (Settings > Deploy Hook).
                          A secret: its key is never printed. Set it only when the
                          service's autoDeploy is off, or every push deploys twice.
  {SERVICE_ENV}      the service's public URL, e.g. https://NAME.onrender.com;
                          when set, wait until its /health reports the pushed commit.
"""


@dataclass(frozen=True)
class Gate:
    """A make target that must succeed before anything is pushed."""

    name: str

    @property
    def argv(self) -> tuple[str, ...]:
        return ("make", "--no-print-directory", self.name)


def read_gates(repo: Path) -> tuple[Gate, ...]:
    """The gates of `make check`, as the project's Makefile lists them (`make gates`)."""
    result = run(["make", "--no-print-directory", "-s", "gates"], cwd=repo, check=False)
    names = (
        result.stdout.splitlines()[0].split() if result.returncode == 0 and result.stdout else []
    )
    if not names:
        raise UsageError(f"`make gates` in {repo} printed no gates: pass --gates 'a b c'")
    return tuple(Gate(name) for name in names)


# Checks done in-process before the command gates: cheap ones first, so they fail fast.
GIT_GATES = ("clean-tree", "branch", "remote")


@dataclass(frozen=True)
class Plan:
    """Everything a deploy will do, decided before anything runs."""

    remote: str
    branch: str
    gates: tuple[Gate, ...]
    skipped: tuple[Gate, ...]
    hook_url: str | None
    health_url: str | None
    timeout: float
    interval: float

    @property
    def push_argv(self) -> tuple[str, ...]:
        # --no-verify: the pre-push hook's gates are a subset of those that just ran.
        return ("git", "push", "--no-verify", self.remote, self.branch)

    def describe(self, sha: str) -> list[str]:
        """The plan as lines for stdout, with the hook's key redacted."""
        names = [*GIT_GATES, *(g.name for g in self.gates)]
        lines = [
            f"commit  {sha} on {self.branch}",
            f"gates   {', '.join(names)}",
            f"push    {' '.join(self.push_argv)}",
        ]
        if self.skipped:
            lines.append(f"skipped {', '.join(g.name for g in self.skipped)}  (NOT verified)")
        if self.hook_url:
            lines.append(f"hook    POST {redact_url(self.hook_url)}  ({HOOK_ENV})")
        else:
            lines.append(
                f"hook    none ({HOOK_ENV} is not set; Render deploys on push if autoDeploy is on)"
            )
        if self.health_url:
            lines.append(
                f"wait    GET {self.health_url} until version = {sha[:12]}"
                f" (timeout {self.timeout:.0f} s, every {self.interval:g} s)"
            )
        else:
            lines.append(f"wait    none ({SERVICE_ENV} is not set)")
        return lines


def plan_deploy(
    *,
    remote: str,
    branch: str,
    gates: Sequence[Gate],
    skip_sim: bool,
    env: Mapping[str, str],
    timeout: float = DEFAULT_TIMEOUT,
    interval: float = DEFAULT_INTERVAL,
) -> Plan:
    """Decide the gates, the push, the hook and the wait from flags and environment."""
    hook = env.get(HOOK_ENV, "").strip() or None
    service = env.get(SERVICE_ENV, "").strip() or None
    for name, url in ((HOOK_ENV, hook), (SERVICE_ENV, service)):
        parts = urlsplit(url or "")
        if url and (parts.scheme not in ("http", "https") or not parts.hostname):
            # The hook's value is a secret: a malformed one may hide its key anywhere.
            shown = "(value not shown: it is a secret)" if name == HOOK_ENV else f"got {url!r}"
            raise UsageError(f"{name} must be an http(s) URL, {shown}")
    return Plan(
        remote=remote,
        branch=branch,
        gates=tuple(g for g in gates if not (skip_sim and g.name == SIM_GATE)),
        skipped=tuple(g for g in gates if skip_sim and g.name == SIM_GATE),
        hook_url=hook,
        health_url=f"{service.rstrip('/')}/health" if service else None,
        timeout=timeout,
        interval=interval,
    )


def _git(
    repo: Path, *args: str, check: bool = True, timeout: float = GIT_TIMEOUT
) -> subprocess.CompletedProcess[str]:
    return run(["git", *args], cwd=repo, check=check, timeout=timeout)


def check_clean_tree(repo: Path) -> None:
    lines = [ln for ln in _git(repo, "status", "--porcelain").stdout.splitlines() if ln]
    if lines:
        paths = [ln[3:] for ln in lines]
        shown = ", ".join(paths[:MAX_LISTED])
        more = f" and {len(paths) - MAX_LISTED} more" if len(paths) > MAX_LISTED else ""
        raise ScriptError(
            f"gate 'clean-tree' failed: uncommitted or untracked files: {shown}{more};"
            " commit, stash or ignore them (only committed work is deployed)"
        )


def check_branch(repo: Path, expected: str) -> None:
    current = _git(repo, "symbolic-ref", "--quiet", "--short", "HEAD", check=False).stdout.strip()
    if current != expected:
        where = f"on branch '{current}'" if current else "HEAD is detached"
        raise ScriptError(
            f"gate 'branch' failed: {where}, expected '{expected}':"
            f" git switch {expected}, or pass --branch {current or 'NAME'}"
        )


def check_remote(repo: Path, remote: str, branch: str) -> None:
    """Refuse when the remote branch has commits that HEAD lacks (the push would be rejected)."""
    found = _git(repo, "ls-remote", "--exit-code", remote, f"refs/heads/{branch}", check=False)
    if found.returncode == 2:
        return  # the branch does not exist there yet: the first push creates it
    if found.returncode != 0:
        last = (found.stderr.strip().splitlines() or ["no reply"])[-1]
        raise ScriptError(f"gate 'remote' failed: cannot read remote '{remote}': {last}")
    remote_sha = found.stdout.split()[0]
    contains = _git(repo, "merge-base", "--is-ancestor", remote_sha, "HEAD", check=False)
    if contains.returncode != 0:
        raise ScriptError(
            f"gate 'remote' failed: {remote}/{branch} ({remote_sha[:12]}) has commits that HEAD"
            f" lacks: git pull --rebase {remote} {branch}, then deploy again"
        )


def run_gate(repo: Path, gate: Gate) -> None:
    result = run(list(gate.argv), cwd=repo, capture=False, check=False)
    if result.returncode != 0:
        raise ScriptError(
            f"gate '{gate.name}' failed: '{' '.join(gate.argv)}' exited with code"
            f" {result.returncode} (its output is above)"
        )


def run_gates(repo: Path, plan: Plan) -> None:
    """Run each gate in order with a timed progress line; the first failure raises.

    Every gate only checks: a dry run runs them all, as a real deploy does.
    """
    checks: list[tuple[str, str, Callable[[], None]]] = [
        ("clean-tree", "git status --porcelain", lambda: check_clean_tree(repo)),
        ("branch", f"HEAD is {plan.branch}", lambda: check_branch(repo, plan.branch)),
        (
            "remote",
            f"{plan.remote}/{plan.branch} is in HEAD",
            lambda: check_remote(repo, plan.remote, plan.branch),
        ),
    ]
    for gate in plan.gates:
        checks.append((gate.name, " ".join(gate.argv), partial(run_gate, repo, gate)))
    for number, (name, shown, check) in enumerate(checks, 1):
        progress(f"[{number}/{len(checks)}] {name}: {shown}")
        started = time.monotonic()
        check()
        progress(f"[{number}/{len(checks)}] {name} passed in {time.monotonic() - started:.1f} s")


def _positive(text: str) -> float:
    value = float(text)
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.deploy",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="run the gates that change nothing and print the plan; never push or call the hook",
    )
    parser.add_argument(
        "--remote", default=DEFAULT_REMOTE, help="git remote to push to (default: %(default)s)"
    )
    parser.add_argument(
        "--branch",
        default=DEFAULT_BRANCH,
        help="branch that must be checked out (default: %(default)s)",
    )
    parser.add_argument(
        "--skip-sim",
        action="store_true",
        help=f"skip the {SIM_GATE} gate (slow, needs PyPI); the Render build goes unverified",
    )
    parser.add_argument(
        "--timeout",
        type=_positive,
        default=DEFAULT_TIMEOUT,
        help="seconds to wait for /health (default: %(default)g)",
    )
    parser.add_argument(
        "--interval",
        type=_positive,
        default=DEFAULT_INTERVAL,
        help="seconds between polls (default: %(default)g)",
    )
    parser.add_argument(
        "--repo", type=Path, default=ROOT, help="repository to deploy from (default: this one)"
    )
    parser.add_argument(
        "--gates",
        metavar="'A B C'",
        help="the make targets to run as gates, in order (default: what `make gates` prints)",
    )
    return parser


def deploy(repo: Path, plan: Plan) -> None:
    """Gates, push, hook, wait; each result goes to stdout as soon as it is known."""
    sha = _git(repo, "rev-parse", "HEAD").stdout.strip()
    run_gates(repo, plan)
    # The gates can take minutes: push only if HEAD is still the commit they checked.
    check_clean_tree(repo)
    if (now := _git(repo, "rev-parse", "HEAD").stdout.strip()) != sha:
        raise ScriptError(
            f"HEAD moved from {sha[:12]} to {now[:12]} during the gates: deploy again"
        )
    progress(" ".join(plan.push_argv))
    pushed = run(list(plan.push_argv), cwd=repo, env=environ_with(), capture=False, check=False)
    if pushed.returncode != 0:
        raise ScriptError(f"'{' '.join(plan.push_argv)}' failed (git's message is above)")
    done = f"pushed {sha} to {plan.remote}/{plan.branch}"
    print(done, flush=True)
    try:
        if plan.hook_url:
            progress(f"POST {redact_url(plan.hook_url)}")
            found = deploy_id(call_hook(plan.hook_url))
            print(f"deploy hook accepted: deploy {found or '(no id in the reply)'}", flush=True)
        if plan.health_url:
            wait_for_version(plan.health_url, sha, timeout=plan.timeout, interval=plan.interval)
            print(f"live: {plan.health_url} reports {sha[:12]}")
    except ScriptError as exc:
        raise ScriptError(f"{done}, but {exc}") from exc


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if not (args.repo / ".git").exists():
            raise UsageError(f"{args.repo} is not a git repository: pass --repo DIR")
        gates = (
            tuple(Gate(name) for name in args.gates.split())
            if args.gates is not None
            else read_gates(args.repo)
        )
        plan = plan_deploy(
            remote=args.remote,
            branch=args.branch,
            gates=gates,
            skip_sim=args.skip_sim,
            env=environ_with(),
            timeout=args.timeout,
            interval=args.interval,
        )
    except UsageError as exc:
        print(f"deploy: {exc}", file=sys.stderr)
        return 2
    if plan.skipped:
        print(
            f"deploy: WARNING: --skip-sim: {SIM_GATE} will NOT run;"
            " nothing proves this commit builds and boots on Render",
            file=sys.stderr,
        )
    try:
        if args.dry_run:
            return dry_run(args.repo, plan)
        deploy(args.repo, plan)
    except ScriptError as exc:
        print(f"deploy: {exc}", file=sys.stderr)
        return 1
    return 0


def dry_run(repo: Path, plan: Plan) -> int:
    """Run the gates that change nothing, print the plan, and return the exit code."""
    sha = _git(repo, "rev-parse", "HEAD").stdout.strip()
    failure = None
    try:
        run_gates(repo, plan)
    except ScriptError as exc:
        failure = str(exc)
    print("deploy plan (dry run: nothing pushed, no hook called)")
    for line in plan.describe(sha):
        print(f"  {line}")
    print(f"  result  {failure or 'all gates passed'}")
    if failure:
        print(f"deploy: {failure}", file=sys.stderr)
    return 1 if failure else 0


if __name__ == "__main__":
    raise SystemExit(main())
