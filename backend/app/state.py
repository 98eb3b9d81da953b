"""The objects every request shares, made once at start-up and kept on `app.state.service`."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from backend.app.drain import Drain
from backend.app.engine_queue import EngineQueue
from backend.app.protocol import TRY_LATER, ProtocolError
from backend.app.readiness import EngineMonitor
from featherweight.asr.base import Engine, Transcript


class SessionGate:
    """Counts open WebSocket sessions and refuses one past the limit."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.open = 0

    @contextmanager
    def admit(self) -> Iterator[None]:
        """Hold a place for one session, or raise ProtocolError (1013) when none is free."""
        if self.open >= self.limit:
            message = f"the server is serving its limit of {self.limit} sessions: try again later"
            raise ProtocolError("busy", message, TRY_LATER, retry_after=5.0)
        self.open += 1
        try:
            yield
        finally:
            self.open -= 1


@dataclass
class Service:
    """The engine, its version, and the limits shared by every session and request."""

    engine: Engine
    version: str
    queue: EngineQueue
    sessions: SessionGate
    monitor: EngineMonitor
    drain: Drain

    async def transcribe(self, pcm: bytes, client: str) -> Transcript:
        """One whole utterance through the engine queue (bounded wait, deadline, rate).

        Raises:
            EngineBusyError: refused now; its retry_after says when to try again.
            FeatherweightError: the engine failed or the audio is unusable.
        """

        async def call(timeout: float) -> Transcript:
            return await self.engine.transcribe(pcm, timeout)

        return await self.queue.run(call, size=len(pcm), client=client)
