"""One /ws/asr session: a reader that never stops reading, and a worker that feeds the engine.

The reader takes every client message as it arrives, applies the protocol, cuts the audio into
utterances and queues the speech for the worker; the worker sends it to the engine and the
replies to the client. The two are apart so that a slow engine call never leaves the socket
unread: the server's keepalive pings still get their pongs, and a client that leaves is noticed
at once, which cancels its engine work.

How the session ends is in `outcome` (None: the client sent stop and got its finals). The
engine side, from speech to finals, is backend/app/transcriber.py.
"""

from __future__ import annotations

import logging
import math
import secrets
from dataclasses import dataclass

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
from fastapi import WebSocket

from backend.app import protocol
from backend.app.clients import charge_frame
from backend.app.config import Settings
from backend.app.errors import public_error
from backend.app.protocol import (
    ENGINE_FAILED,
    POLICY,
    RESTARTING,
    TRY_LATER,
    Audio,
    Event,
    ProtocolError,
    Start,
    Stop,
)
from backend.app.state import Service
from backend.app.transcriber import Reply, Transcriber
from featherweight.asr.base import SAMPLE_RATE
from featherweight.audio import Chunk, Segmenter
from featherweight.errors import FeatherweightError

logger = logging.getLogger("uvicorn.error")
BYTES_PER_SECOND = SAMPLE_RATE * 2


@dataclass(frozen=True)
class End:
    """The last item for the worker: finish what is queued, then end with `error` (or 1000)."""

    error: ProtocolError | None = None


def shutting_down() -> ProtocolError:
    message = "the server is restarting: reconnect to continue"
    return ProtocolError("shutting_down", message, RESTARTING, flush=True, retry_after=1.0)


def engine_failure(exc: FeatherweightError, session: str) -> ProtocolError:
    """The error and close code for an engine call that failed or was refused."""
    failure = public_error(exc, f"session {session}")
    close = {"busy": TRY_LATER, "rate_limited": POLICY, "shutting_down": RESTARTING}
    error = ProtocolError(
        failure.code,
        failure.message,
        close.get(failure.code, ENGINE_FAILED),
        error_id=failure.error_id,
        retry_after=failure.retry_after,
    )
    error.logged = True
    return error


class Session:
    """State of one connection; `run()` serves it, `close()` tells the client how it ended."""

    def __init__(self, websocket: WebSocket, service: Service, settings: Settings) -> None:
        self.id = secrets.token_hex(4)
        self.websocket = websocket
        self.service = service
        self.settings = settings
        self.client = websocket.client.host if websocket.client else "unknown"
        self.segmenter = Segmenter(
            sample_rate=SAMPLE_RATE,
            threshold_dbfs=settings.silence_threshold_dbfs,
            silence_ms=settings.silence_ms,
            max_utterance_s=settings.max_utterance_s,
        )
        self.deadline = anyio.current_time() + settings.max_session_s
        self.max_audio_bytes = int(settings.max_session_s * BYTES_PER_SECOND)
        self.max_backlog_bytes = int(settings.max_backlog_s * BYTES_PER_SECOND)
        self.audio_bytes = self.backlog_bytes = 0
        self.started = False  # a start message or audio has arrived
        self.stopped = False  # stop (or an ending error) has arrived: later messages are ignored
        self.gone = False  # the client left
        self.transcriber = Transcriber(service, self.client)
        self.engine_utterances = 0  # utterances cut from the audio, each an engine call
        self.outcome: ProtocolError | None = None
        self._work_scope = anyio.CancelScope()
        self._inbox: MemoryObjectSendStream[Chunk | End]
        self._outbox: MemoryObjectReceiveStream[Chunk | End]

    async def run(self) -> None:
        """Serve the session until it ends; cancelling it (shutdown) drops the engine work."""
        # Unbounded in items; the audio in it is bounded by max_backlog_s.
        self._inbox, self._outbox = anyio.create_memory_object_stream[Chunk | End](math.inf)
        try:
            with self._inbox, self._outbox:
                await self._serve()
        finally:
            await self.transcriber.abandon()

    async def _serve(self) -> None:
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(self._read)
            tasks.start_soon(self._watch_drain)
            await self._work()
            tasks.cancel_scope.cancel()

    async def greet(self) -> bool:
        """Send `ready`; False if the client has already left."""
        settings = self.settings
        ready = protocol.ready(
            self.service.engine.name, settings.max_frame_bytes, settings.max_session_s
        )
        try:
            await self.websocket.send_json(ready)
        except Exception:
            self.gone = True
        return not self.gone

    async def close(self) -> None:
        """Send the error that ended the session, if any, and close with its code."""
        outcome = self.outcome
        if outcome is not None and not outcome.logged:
            logger.info("session %s: %s %s: %s", self.id, outcome.close_code, outcome.code,
                        outcome.message)  # fmt: skip
        if self.gone:
            return
        try:
            if outcome is not None:
                await self.websocket.send_json(outcome.frame())
            await self.websocket.close(outcome.close_code if outcome else protocol.NORMAL)
        except Exception:  # the client left meanwhile: nothing to tell it
            self.gone = True

    # -- the reader ----------------------------------------------------------------------------

    async def _read(self) -> None:
        while True:
            timeout = math.inf if self.stopped else self._receive_timeout()
            message = None
            with anyio.move_on_after(timeout):
                try:
                    message = await self.websocket.receive()
                except Exception:  # the connection broke under the read
                    break
            if message is None:
                self._end(self._timed_out())
            elif message["type"] == "websocket.disconnect":
                break
            elif not self.stopped:
                try:
                    self._apply(
                        protocol.parse_message(dict(message), self.settings.max_frame_bytes)
                    )
                except ProtocolError as exc:
                    self._end(exc)
        self.gone = True
        self._work_scope.cancel()  # nobody will read its results

    def _apply(self, event: Event) -> None:
        if isinstance(event, Start):
            if self.started:  # checked before the fields: a second start is this, whatever it holds
                message = "start must be the first message, and come once"
                raise ProtocolError("unexpected_start", message, POLICY)
            protocol.check_start(event.fields)
            self.started = True
        elif isinstance(event, Stop):
            self._end(None)
        else:
            charge_frame(self.websocket, event)  # the client's audio budget (clients.py)
            self._add_audio(event)

    def _add_audio(self, audio: Audio) -> None:
        if self.audio_bytes + len(audio.pcm) > self.max_audio_bytes:
            raise self._too_long()
        self.started = True
        self.audio_bytes += len(audio.pcm)
        for chunk in self.segmenter.feed(audio.pcm):
            self._queue(chunk)
            if chunk.ends_utterance:
                self.engine_utterances += 1
                if self.engine_utterances >= self.settings.max_utterances_per_session:
                    limit = self.settings.max_utterances_per_session
                    message = (
                        f"the session reached its limit of {limit} utterances: start a new one"
                    )
                    raise ProtocolError("too_many_utterances", message, POLICY, flush=True)
        if self.backlog_bytes > self.max_backlog_bytes:
            seconds = self.backlog_bytes / BYTES_PER_SECOND
            message = f"{seconds:.0f} s of audio are waiting for the engine: try again later"
            raise ProtocolError("busy", message, TRY_LATER, retry_after=seconds)

    def _queue(self, item: Chunk | End) -> None:
        if isinstance(item, Chunk):
            self.backlog_bytes += len(item.pcm)
        self._inbox.send_nowait(item)

    def _end(self, error: ProtocolError | None) -> None:
        """Stop taking messages; finish the queued audio first when the error allows it."""
        self.stopped = True
        if error is None or error.flush:
            self._queue(End(error))
        else:
            self.outcome = error
            self._work_scope.cancel()

    async def _watch_drain(self) -> None:
        await self.service.drain.started.wait()
        if not self.stopped:  # a session that sent stop finishes normally
            self._end(shutting_down())

    def _receive_timeout(self) -> float:
        left = self.deadline - anyio.current_time()
        return max(0.0, min(self.settings.idle_timeout_s, left))

    def _timed_out(self) -> ProtocolError:
        if anyio.current_time() >= self.deadline:
            return self._too_long()
        limit = self.settings.idle_timeout_s
        return ProtocolError(
            "idle_timeout", f"no message for {limit:g} s: closing", POLICY, flush=True
        )

    def _too_long(self) -> ProtocolError:
        limit = self.settings.max_session_s
        message = f"the session passed its limit of {limit:g} s: start a new one"
        return ProtocolError("session_too_long", message, POLICY, flush=True)

    # -- the worker ----------------------------------------------------------------------------

    async def _work(self) -> None:
        with self._work_scope:
            try:
                async for item in self._outbox:
                    if isinstance(item, End):
                        await self._finish(item)
                        return
                    self.backlog_bytes -= len(item.pcm)
                    await self._send(await self.transcriber.take(item))
            except FeatherweightError as exc:
                self.outcome = engine_failure(exc, self.id)

    async def _finish(self, end: End) -> None:
        """The finals of what is left, then the session's outcome."""
        try:
            chunk = self.segmenter.flush()
            await self._send(await self.transcriber.take(chunk) if chunk else [])
            await self._send(await self.transcriber.end_utterance())
        except FeatherweightError as exc:
            if end.error is None:
                raise
            # Logged; the error below says why the session ends.
            public_error(exc, f"session {self.id}")
        self.outcome = end.error

    async def _send(self, replies: list[Reply]) -> None:
        for reply in replies:
            await self.websocket.send_json(reply)
