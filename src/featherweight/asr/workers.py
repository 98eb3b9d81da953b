"""Run a blocking engine in worker processes, as an async `Engine` that uses every core.

For engines whose extension holds the GIL while it computes (pocketsphinx): threads would take
turns on one core and stall the event loop. Each worker is one process with its own copy of the
engine, fed by a one-process `ProcessPoolExecutor`, so its calls run in order. A stream stays on
the worker that opened it (its decoder lives there); whole utterances go to the least busy one.
A worker that dies is replaced on the next call; the streams it held fail with EngineError.

Memory is the limit to watch: each worker holds its engine, and pocketsphinx a ~90 MiB decoder
per open stream, so `streams_per_worker` caps the streams a worker holds at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

from featherweight.asr.base import BlockingEngine, BlockingStream, EngineHealth, Transcript
from featherweight.asr.threaded import within
from featherweight.errors import EngineBusyError, EngineError, FeatherweightError

T = TypeVar("T")
CLOSE_TIMEOUT = 3.0  # seconds a worker may take to finish its call and exit when closed

# What a worker process holds: its engine and the streams opened on it, by id.
_engine: BlockingEngine | None = None
_streams: dict[int, BlockingStream] = {}


def usable_cores() -> int:
    """The cores this process may run on (its affinity), at least 1."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _load(factory: Callable[..., BlockingEngine], options: dict[str, Any]) -> None:
    global _engine
    # The parent owns shutdown: Ctrl-C in a terminal reaches the whole process group.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _engine = factory(**options)


def _get() -> BlockingEngine:
    if _engine is None:
        raise EngineError("the engine worker has no engine loaded")
    return _engine


def _transcribe(pcm: bytes) -> Transcript:
    return _get().transcribe(pcm)


def _open(stream_id: int) -> bool:
    stream = _get().open_stream()
    if stream is not None:
        _streams[stream_id] = stream
    return stream is not None


def _feed(stream_id: int, pcm: bytes) -> str | None:
    return _streams[stream_id].feed(pcm)


def _finish(stream_id: int) -> Transcript:
    return _streams.pop(stream_id).finish()


def _drop(stream_id: int) -> None:
    stream = _streams.pop(stream_id, None)
    if stream is not None:
        with contextlib.suppress(FeatherweightError):
            stream.finish()


def _health() -> EngineHealth:
    return _get().health()


class _Worker:
    """One process; `generation` changes when a dead one is replaced."""

    def __init__(self, factory: Callable[..., BlockingEngine], options: dict[str, Any]) -> None:
        self._factory, self._options = factory, options
        self.streams = 0  # open streams
        self.pending = 0  # calls submitted and not answered
        self.generation = 0
        self._pool = self._spawn()

    def _spawn(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("spawn"))

    def load(self) -> Future[None]:
        return self._pool.submit(_load, self._factory, self._options)

    async def call(self, function: Callable[..., T], *args: object) -> T:
        pool = self._pool
        self.pending += 1
        try:
            future = pool.submit(function, *args)
            try:
                return await asyncio.wrap_future(future)
            except asyncio.CancelledError:
                future.cancel()  # drops it if it has not started; a running call finishes
                raise
        except BrokenProcessPool:
            if pool is self._pool:  # the first caller to notice replaces it
                self._replace()
            raise EngineError("the engine's worker process died; it has been restarted") from None
        except FeatherweightError:
            raise
        except Exception as exc:
            raise EngineError(f"the engine failed: {type(exc).__name__}: {exc}") from exc
        finally:
            self.pending -= 1

    def _replace(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self.generation += 1
        self.streams = 0
        self._pool = self._spawn()
        self.load()  # queued first: every later call runs after it

    def shutdown(self, timeout: float = CLOSE_TIMEOUT) -> None:
        """Let the call in progress end and the process exit; stop it if that takes too long.

        A clean exit frees the executor's queues (a killed process leaves their semaphores to
        multiprocessing's resource tracker, which then warns about them).
        """
        # ProcessPoolExecutor has no public handle on its processes, hence `_processes`.
        processes = list((getattr(self._pool, "_processes", None) or {}).values())
        closing = threading.Thread(
            target=self._pool.shutdown, kwargs={"cancel_futures": True}, daemon=True
        )
        closing.start()
        closing.join(timeout)
        if closing.is_alive():
            for process in processes:
                process.terminate()
            for process in processes:
                process.join(timeout)


class ProcessPoolEngine:
    """A blocking engine in `workers` processes, each holding at most `streams_per_worker` streams.

    Construction blocks until every worker has loaded its engine, so a model that cannot load
    fails here, with its own error.

    Raises:
        EngineError: from the engine's constructor in a worker (e.g. EngineUnavailableError).
    """

    def __init__(
        self,
        name: str,
        factory: Callable[..., BlockingEngine],
        options: dict[str, Any],
        *,
        workers: int,
        streams_per_worker: int,
    ) -> None:
        if workers < 1 or streams_per_worker < 1:
            raise EngineError(
                f"workers ({workers}) and streams_per_worker ({streams_per_worker}) must be >= 1"
            )
        self.name = name
        self.streams_per_worker = streams_per_worker
        self._workers = [_Worker(factory, options) for _ in range(workers)]
        self._ids = itertools.count(1)
        try:
            for future in [worker.load() for worker in self._workers]:
                future.result()
        except BaseException:
            for worker in self._workers:
                worker.shutdown(timeout=0)
            raise

    @property
    def capacity(self) -> int:
        """Streams it holds at once: workers times streams per worker."""
        return len(self._workers) * self.streams_per_worker

    async def transcribe(self, pcm: bytes, timeout: float | None = None) -> Transcript:
        """Recognise one whole utterance on the least busy worker, waiting up to `timeout` s.

        A call that runs past `timeout` still finishes in its worker (a process cannot be
        stopped mid-call without losing the streams it holds); only the wait ends.
        """
        worker = min(self._workers, key=lambda w: (w.pending, w.streams))
        return await within(timeout, self.name, worker.call(_transcribe, pcm))

    async def open_stream(self) -> ProcessStream | None:
        """Open a stream on the worker with the fewest.

        Raises:
            EngineBusyError: every worker holds `streams_per_worker` streams.
        """
        worker = min(self._workers, key=lambda w: (w.streams, w.pending))
        if worker.streams >= self.streams_per_worker:
            raise EngineBusyError(
                f"all {self.capacity} {self.name} streams are in use: try again shortly"
            )
        stream_id = next(self._ids)
        worker.streams += 1
        try:
            opened = await worker.call(_open, stream_id)
        except BaseException:
            worker.streams -= 1
            raise
        if not opened:
            worker.streams -= 1
            return None
        return ProcessStream(worker, stream_id)

    async def health(self) -> EngineHealth:
        """Ask every worker; the first that cannot serve makes the answer."""
        for index, worker in enumerate(self._workers):
            try:
                health = await worker.call(_health)
            except EngineError as exc:
                return EngineHealth(False, f"worker {index}: {exc}")
            if not health.ok:
                return health
        return EngineHealth(True, f"{len(self._workers)} worker processes")

    async def aclose(self) -> None:
        """Stop every worker process: within CLOSE_TIMEOUT, or by force after it."""

        def close_all() -> None:
            closing = [threading.Thread(target=w.shutdown, daemon=True) for w in self._workers]
            for thread in closing:
                thread.start()
            for thread in closing:
                thread.join()

        await asyncio.to_thread(close_all)


class ProcessStream:
    """A stream that lives in one worker process."""

    def __init__(self, worker: _Worker, stream_id: int) -> None:
        self._worker = worker
        self._id = stream_id
        self._generation = worker.generation
        self._open = True

    async def feed(self, pcm: bytes) -> str | None:
        self._check()
        return await self._worker.call(_feed, self._id, pcm)

    async def finish(self) -> Transcript:
        self._check()
        self._release()
        return await self._worker.call(_finish, self._id)

    async def aclose(self) -> None:
        """Drop the stream in its worker (after any call of it still running there)."""
        if not self._open:
            return
        self._release()
        if self._generation == self._worker.generation:
            with contextlib.suppress(FeatherweightError):
                await self._worker.call(_drop, self._id)

    def _check(self) -> None:
        if not self._open:
            raise EngineError("this stream is finished: open a new one for the next utterance")
        if self._generation != self._worker.generation:
            self._release()
            raise EngineError("this stream was lost when its worker process restarted")

    def _release(self) -> None:
        self._open = False
        if self._generation == self._worker.generation:
            self._worker.streams -= 1
