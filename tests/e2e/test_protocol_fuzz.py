"""A bounded property-based fuzz of WS /ws/asr against a real uvicorn and the stand-in Space.

Whatever a client sends (the sessions of tools/fuzz.py: valid and broken starts, stops, JSON of
any shape, deep nesting, text that is not UTF-8, frames of any size, odd byte counts, speech,
pauses, leaving early), every session it finishes ends with a documented close code and a
documented error code, and the process stays up, small, and without a traceback from the app in
its log.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.e2e.server import Served, get_json, service_process
from tools.fuzz import SETTINGS, send_steps, sessions
from tools.standin import behaving

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

CLOSE_CODES = {
    1000: set(),
    1003: {"unsupported_sample_rate", "unsupported_encoding"},
    1007: {"invalid_json", "invalid_message", "invalid_start", "invalid_audio"},
    1008: {"unknown_type", "unexpected_start", "idle_timeout", "session_too_long",
           "too_many_utterances"},
    1009: {"frame_too_large"},
    1011: {"engine_error"},
    1012: {"shutting_down"},
    1013: {"busy", "rate_limited"},
}  # fmt: skip


@pytest.fixture(scope="module")
def service(standin_space: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    with (
        behaving(standin_space, mode="instant") as space,
        service_process(SETTINGS | {"HF_SPACE": space}, tmp_path_factory.mktemp("fuzz")) as app,
    ):
        yield app


def play(url: str, steps: list[tuple[str, Any]]) -> tuple[list[dict[str, Any]], int | None]:
    """Run one session; return what the server sent and its close code (None: we left)."""
    messages: list[dict[str, Any]] = []
    with connect(url.replace("http://", "ws://") + "/ws/asr", open_timeout=10) as ws:
        if not send_steps(ws, steps):
            return messages, None
        try:
            while True:
                messages.append(json.loads(ws.recv(timeout=20)))
        except ConnectionClosed as closed:
            return messages, closed.rcvd.code if closed.rcvd else -1


@settings(
    max_examples=40,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(steps=sessions)
def test_protocol_fuzz_every_session_ends_with_a_documented_code(service, steps):
    try:
        messages, code = play(service.url, steps)
    except InvalidStatus as exc:  # the handshake itself was refused
        pytest.fail(f"handshake refused: {exc}")
    if code is None:
        return  # the client left; the server owes it nothing
    assert code in CLOSE_CODES, (code, messages, steps)
    assert messages and messages[0]["type"] == "ready"
    errors = [m for m in messages if m["type"] == "error"]
    if code == 1000 or (code == 1007 and not errors):
        # uvicorn's WebSocket layer closes 1007 on text that is not UTF-8 before the app sees it
        assert not errors, messages
    else:
        assert len(errors) == 1 and messages[-1] is errors[0], messages
        assert errors[0]["code"] in CLOSE_CODES[code], (code, errors[0])


def test_protocol_fuzz_leaves_the_process_up_small_and_quiet(service):
    """Runs after the fuzz (file order): the same process still serves."""
    assert service.process.poll() is None
    assert get_json(f"{service.url}/live") == (200, {"status": "ok"})
    rss_kib = int(
        next(line for line in Path(f"/proc/{service.process.pid}/status").read_text().splitlines()
             if line.startswith("VmRSS:")).split()[1]
    )  # fmt: skip
    assert rss_kib < 300 * 1024
    tracebacks = service.log.read_text().split("Traceback (most recent call last):")[1:]
    ours = [t for t in tracebacks if "backend/app" in t or "featherweight" in t]
    assert not ours, ours[0]
    # uvicorn 0.54's sans-I/O WebSocket layer raises (and asyncio logs) when text that is not
    # UTF-8 arrives after the server has started to close: its bug, not the app's.
    assert all("websockets_sansio_impl.py" in t for t in tracebacks), tracebacks
