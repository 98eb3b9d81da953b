"""Long-running child processes: start in their own process group, wait until they serve, stop.

Render runs a start command under a shell and, on redeploy, sends SIGTERM and then SIGKILL
after maxShutdownDelaySeconds. Signalling the process group reaches both the shell and the
server it started, whether or not the shell exec'd it. render-sim, the example's stand-in
services and the end-to-end tests all start their servers through here.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from scripts.proc import ScriptError
from scripts.waiting import wait_until

HOST = "127.0.0.1"
POLL_S = 0.2
TRY_TIMEOUT = 5.0  # Render's health check wants an answer within 5 s


@dataclass(frozen=True)
class Server:
    """A started child: its process (the leader of its own group) and the file it logs to."""

    process: subprocess.Popen[bytes]
    log: Path

    @property
    def pgid(self) -> int:
        return self.process.pid

    def tail(self, lines: int = 15) -> str:
        """The last `lines` lines of the log, indented, for a failure message."""
        return log_tail(self.log, lines)

    def check_running(self, what: str = "the server") -> None:
        """Raise ScriptError, with the log's tail, if the process has exited."""
        if self.process.poll() is not None:
            raise ScriptError(
                f"{what} exited with code {self.process.returncode}; "
                f"last lines of its log:\n{self.tail()}"
            )


def log_tail(log: Path, lines: int = 15) -> str:
    """The last `lines` lines of a log file, indented, for a failure message."""
    try:
        text = log.read_text(errors="replace")
    except OSError:
        return "    (no log)"
    shown = text.strip().splitlines()[-lines:] or ["(empty)"]
    return "\n".join(f"    {line}" for line in shown)


def free_port(host: str = "0.0.0.0") -> int:
    """A TCP port that nothing listens on right now (on all interfaces by default)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def start(
    command: Sequence[str] | str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    log: Path,
) -> Server:
    """Start `command` (a string runs under `bash -c`, as Render does) as a new session.

    Both output streams are appended to `log`.
    """
    argv = ["bash", "-c", command] if isinstance(command, str) else list(command)
    with log.open("ab") as out:
        try:
            process = subprocess.Popen(
                argv,
                cwd=cwd,
                env=dict(env),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except FileNotFoundError as exc:
            raise ScriptError(f"command not found: {exc.filename}: install it or fix PATH") from exc
    return Server(process, log)


def run_logged(
    command: str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    log: Path,
    timeout: float,
    echo: bool = False,
) -> int:
    """Run `command` to completion like `start`, echoing its log to fd 2 if `echo`.

    On timeout the whole process group is killed (pip's children too) and ScriptError raised.
    """
    server = start(command, cwd=cwd, env=env, log=log)
    with log.open("rb") as follow:

        def finished() -> int | None:
            if echo:
                _echo(follow.read())
            return server.process.poll()

        try:
            code = wait_until(finished, timeout=timeout, interval=POLL_S, what=f"'{command}'")
        except ScriptError:
            kill(server)
            raise ScriptError(
                f"'{command}' took longer than {timeout:g}s and was stopped; "
                f"last lines:\n{server.tail()}"
            ) from None
        if echo:
            _echo(follow.read())
    return code


def _echo(data: bytes) -> None:
    # fd 2, not sys.stderr: that may be replaced by an object without a buffer.
    while data:
        data = data[os.write(2, data) :]


def http_get(
    url: str, timeout: float = TRY_TIMEOUT, context: ssl.SSLContext | None = None
) -> tuple[int, bytes]:
    """GET `url` without proxies or redirects; return (status, body). `context` is for https."""
    parts = urlsplit(url)
    host = parts.hostname or HOST
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(
            host, parts.port or 443, timeout=timeout, context=context
        )
    else:
        conn = http.client.HTTPConnection(host, parts.port or 80, timeout=timeout)
    try:
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def port_open(port: int, host: str = HOST) -> bool:
    try:
        with socket.create_connection((host, port), timeout=TRY_TIMEOUT):
            return True
    except OSError:
        return False


def wait_for_http(
    server: Server,
    url: str,
    timeout: float,
    what: str = "the server",
    context: ssl.SSLContext | None = None,
) -> str:
    """Poll GET `url` as Render's health check does (2xx/3xx) until it passes; return a detail.

    Raises ScriptError with the log's tail when the process exits or the deadline passes.
    """
    started = time.monotonic()
    last = ["no answer"]

    def answered() -> str | None:
        server.check_running(what)
        try:
            status, _ = http_get(url, context=context)
        except (OSError, http.client.HTTPException) as exc:
            last[0] = f"{exc or type(exc).__name__}"
            return None
        last[0] = f"HTTP {status}"
        if 200 <= status < 400:
            return f"GET {urlsplit(url).path} -> {status} after {time.monotonic() - started:.1f}s"
        return None

    try:
        return wait_until(
            answered, timeout=timeout, interval=POLL_S, what=f"{url} to answer 2xx/3xx",
            last_seen=lambda: last[0],
        )  # fmt: skip
    except ScriptError as exc:
        if "exited with code" in str(exc):
            raise
        raise ScriptError(f"{exc}; last lines of the log:\n{server.tail()}") from None


def wait_for_port(server: Server, port: int, timeout: float, what: str = "the server") -> str:
    """Wait until `port` accepts connections (Render's check without a health path)."""
    started = time.monotonic()

    def opened() -> str | None:
        server.check_running(what)
        return (
            f"port {port} open after {time.monotonic() - started:.1f}s" if port_open(port) else None
        )

    try:
        return wait_until(opened, timeout=timeout, interval=POLL_S, what=f"port {port} to open")
    except ScriptError as exc:
        if "exited with code" in str(exc):
            raise
        raise ScriptError(f"{exc}; last lines of the log:\n{server.tail()}") from None


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
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, sig)


def stop(server: Server, grace: float) -> tuple[bool, str]:
    """SIGTERM the group; SIGKILL whatever is left after `grace` s. Return (in time, detail)."""
    started = time.monotonic()
    _signal_group(server.pgid, signal.SIGTERM)

    def gone() -> bool | None:
        server.process.poll()
        return (
            True if server.process.returncode is not None and not group_alive(server.pgid) else None
        )

    try:
        wait_until(gone, timeout=grace, interval=0.1, what="the process group to exit")
    except ScriptError:
        kill(server)
        return False, (
            f"still running {grace:g}s after SIGTERM (maxShutdownDelaySeconds): "
            "killed with SIGKILL, as Render would"
        )
    took = time.monotonic() - started
    return True, f"exited {server.process.returncode} {took:.1f}s after SIGTERM (limit {grace:g}s)"


def kill(server: Server) -> None:
    """Make sure nothing of the group is left (clean-up after a failure)."""
    _signal_group(server.pgid, signal.SIGKILL)
    server.process.wait()


@contextlib.contextmanager
def serving(
    command: Sequence[str] | str,
    *,
    cwd: Path,
    env: Mapping[str, str],
    log: Path,
    ready_url: str,
    timeout: float,
    grace: float = 10.0,
    what: str = "the server",
) -> Iterator[Server]:
    """Start `command`, wait until `ready_url` answers 2xx/3xx, yield it, stop it on exit."""
    server = start(command, cwd=cwd, env=env, log=log)
    try:
        wait_for_http(server, ready_url, timeout, what)
        yield server
    finally:
        if server.process.poll() is None or group_alive(server.pgid):
            stop(server, grace)
