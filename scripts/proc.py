"""The one seam through which the pipeline runs short subprocesses, and its error types."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

_STDERR_FD = 2


class ScriptError(Exception):
    """An expected failure: `main()` prints it as one line and returns 1."""


class UsageError(ScriptError):
    """Bad input from the command line, the environment or the project's files: exit code 2."""


def run(
    cmd: Sequence[str] | str,
    *,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    capture: bool = True,
    check: bool = True,
    timeout: float | None = None,
    shell: bool = False,
) -> subprocess.CompletedProcess[str]:
    """Run a command and return its result; with `check`, raise ScriptError on failure.

    Captured output is text. Without `capture`, the child writes both streams straight to our
    file descriptor 2, so progress from long builds reaches the user while stdout stays for
    results (and it works under test runners that replace `sys.stderr`).
    """
    shown = cmd if isinstance(cmd, str) else " ".join(cmd)
    try:
        result = subprocess.run(
            cmd,
            cwd=cwd,
            env=dict(env) if env is not None else None,
            text=True,
            capture_output=capture,
            stdout=None if capture else _STDERR_FD,
            stdin=subprocess.DEVNULL,
            timeout=timeout,
            shell=shell,
            check=False,
        )
    except FileNotFoundError as exc:
        raise ScriptError(f"command not found: {exc.filename}: install it or fix PATH") from exc
    except subprocess.TimeoutExpired as exc:
        raise ScriptError(f"'{shown}' took longer than {timeout:.0f} s and was stopped") from exc
    if check and result.returncode != 0:
        detail = (result.stderr or result.stdout or "").strip().splitlines() if capture else []
        last = f": {detail[-1]}" if detail else ""
        raise ScriptError(f"'{shown}' failed with exit code {result.returncode}{last}")
    return result


def guarded(prefix: str, body: Callable[[], int]) -> int:
    """Run a script's body; an expected failure prints one line and becomes its exit code.

    UsageError (nothing could be checked or done) gives 2, any other ScriptError 1.
    """
    try:
        return body()
    except ScriptError as exc:
        print(f"{prefix}: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, UsageError) else 1


def progress(message: str) -> None:
    """Print a progress line to stderr (results go to stdout)."""
    print(f"==> {message}", file=sys.stderr, flush=True)


def environ_with(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """A copy of our environment with `extra` laid over it."""
    env = dict(os.environ)
    env.update(extra or {})
    return env
