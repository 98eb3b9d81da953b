"""Run a blocking engine in one worker thread of its own, as an async `Engine`.

For engines that release the GIL while they compute (SenseVoice: torch) or that are cheap.
One thread runs every call in order, so a stream's calls never overlap, even when the caller
stops waiting for one (cancellation): the call finishes in the thread and the next one queues
behind it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from featherweight.asr.base import BlockingEngine, BlockingStream, EngineHealth, Transcript
from featherweight.errors import EngineError, FeatherweightError

T = TypeVar("T")


class ThreadedEngine:
    """`engine`'s calls, one at a time, in a thread: the event loop never waits on them."""

    def __init__(self, engine: BlockingEngine) -> None:
        self.name = engine.name
        self.blocking = engine
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"engine-{self.name}")

    async def transcribe(self, pcm: bytes, timeout: float | None = None) -> Transcript:
        """Recognise one whole utterance; stop waiting after `timeout` seconds."""
        return await within(timeout, self.name, self.run(self.blocking.transcribe, pcm))

    async def open_stream(self) -> ThreadedStream | None:
        """Start a stream, or None if the engine takes whole utterances only."""
        stream = await self.run(self.blocking.open_stream)
        return ThreadedStream(self, stream) if stream is not None else None

    async def health(self) -> EngineHealth:
        """The engine's own health check, run in its thread."""
        return await self.run(self.blocking.health)

    async def aclose(self) -> None:
        """Stop the thread once its queued calls are done; close the engine if it can be."""
        close = getattr(self.blocking, "close", None)
        if callable(close):
            await self.run(close)
        self._thread.shutdown(wait=False, cancel_futures=True)

    async def run(self, function: Callable[..., T], *args: object) -> T:
        """Call `function(*args)` in the engine's thread; an engine bug becomes EngineError."""
        try:
            return await asyncio.wrap_future(self._thread.submit(function, *args))
        except FeatherweightError:
            raise
        except Exception as exc:
            raise EngineError(f"engine {self.name!r} failed: {type(exc).__name__}: {exc}") from exc


async def within(timeout: float | None, name: str, call: Awaitable[T]) -> T:
    """Await `call`, raising EngineError if it takes more than `timeout` seconds."""
    try:
        async with asyncio.timeout(timeout):
            return await call
    except TimeoutError:
        raise EngineError(f"engine {name!r} did not finish within {timeout:.3g} s") from None


class ThreadedStream:
    """A blocking stream whose calls run in its engine's thread."""

    def __init__(self, engine: ThreadedEngine, stream: BlockingStream) -> None:
        self._engine = engine
        self._stream: BlockingStream | None = stream

    async def feed(self, pcm: bytes) -> str | None:
        return await self._engine.run(self._live().feed, pcm)

    async def finish(self) -> Transcript:
        stream, self._stream = self._live(), None
        return await self._engine.run(stream.finish)

    async def aclose(self) -> None:
        """Finish the stream and drop its text: that is how a blocking engine frees it."""
        stream, self._stream = self._stream, None
        if stream is not None:
            with contextlib.suppress(FeatherweightError):
                await self._engine.run(stream.finish)

    def _live(self) -> BlockingStream:
        if self._stream is None:
            raise EngineError("this stream is finished: open a new one for the next utterance")
        return self._stream
