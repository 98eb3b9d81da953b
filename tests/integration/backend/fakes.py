"""A fake engine and synthetic audio for driving the backend without a speech model."""

from __future__ import annotations

import io
import json
import math
import threading
import wave
from array import array
from typing import Any

from featherweight.asr.base import EngineHealth, Transcript
from featherweight.errors import RemoteEngineError

RATE = 16_000


def tone(seconds: float, amplitude: int = 8000, hz: float = 440.0) -> bytes:
    """A loud sine: the segmenter hears it as speech."""
    count = int(seconds * RATE)
    return array(
        "h", (int(amplitude * math.sin(2 * math.pi * hz * i / RATE)) for i in range(count))
    ).tobytes()


def silence(seconds: float) -> bytes:
    return bytes(int(seconds * RATE) * 2)


def wav_bytes(pcm: bytes, rate: int = RATE, channels: int = 1, width: int = 2) -> bytes:
    """A WAV file around `pcm`, with any header values a test needs."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(channels)
        wav.setsampwidth(width)
        wav.setframerate(rate)
        wav.writeframes(pcm)
    return out.getvalue()


class FakeStream:
    """Reports how many bytes it has heard as its partial, and as its final text."""

    def __init__(self) -> None:
        self.heard = 0
        self.finished = False

    def feed(self, pcm: bytes) -> str | None:
        self.heard += len(pcm)
        return f"heard {self.heard}"

    def finish(self) -> Transcript:
        self.finished = True
        return Transcript(f"streamed {self.heard} bytes", "en")


class FakeEngine:
    """An Engine whose text says how much audio it got; it can stream, fail or hang."""

    name = "fake"

    def __init__(
        self,
        *,
        streaming: bool = False,
        error: Exception | None = None,
        health: EngineHealth | None = None,
        health_delay: float = 0.0,
    ) -> None:
        self.streaming = streaming
        self.error = error
        self.health_answer = health or EngineHealth(True, "")
        self.health_delay = health_delay
        self.health_calls = 0
        self.utterances: list[int] = []
        self.streams: list[FakeStream] = []
        self.release = threading.Event()  # ends a slow health check early at teardown

    def transcribe(self, pcm: bytes) -> Transcript:
        if self.error is not None:
            raise self.error
        self.utterances.append(len(pcm))
        return Transcript(f"utterance of {len(pcm)} bytes", "en")

    def open_stream(self) -> FakeStream | None:
        if self.error is not None:
            raise self.error
        if not self.streaming:
            return None
        self.streams.append(FakeStream())
        return self.streams[-1]

    def health(self) -> EngineHealth:
        self.health_calls += 1
        if self.health_delay:
            self.release.wait(self.health_delay)
        return self.health_answer


def failing_remote() -> FakeEngine:
    error = RemoteEngineError(
        "the Space 'x/y' did not answer within 30 s", "did not answer in time"
    )
    return FakeEngine(error=error)


def read_until_close(ws: Any) -> tuple[list[dict[str, Any]], int]:
    """Every message the server sends until it closes, and its close code."""
    messages = []
    while True:
        message = ws.receive()
        if message["type"] == "websocket.close":
            return messages, message.get("code", 1000)
        messages.append(json.loads(message["text"]))


class SlowEngine:
    """An async Engine whose whole-utterance calls take `delay` seconds each.

    It counts calls started, finished and cancelled, and honours `timeout` the way the remote
    engine does (RemoteEngineError at the deadline).
    """

    name = "slow"

    def __init__(self, delay: float = 30.0, *, streaming: bool = False) -> None:
        self.delay = delay
        self.streaming = streaming
        self.started = self.finished = self.cancelled = 0
        self._released = threading.Event()

    def release(self) -> None:
        """End the calls in progress now, as if their delay had passed (tests need not wait)."""
        self._released.set()

    async def transcribe(self, pcm: bytes, timeout: float | None = None) -> Transcript:
        import anyio

        self.started += 1
        try:
            with anyio.move_on_after(timeout if timeout is not None else math.inf) as scope:
                with anyio.move_on_after(self.delay):
                    while not self._released.is_set():
                        await anyio.sleep(0.01)
        except BaseException:
            self.cancelled += 1
            raise
        if scope.cancelled_caught:
            raise RemoteEngineError(
                f"slow did not answer within {timeout:g} s", "did not answer in time"
            )
        self.finished += 1
        return Transcript(f"utterance of {len(pcm)} bytes", "en")

    async def open_stream(self) -> SlowStream | None:
        return SlowStream(self) if self.streaming else None

    async def health(self) -> EngineHealth:
        return EngineHealth(True)

    async def aclose(self) -> None:
        pass


class SlowStream:
    """A stream whose every feed takes its engine's `delay`."""

    def __init__(self, engine: SlowEngine) -> None:
        self.engine = engine
        self.heard = 0

    async def feed(self, pcm: bytes) -> str | None:
        import anyio

        await anyio.sleep(self.engine.delay)
        self.heard += len(pcm)
        return None

    async def finish(self) -> Transcript:
        return Transcript(f"streamed {self.heard} bytes", "en")

    async def aclose(self) -> None:
        pass
