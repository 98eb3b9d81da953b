"""The objects every request shares, made once at start-up and kept on `app.state.service`."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TypeVar

import anyio

from backend.app.protocol import TRY_LATER, ProtocolError
from backend.app.readiness import HealthCache
from featherweight.asr.base import Engine
from featherweight.errors import EngineError, FeatherweightError

logger = logging.getLogger("uvicorn.error")

T = TypeVar("T")


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
            raise ProtocolError("busy", message, TRY_LATER)
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
    engine_calls: anyio.CapacityLimiter
    sessions: SessionGate
    health: HealthCache = field(default_factory=HealthCache)

    async def call(self, function: Callable[..., T], *args: object) -> T:
        """Run a blocking engine call in a worker thread, at most `engine_calls` at once.

        An engine's own bug surfaces as EngineError (logged with its traceback), so the
        client gets an error message instead of a dropped connection.
        """
        try:
            return await anyio.to_thread.run_sync(function, *args, limiter=self.engine_calls)
        except FeatherweightError:
            raise
        except Exception as exc:
            logger.exception("An engine call failed unexpectedly")
            raise EngineError(f"unexpected {type(exc).__name__}: {exc}") from exc
