"""The engine protocols and their result types.

`Engine` is what a service uses: every call is a coroutine that never blocks the event loop
and can be cancelled. `BlockingEngine` is what a local model implements (pocketsphinx,
SenseVoice): plain calls that hold the CPU; `featherweight.asr.create_engine` wraps one in worker
threads or processes to make it an `Engine`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

SAMPLE_RATE = 16_000
"""Every engine takes 16 kHz mono signed 16-bit little-endian PCM."""


@dataclass(frozen=True)
class Transcript:
    """The recognised text of one utterance."""

    text: str
    language: str | None = None


@dataclass(frozen=True)
class EngineHealth:
    """Whether an engine can serve right now; `detail` says why not."""

    ok: bool
    detail: str = ""


@runtime_checkable
class Stream(Protocol):
    """One utterance being recognised incrementally."""

    async def feed(self, pcm: bytes) -> str | None:
        """Add PCM; return the current partial hypothesis, or None if there is none yet."""

    async def finish(self) -> Transcript:
        """End the utterance and return its final transcript."""

    async def aclose(self) -> None:
        """Drop the utterance without a transcript and free what it holds; never raises."""


@runtime_checkable
class Engine(Protocol):
    """A speech-to-text engine for async code: calls neither block nor hold the event loop."""

    name: str

    async def transcribe(self, pcm: bytes, timeout: float | None = None) -> Transcript:
        """Recognise one whole utterance of 16 kHz mono s16le PCM within `timeout` seconds.

        Raises:
            EngineError: it failed, or did not finish in time (RemoteEngineError if remote).
        """

    async def open_stream(self) -> Stream | None:
        """Start incremental recognition, or return None if the engine cannot stream."""

    async def health(self) -> EngineHealth:
        """Report whether the engine can serve; must return within a few seconds."""

    async def aclose(self) -> None:
        """Release the engine's processes, connections and models."""


@runtime_checkable
class BlockingStream(Protocol):
    """A `Stream` whose calls block the calling thread."""

    def feed(self, pcm: bytes) -> str | None:
        """Add PCM; return the current partial hypothesis, or None if there is none yet."""

    def finish(self) -> Transcript:
        """End the utterance and return its final transcript."""


@runtime_checkable
class BlockingEngine(Protocol):
    """A local engine whose calls block: run it in a worker thread or process, never on a loop."""

    name: str

    def transcribe(self, pcm: bytes) -> Transcript:
        """Recognise one whole utterance of 16 kHz mono s16le PCM."""

    def open_stream(self) -> BlockingStream | None:
        """Start incremental recognition, or return None if the engine cannot stream."""

    def health(self) -> EngineHealth:
        """Report whether the engine can serve; must return within a few seconds."""
