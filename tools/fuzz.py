"""The protocol fuzz's client sessions: a hypothesis strategy of steps, and the player of one.

Whatever a client may send to WS /ws/asr: valid and broken starts, stops, JSON of any shape,
deep nesting, text that is not UTF-8, frames of any size, odd byte counts, speech, pauses, and
leaving early. tests/e2e/test_protocol_fuzz.py checks every session against the documented
close codes; `make bench` plays the same sessions to count keepalive closes.
"""

from __future__ import annotations

import json
import math
import time
from array import array
from collections.abc import Sequence
from typing import Any

from hypothesis import strategies as st
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection

# The server's settings for a fuzz run: short timeouts, so that sessions end within seconds,
# and the per-client caps lifted (every session comes from 127.0.0.1).
SETTINGS = {
    "USE_LOCAL_ASR": "false",
    "IDLE_TIMEOUT_S": "1",
    "MAX_SESSION_S": "8",
    "MAX_FRAME_BYTES": "16000",
    "MAX_CALLS_PER_MINUTE": "100000",
    "MAX_CLIENT_AUDIO_S_PER_MIN": "100000",
}


def tone(seconds: float) -> bytes:
    """A 16 kHz tone, loud enough for the segmenter to hear as an utterance."""
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
sessions = st.lists(actions, max_size=8)


def send_steps(ws: ClientConnection, steps: Sequence[tuple[str, Any]]) -> bool:
    """Send a session's steps; False when the client leaves (the session's last step).

    A server that closes first ends the sending; what it sent before is still there to read.
    """
    try:
        for kind, value in steps:
            if kind == "leave":
                return False
            if kind == "pause":
                time.sleep(value)
            elif kind == "not_utf8":
                ws.send(value, text=True)
            else:
                ws.send(value)
    except ConnectionClosed:
        pass
    return True
