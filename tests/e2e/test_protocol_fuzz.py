"""A bounded property-based fuzz of WS /ws/asr against a real uvicorn and the stand-in Space.

Whatever a client sends (valid and broken starts, stops, JSON of any shape, deep nesting, text
that is not UTF-8, frames of any size, odd byte counts, speech, pauses, leaving early), every
session it finishes ends with a documented close code and a documented error code, and the
process stays up, small, and without a traceback from the app in its log.
"""

from __future__ import annotations

import json
import math
import time
from array import array
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import connect

from tests.e2e.server import Served, get_json, service_process
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
SETTINGS = {
    "USE_LOCAL_ASR": "false",
    "IDLE_TIMEOUT_S": "1",
    "MAX_SESSION_S": "8",
    "MAX_FRAME_BYTES": "16000",
    "MAX_CALLS_PER_MINUTE": "100000",
    "MAX_CLIENT_AUDIO_S_PER_MIN": "100000",
}


def tone(seconds: float) -> bytes:
    count = int(seconds * 16_000)
    return array("h", (int(8000 * math.sin(i / 6)) for i in range(count))).tobytes()


SPEECH = tone(0.4) + bytes(16_000 * 2 * 7 // 10)  # a short utterance and the silence ending it

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
start_fields = st.fixed_dictionaries(
    {"type": st.just("start")},
    optional={
        "sample_rate": st.sampled_from([16000, 8000, "16000", None, True, 16000.0]),
        "encoding": st.sampled_from(["pcm_s16le", "opus", 1, None]),
        "language": st.sampled_from(["auto", "en", 5]),
    },
)
actions = st.one_of(
    start_fields.map(lambda message: ("text", json.dumps(message))),
    st.just(("text", json.dumps({"type": "stop"}))),
    json_values.map(lambda value: ("text", json.dumps(value))),
    st.text(max_size=40).map(lambda text: ("text", text)),
    st.integers(1, 200_000).map(lambda depth: ("text", "[" * depth + "]" * depth)),
    st.binary(min_size=1, max_size=8).map(lambda raw: ("not_utf8", b"\xff" + raw)),
    st.integers(0, 20_000).map(lambda size: ("bytes", bytes(size))),
    st.sampled_from([SPEECH, SPEECH[:3201], tone(0.2)]).map(lambda pcm: ("bytes", pcm)),
    st.floats(0, 0.3).map(lambda seconds: ("pause", seconds)),
    st.just(("leave", None)),
)


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
        try:
            for kind, value in steps:
                if kind == "leave":
                    return messages, None
                if kind == "pause":
                    time.sleep(value)
                elif kind == "not_utf8":
                    ws.send(value, text=True)
                else:
                    ws.send(value)
        except ConnectionClosed:
            pass  # the server closed first: what it sent before is still there to read
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
@given(steps=st.lists(actions, max_size=8))
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
