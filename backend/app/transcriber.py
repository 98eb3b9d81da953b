"""The engine side of a session: speech chunks in, partials and finals out.

Streaming engines (pocketsphinx) get each chunk as it comes and give partials; the others get
the whole utterance, through the service's engine queue, when it ends. Stream calls that fail
count against the engine's health, as queued calls do.
"""

from __future__ import annotations

from typing import Any

import anyio

from backend.app import protocol
from backend.app.errors import ShuttingDownError
from backend.app.state import Service
from featherweight.asr.base import Stream
from featherweight.audio import Chunk
from featherweight.errors import AudioError, EngineBusyError, FeatherweightError

Reply = dict[str, Any]


class Transcriber:
    """One session's utterances through the engine, in order; `utterances` counts the finals."""

    def __init__(self, service: Service, client: str) -> None:
        self.service = service
        self.client = client
        self.utterances = 0
        self._may_stream = True
        self._stream: Stream | None = None
        self._buffer = bytearray()
        self._last_partial: str | None = None

    async def take(self, chunk: Chunk) -> list[Reply]:
        replies = await self._add(chunk.pcm) if chunk.pcm else []
        if chunk.ends_utterance:
            replies += await self.end_utterance()
        return replies

    async def _add(self, pcm: bytes) -> list[Reply]:
        engine = self.service.engine
        if self._stream is None and self._may_stream and not self._buffer:
            self._stream = await self._record(engine.open_stream())
            self._may_stream = self._stream is not None
        if self._stream is None:
            self._buffer += pcm
            return []
        text = await self._record(self._stream.feed(pcm))
        if not text or text == self._last_partial:
            return []
        self._last_partial = text
        return [protocol.partial(text)]

    async def end_utterance(self) -> list[Reply]:
        if self._stream is not None:
            stream, self._stream = self._stream, None
            transcript = await self._record(stream.finish(), outcome=True)
        elif self._buffer:
            pcm, self._buffer = bytes(self._buffer), bytearray()
            transcript = await self.service.transcribe(pcm, self.client)
        else:
            return []
        self._last_partial = None
        text = transcript.text.strip()
        if not text:  # silence or noise: no final, so `utterance` counts what was said
            return []
        self.utterances += 1
        return [protocol.final(text, self.utterances)]

    async def _record(self, call: Any, *, outcome: bool = False) -> Any:
        """Await a stream call, noting an engine failure (or, with `outcome`, a success)."""
        try:
            result = await call
        except (AudioError, EngineBusyError, ShuttingDownError):
            raise
        except FeatherweightError as exc:
            self.service.monitor.record(False, str(exc))
            raise
        if outcome:
            self.service.monitor.record(True)
        return result

    async def abandon(self) -> None:
        """Drop an open stream whose text nobody will read, so the engine gets it back."""
        stream, self._stream = self._stream, None
        if stream is not None:
            with anyio.CancelScope(shield=True):
                await stream.aclose()
