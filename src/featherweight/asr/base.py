"""The engine protocol every speech engine implements, and its result types."""

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

    def feed(self, pcm: bytes) -> str | None:
        """Add PCM; return the current partial hypothesis, or None if there is none yet."""

    def finish(self) -> Transcript:
        """End the utterance and return its final transcript."""


@runtime_checkable
class Engine(Protocol):
    """A speech-to-text engine. Calls block: run them in a worker thread from async code."""

    name: str

    def transcribe(self, pcm: bytes) -> Transcript:
        """Recognise one whole utterance of 16 kHz mono s16le PCM."""

    def open_stream(self) -> Stream | None:
        """Start incremental recognition, or return None if the engine cannot stream."""

    def health(self) -> EngineHealth:
        """Report whether the engine can serve; must return within a few seconds."""
