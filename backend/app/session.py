"""One /ws/asr session: audio in, utterances segmented on silence, partial and final text out."""

from __future__ import annotations

import contextlib
from typing import Any

import anyio

from backend.app.config import Settings
from backend.app.protocol import POLICY, Audio, Event, ProtocolError, Start, Stop, final, partial
from backend.app.state import Service
from featherweight.asr.base import SAMPLE_RATE, Engine, Stream
from featherweight.audio import Chunk, Segmenter
from featherweight.errors import FeatherweightError

Reply = dict[str, Any]
BYTES_PER_SECOND = SAMPLE_RATE * 2


class Session:
    """State of one connection. Streaming engines get each chunk as it comes; others get
    the whole utterance when it ends. Every engine call runs in a worker thread."""

    def __init__(self, service: Service, engine: Engine, settings: Settings) -> None:
        self.service = service
        self.engine = engine
        self.settings = settings
        self.segmenter = Segmenter(
            sample_rate=SAMPLE_RATE,
            threshold_dbfs=settings.silence_threshold_dbfs,
            silence_ms=settings.silence_ms,
            max_utterance_s=settings.max_utterance_s,
        )
        self.deadline = anyio.current_time() + settings.max_session_s
        self.max_audio_bytes = int(settings.max_session_s * BYTES_PER_SECOND)
        self.audio_bytes = 0
        self.started = False  # a start message or audio has arrived
        self.stopped = False
        self.utterances = 0
        self._may_stream = True
        self._stream: Stream | None = None
        self._buffer = bytearray()
        self._last_partial: str | None = None

    def receive_timeout(self) -> float:
        """How long to wait for the next message: the idle limit or what is left of the session."""
        left = self.deadline - anyio.current_time()
        return max(0.0, min(self.settings.idle_timeout_s, left))

    def timed_out(self) -> ProtocolError:
        """The error for a receive that timed out: the session ran too long, or went idle."""
        if anyio.current_time() >= self.deadline:
            return self.too_long()
        limit = self.settings.idle_timeout_s
        return ProtocolError("idle_timeout", f"no message for {limit:g} s: closing", POLICY)

    def too_long(self) -> ProtocolError:
        limit = self.settings.max_session_s
        message = f"the session passed its limit of {limit:g} s: start a new one"
        return ProtocolError("session_too_long", message, POLICY, flush=True)

    async def handle(self, event: Event) -> list[Reply]:
        """Apply one client event; return the messages to send back."""
        if isinstance(event, Start):
            if self.started:
                message = "start must be the first message, and come once"
                raise ProtocolError("unexpected_start", message, POLICY)
            self.started = True
            return []
        if isinstance(event, Stop):
            self.stopped = True
            return await self.finish()
        return await self.feed(event)

    async def feed(self, audio: Audio) -> list[Reply]:
        if self.audio_bytes + len(audio.pcm) > self.max_audio_bytes:
            raise self.too_long()
        self.started = True
        self.audio_bytes += len(audio.pcm)
        replies: list[Reply] = []
        for chunk in self.segmenter.feed(audio.pcm):
            replies += await self._take(chunk)
        return replies

    async def finish(self) -> list[Reply]:
        """End the session's audio: the last utterance's final, if it has any text."""
        chunk = self.segmenter.flush()
        replies = await self._take(chunk) if chunk is not None else []
        return replies + await self._end_utterance()

    async def abandon(self) -> None:
        """Finish an open stream whose text nobody will read, so the engine gets its resources
        back (pocketsphinx returns the decoder to its pool)."""
        stream, self._stream = self._stream, None
        if stream is not None:
            with anyio.CancelScope(shield=True), contextlib.suppress(FeatherweightError):
                await self.service.call(stream.finish)

    async def _take(self, chunk: Chunk) -> list[Reply]:
        replies = await self._add(chunk.pcm) if chunk.pcm else []
        if chunk.ends_utterance:
            replies += await self._end_utterance()
        return replies

    async def _add(self, pcm: bytes) -> list[Reply]:
        if self._stream is None and self._may_stream and not self._buffer:
            self._stream = await self.service.call(self.engine.open_stream)
            self._may_stream = self._stream is not None
        if self._stream is None:
            self._buffer += pcm
            return []
        text = await self.service.call(self._stream.feed, pcm)
        if not text or text == self._last_partial:
            return []
        self._last_partial = text
        return [partial(text)]

    async def _end_utterance(self) -> list[Reply]:
        if self._stream is not None:
            stream, self._stream = self._stream, None
            transcript = await self.service.call(stream.finish)
        elif self._buffer:
            pcm, self._buffer = bytes(self._buffer), bytearray()
            transcript = await self.service.call(self.engine.transcribe, pcm)
        else:
            return []
        self._last_partial = None
        text = transcript.text.strip()
        if not text:  # silence or noise: no final, so `utterance` counts what was said
            return []
        self.utterances += 1
        return [final(text, self.utterances)]
