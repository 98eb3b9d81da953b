"""The /ws/asr message protocol: client messages parsed into events, server messages built.

The table of error codes and close codes is in backend/app/routes/asr.py. A start message is
parsed in two steps, so that a second start is `unexpected_start` whatever its fields hold:
`parse_control` only recognises it, and the session calls `check_start` once it knows the start
comes first.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from featherweight.audio import check_pcm
from featherweight.errors import AudioError

SAMPLE_RATE = 16_000
ENCODING = "pcm_s16le"

NORMAL, UNSUPPORTED, INVALID, POLICY, TOO_BIG, ENGINE_FAILED, RESTARTING, TRY_LATER = (
    1000, 1003, 1007, 1008, 1009, 1011, 1012, 1013
)  # fmt: skip


class ProtocolError(Exception):
    """A session that must end: sent as an `error` message, then closed with `close_code`."""

    def __init__(
        self,
        code: str,
        message: str,
        close_code: int,
        *,
        flush: bool = False,
        error_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.close_code = close_code
        self.flush = flush  # send the finals of the audio received so far before closing
        self.error_id = error_id
        self.retry_after = retry_after
        self.logged = False  # the log already has a line for it

    def frame(self) -> dict[str, Any]:
        """The `error` message for the client."""
        return error(self.code, self.message, self.error_id, self.retry_after)


@dataclass(frozen=True)
class Start:
    """A start message, checked only once it is known to come first (see `check_start`)."""

    fields: dict[str, Any]


@dataclass(frozen=True)
class Stop:
    pass


@dataclass(frozen=True)
class Audio:
    pcm: bytes


Event = Start | Stop | Audio


def parse_message(message: dict[str, Any], max_frame_bytes: int) -> Event:
    """Turn one ASGI `websocket.receive` message into an event, or raise ProtocolError."""
    data = message.get("bytes")
    if data is not None:
        return parse_audio(data, max_frame_bytes)
    return parse_control(message.get("text") or "")


def parse_audio(data: bytes, max_frame_bytes: int) -> Audio:
    if len(data) > max_frame_bytes:
        message = f"a frame of {len(data)} bytes is over the limit of {max_frame_bytes}"
        raise ProtocolError("frame_too_large", f"{message}: send smaller frames", TOO_BIG)
    try:
        check_pcm(data)
    except AudioError as exc:
        raise ProtocolError("invalid_audio", str(exc), INVALID) from None
    return Audio(data)


def parse_control(text: str) -> Start | Stop:
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):  # deep nesting exhausts the parser's recursion
        raise ProtocolError("invalid_json", f"not JSON: {text[:80]!r}", INVALID) from None
    if not isinstance(data, dict) or not isinstance(data.get("type"), str):
        raise ProtocolError(
            "invalid_message", 'a text message must be a JSON object with a "type"', INVALID
        )
    kind = data["type"]
    if kind == "stop":
        return Stop()
    if kind == "start":
        return Start(data)
    raise ProtocolError(
        "unknown_type", f"unknown message type {kind!r}: send start, binary audio or stop", POLICY
    )


def check_start(data: dict[str, Any]) -> str:
    """Validate a start message's fields; return its language."""
    rate, encoding = data.get("sample_rate", SAMPLE_RATE), data.get("encoding", ENCODING)
    language = data.get("language", "auto")
    if isinstance(rate, bool) or not isinstance(rate, int):
        message = f"sample_rate must be an integer, not {rate!r}"
        raise ProtocolError("invalid_start", message, INVALID)
    if not isinstance(encoding, str) or not isinstance(language, str):
        raise ProtocolError("invalid_start", "encoding and language must be strings", INVALID)
    if rate != SAMPLE_RATE:
        message = f"sample_rate {rate} is not supported: send {SAMPLE_RATE}"
        raise ProtocolError("unsupported_sample_rate", message, UNSUPPORTED)
    if encoding != ENCODING:
        message = f"encoding {encoding!r} is not supported: send {ENCODING!r}"
        raise ProtocolError("unsupported_encoding", message, UNSUPPORTED)
    return language


def error(
    code: str, message: str, error_id: str | None = None, retry_after: float | None = None
) -> dict[str, Any]:
    frame: dict[str, Any] = {"type": "error", "code": code, "message": message}
    if error_id is not None:
        frame["error_id"] = error_id
    if retry_after is not None:
        frame["retry_after_s"] = max(1, round(retry_after))
    return frame


def partial(text: str) -> dict[str, Any]:
    return {"type": "partial", "text": text}


def final(text: str, utterance: int) -> dict[str, Any]:
    return {"type": "final", "text": text, "utterance": utterance}


def ready(engine: str, max_frame_bytes: int, max_session_s: float) -> dict[str, Any]:
    return {
        "type": "ready",
        "engine": engine,
        "sample_rate": SAMPLE_RATE,
        "encoding": ENCODING,
        "max_frame_bytes": max_frame_bytes,
        "max_session_s": max_session_s,
    }
