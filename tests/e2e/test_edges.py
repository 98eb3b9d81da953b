"""The HTTP edges against a real uvicorn started exactly as render.yaml's startCommand says,
with its env vars: the client address behind proxies, slow-loris, and log noise."""

from __future__ import annotations

import json
import socket
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.conftest import ROOT
from tools.asr_client import stream_pcm
from tools.edge_probe import Server, render_server

pytestmark = pytest.mark.e2e

# What the app receives on Render from a client that forged X-Forwarded-For: the forged
# entry, then the client's real address (added by Cloudflare), then Cloudflare's edge
# (added by Render's proxy, which connects from a private address: here, loopback).
SPOOFED = "6.6.6.6, {real}, 104.16.0.1"


def access_log_clients(server: Server, path: str) -> list[str]:
    time.sleep(0.3)  # let the access log line reach the file
    lines = server.log.read_text().splitlines()
    return [line.split()[1].rsplit(":", 1)[0] for line in lines if f"GET {path} " in line]


@contextmanager
def session(server: Server, forwarded: str) -> Iterator[tuple[ClientConnection, dict]]:
    """A WebSocket to /ws/asr with this X-Forwarded-For, and the first message it got."""
    url = server.url.replace("http://", "ws://") + "/ws/asr"
    headers = {"X-Forwarded-For": forwarded}
    with connect(url, additional_headers=headers, open_timeout=10, close_timeout=5) as ws:
        yield ws, json.loads(ws.recv(timeout=10))


def test_forwarded_spoofed_entry_is_not_the_client(tmp_path: Path):
    with render_server(ROOT, log_dir=tmp_path) as server:
        headers = {"X-Forwarded-For": SPOOFED.format(real="203.0.113.7")}
        with urllib.request.urlopen(urllib.request.Request(f"{server.url}/live", None, headers)):
            pass
        assert access_log_clients(server, "/live")[-1] == "203.0.113.7"


def test_forwarded_connection_cap_follows_the_real_client_not_the_forged_one(tmp_path: Path):
    with (
        render_server(ROOT, {"MAX_CLIENT_CONNECTIONS": "1"}, tmp_path) as server,
        session(server, SPOOFED.format(real="203.0.113.7")) as (_, ready),
    ):
        assert ready["type"] == "ready"
        with (
            session(server, "1.2.3.4, 203.0.113.7, 104.16.0.1") as (second, refused),
            pytest.raises(ConnectionClosed),
        ):
            second.recv(timeout=10)
        assert (refused["code"], second.close_code) == ("too_many_connections", 1008)
        with session(server, SPOOFED.format(real="198.51.100.2")) as (_, ready):
            assert ready["type"] == "ready"


def wait_closed(sock: socket.socket, trickle: bytes | None, limit: float = 30.0) -> float:
    """Seconds until the server closes `sock`, sending `trickle` every 0.5 s meanwhile."""
    started = time.monotonic()
    sock.settimeout(0.5)
    while time.monotonic() - started < limit:
        try:
            if sock.recv(4096) == b"":
                return time.monotonic() - started
        except TimeoutError:
            pass
        except ConnectionResetError:
            return time.monotonic() - started
        if trickle:
            try:
                sock.sendall(trickle)
            except OSError:
                return time.monotonic() - started
    raise AssertionError(f"the server kept the connection open for {limit:g} s")


@pytest.mark.slow
def test_slowloris_unfinished_headers_and_silent_connections_are_closed(tmp_path: Path):
    with render_server(ROOT, {"REQUEST_HEADER_TIMEOUT_S": "1"}, tmp_path) as server:
        with socket.create_connection(("127.0.0.1", server.port)) as trickling:
            trickling.sendall(b"GET /live HTTP/1.1\r\nHost: x\r\n")
            wait_closed(trickling, b"X-Slow: 1\r\n")
        with socket.create_connection(("127.0.0.1", server.port)) as silent:
            wait_closed(silent, None)
        with socket.create_connection(("127.0.0.1", server.port)) as kept_alive:
            kept_alive.sendall(b"GET /live HTTP/1.1\r\nHost: x\r\n\r\n")
            assert kept_alive.recv(4096).startswith(b"HTTP/1.1 200")
            kept_alive.sendall(b"GET /live HTTP/1.1\r\n")  # a second request, never finished
            wait_closed(kept_alive, b"X-Slow: 1\r\n")
        assert "no request within 1 s" in server.log.read_text()


@pytest.mark.slow
def test_slowloris_deadline_spares_a_websocket_session_that_outlives_it(tmp_path: Path):
    with render_server(ROOT, {"REQUEST_HEADER_TIMEOUT_S": "1"}, tmp_path) as server:
        with session(server, "203.0.113.7") as (ws, ready):
            assert ready["type"] == "ready"
            time.sleep(2.5)
            ws.send(json.dumps({"type": "stop"}))
            with pytest.raises(ConnectionClosed):
                ws.recv(timeout=10)
        assert ws.close_code == 1000


def test_logs_invalid_utf8_frame_is_one_line_not_a_traceback(tmp_path: Path):
    with render_server(ROOT, log_dir=tmp_path) as server:
        with session(server, "203.0.113.7") as (ws, _):
            ws.send(b"\xff\xfe", text=True)
            with pytest.raises(ConnectionClosed):
                ws.recv(timeout=10)
        assert ws.close_code == 1007
        time.sleep(0.3)
        log = server.log.read_text()
    assert "INFO:     A client sent a WebSocket text frame that is not UTF-8" in log
    assert "Traceback" not in log


def test_api_keys_example_client_with_key_is_served_without_is_refused(tmp_path: Path):
    key = "a-key-of-more-than-16-characters"
    with render_server(ROOT, {"API_KEYS": key}, tmp_path) as server:
        url = server.url.replace("http://", "ws://") + "/ws/asr"
        served = stream_pcm(url, b"", paced=False, timeout=20, api_key=key)
        refused = stream_pcm(url, b"", paced=False, timeout=20)
    assert (served.error, served.close_code) == (None, 1000)
    assert (refused.error or {}).get("code") == "unauthorized"
    assert refused.close_code == 1008
