"""scripts.servers: start real child processes, wait until they serve, stop them as Render does.

The HTTP endpoints polled here are pytest-httpserver's; the processes are small shell commands.
"""

from __future__ import annotations

import os
import signal
import socket
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from scripts import servers
from scripts.proc import ScriptError

ENV = dict(os.environ)
# A process that reports it is up, then waits; on SIGTERM it exits 0 at once.
POLITE = f"{sys.executable} -c \"import signal,sys,time; signal.signal(signal.SIGTERM, lambda *a: sys.exit(0)); print('up', flush=True); time.sleep(60)\""  # noqa: E501
STUBBORN = f"{sys.executable} -c \"import signal,time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(60)\""  # noqa: E501


Start = Callable[[str | list[str]], servers.Server]


@pytest.fixture
def started(tmp_path: Path) -> Iterator[Start]:
    """Start commands through servers.start; whatever is left is killed afterwards."""
    children: list[servers.Server] = []

    def start(command: str | list[str]) -> servers.Server:
        server = servers.start(command, cwd=tmp_path, env=ENV, log=tmp_path / "server.log")
        children.append(server)
        return server

    yield start
    for server in children:
        if server.process.poll() is None or servers.group_alive(server.pgid):
            servers.kill(server)


def wait_for_log(server: servers.Server, text: str) -> None:
    deadline = time.monotonic() + 30
    while text not in server.log.read_text(errors="replace"):
        assert time.monotonic() < deadline, f"{text!r} never appeared in the log"
        time.sleep(0.05)


def test_wait_for_http_answers_once_the_endpoint_does(
    started: Start, httpserver: HTTPServer
) -> None:
    httpserver.expect_oneshot_request("/health").respond_with_data("starting", status=503)
    httpserver.expect_request("/health").respond_with_json({"status": "ok"})
    server = started("sleep 60")

    detail = servers.wait_for_http(server, httpserver.url_for("/health"), timeout=30)

    assert detail.startswith("GET /health -> 200 after ")
    assert len(httpserver.log) == 2


def test_wait_for_http_deadline_names_the_last_answer_and_the_log(
    started: Start, httpserver: HTTPServer
) -> None:
    httpserver.expect_request("/health").respond_with_data("down", status=503)
    server = started("echo booting; sleep 60")
    wait_for_log(server, "booting")

    with pytest.raises(ScriptError) as caught:
        servers.wait_for_http(server, httpserver.url_for("/health"), timeout=0.5)

    assert str(caught.value) == (
        f"waited 0.5 s for {httpserver.url_for('/health')} to answer 2xx/3xx (HTTP 503); "
        "last lines of the log:\n    booting"
    )


def test_wait_for_http_process_that_exits_fails_at_once_with_its_log(
    started: Start, httpserver: HTTPServer
) -> None:
    server = started("echo 'missing setting'; exit 3")

    started_at = time.monotonic()
    with pytest.raises(ScriptError) as caught:
        servers.wait_for_http(server, httpserver.url_for("/health"), timeout=60, what="the API")

    assert time.monotonic() - started_at < 30
    assert str(caught.value) == (
        "the API exited with code 3; last lines of its log:\n    missing setting"
    )


def test_wait_for_port_sees_a_listening_port(started: Start, httpserver: HTTPServer) -> None:
    server = started("sleep 60")

    assert servers.wait_for_port(server, httpserver.port, timeout=30).startswith(
        f"port {httpserver.port} open after "
    )


def test_wait_for_port_closed_port_times_out(
    started: Start,
) -> None:
    server = started("sleep 60")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]

    with pytest.raises(ScriptError, match=rf"^waited 0.3 s for port {port} to open"):
        servers.wait_for_port(server, port, timeout=0.3)


def test_stop_polite_server_exits_in_time(
    started: Start,
) -> None:
    server = started(POLITE)
    wait_for_log(server, "up")

    in_time, detail = servers.stop(server, grace=30)

    assert in_time
    assert detail.startswith("exited 0 ") and detail.endswith("after SIGTERM (limit 30s)")


def test_stop_server_ignoring_sigterm_is_killed_after_the_grace(
    started: Start,
) -> None:
    server = started(STUBBORN)
    wait_for_log(server, "up")

    in_time, detail = servers.stop(server, grace=0.5)

    assert not in_time
    assert detail == (
        "still running 0.5s after SIGTERM (maxShutdownDelaySeconds): killed with SIGKILL, "
        "as Render would"
    )
    assert server.process.returncode == -signal.SIGKILL


def test_stop_reaches_the_whole_process_group(started: Start, tmp_path: Path) -> None:
    """The shell and the server it started in the background both get SIGTERM."""
    server = started("sleep 60 & echo $! > child.pid; wait")
    pid_file = tmp_path / "child.pid"
    deadline = time.monotonic() + 30
    while not pid_file.exists() or not pid_file.read_text().strip():
        assert time.monotonic() < deadline
        time.sleep(0.05)

    in_time, _ = servers.stop(server, grace=10)

    assert in_time
    assert not servers.group_alive(server.pgid)


def test_start_missing_program_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match=r"^command not found: no-such-program-x: install it"):
        servers.start(["no-such-program-x"], cwd=tmp_path, env=ENV, log=tmp_path / "log")


def test_run_logged_returns_the_exit_code_and_echoes(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    log = tmp_path / "build.log"

    code = servers.run_logged("echo building; exit 7", cwd=tmp_path, env=ENV, log=log,
                              timeout=30, echo=True)  # fmt: skip

    assert code == 7
    assert log.read_text() == "building\n"
    assert "building" in capfd.readouterr().err


def test_run_logged_timeout_stops_the_group_and_shows_the_log(tmp_path: Path) -> None:
    with pytest.raises(ScriptError) as caught:
        servers.run_logged("echo slow; sleep 60", cwd=tmp_path, env=ENV,
                           log=tmp_path / "log", timeout=0.5)  # fmt: skip

    assert str(caught.value) == (
        "'echo slow; sleep 60' took longer than 0.5s and was stopped; last lines:\n    slow"
    )


def test_serving_yields_a_ready_server_and_stops_it(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/ready").respond_with_data("ok")

    with servers.serving(POLITE, cwd=tmp_path, env=ENV, log=tmp_path / "log",
                         ready_url=httpserver.url_for("/ready"), timeout=30) as server:  # fmt: skip
        assert server.process.poll() is None

    assert server.process.returncode in (0, -signal.SIGTERM)  # stopped with SIGTERM
    assert not servers.group_alive(server.pgid)


def test_http_get_returns_status_and_body(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/live", query_string="a=1").respond_with_data("yes", status=202)

    assert servers.http_get(httpserver.url_for("/live?a=1")) == (202, b"yes")


def test_free_port_can_be_bound() -> None:
    port = servers.free_port()

    with socket.socket() as sock:
        sock.bind(("0.0.0.0", port))


@pytest.mark.parametrize(
    ("text", "expected"),
    [(None, "    (no log)"), ("", "    (empty)"), ("a\nb\nc\n", "    b\n    c")],
)
def test_log_tail_indents_the_last_lines(tmp_path: Path, text: str | None, expected: str) -> None:
    log = tmp_path / "log"
    if text is not None:
        log.write_text(text)

    assert servers.log_tail(log, lines=2) == expected
