"""The one long-running child of render-sim: the start command, in its own process group.

Render runs the start command under a shell and, on redeploy, sends SIGTERM and then
SIGKILL after maxShutdownDelaySeconds. Signalling the process group reaches both the
shell and the server it started, whether or not the shell exec'd it.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from scripts.proc import ScriptError


def start_server(
    command: str, *, cwd: Path, env: Mapping[str, str], log: Path
) -> subprocess.Popen[bytes]:
    """Run `command` with `bash -c` as a new session, output appended to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(
            ["bash", "-c", command],
            cwd=cwd,
            env=dict(env),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )


def run_logged(
    command: str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    log: Path,
    timeout: float,
    echo: bool = False,
) -> int:
    """Run `command` to completion like start_server, echoing its log to stderr if `echo`.

    On timeout the whole process group is killed (pip's children too) and ScriptError raised.
    """
    process = start_server(command, cwd=cwd, env=env, log=log)
    deadline = time.monotonic() + timeout
    with log.open("rb") as follow:
        while process.poll() is None:
            if time.monotonic() > deadline:
                kill_server(process)
                raise ScriptError(
                    f"'{command}' took longer than {timeout:g}s and was stopped; "
                    f"last lines:\n{log_tail(log)}"
                )
            if echo:
                _echo(follow.read())
            time.sleep(0.2)
        if echo:
            _echo(follow.read())
    return process.returncode


def _echo(data: bytes) -> None:
    # fd 2, not sys.stderr: that may be replaced by an object without a buffer (as proc.run does).
    sys.stderr.flush()
    while data:
        data = data[os.write(2, data) :]


def log_tail(log: Path, lines: int = 15) -> str:
    """The last `lines` lines of `log`, indented, for a failure message."""
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return "    (no log)"
    tail = text.strip().splitlines()[-lines:] or ["(empty)"]
    return "\n".join(f"    {line}" for line in tail)


def group_alive(pgid: int) -> bool:
    """Whether any process of group `pgid` still runs (zombies left to init do not count)."""
    proc = Path("/proc")
    if not proc.is_dir():
        try:
            os.killpg(pgid, 0)
        except ProcessLookupError:
            return False
        return True
    for stat in proc.glob("[0-9]*/stat"):
        try:
            # pid (comm) state ppid pgrp ...: comm may hold spaces, so split after ")".
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            return True
    return False


def _signal_group(pgid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, sig)


def stop_server(server: subprocess.Popen[bytes], grace: float) -> tuple[bool, str]:
    """SIGTERM the group; SIGKILL whatever is left after `grace` s. Return (in time, detail)."""
    pgid = server.pid
    started = time.monotonic()
    _signal_group(pgid, signal.SIGTERM)
    deadline = started + grace
    while time.monotonic() < deadline:
        server.poll()
        if server.returncode is not None and not group_alive(pgid):
            took = time.monotonic() - started
            return True, f"exited {server.returncode} {took:.1f}s after SIGTERM (limit {grace:g}s)"
        time.sleep(0.1)
    _signal_group(pgid, signal.SIGKILL)
    server.wait()
    return False, (
        f"still running {grace:g}s after SIGTERM (maxShutdownDelaySeconds): "
        "killed with SIGKILL, as Render would"
    )


def kill_server(server: subprocess.Popen[bytes]) -> None:
    """Make sure nothing of the server is left (cleanup after an earlier failure)."""
    _signal_group(server.pid, signal.SIGKILL)
    server.wait()
