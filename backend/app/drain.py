"""Draining shutdown: on SIGTERM, finish the work in hand before uvicorn closes the sockets.

uvicorn's own shutdown closes every WebSocket with 1012 at once, before the app hears of it, so
a client that had sent `stop` never got its final. So the app takes SIGTERM first (it chains in
front of uvicorn's handler at start-up) and drains:

1. it takes no new work: new sessions get `shutting_down` and 1012, new requests 503;
2. sessions that sent `stop` and requests in progress finish; open sessions get the finals of
   what they have sent so far, then `shutting_down` and 1012;
3. whatever is still running after `grace_s` is cancelled (sessions close 1012, requests 503);
4. then it hands the signal to uvicorn, which finds nothing left and exits.

`grace_s` plus a few seconds must stay below the platform's kill delay (Render's
maxShutdownDelaySeconds); uvicorn's --timeout-graceful-shutdown then only bounds step 4.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import FrameType
from typing import Any

import anyio

logger = logging.getLogger("uvicorn.error")
SETTLE_S = 3.0  # after the grace period, time for cancelled work to send its close


class Drain:
    """Tracks the work in progress (sessions, requests) and drains it on `run()`."""

    def __init__(self, grace_s: float) -> None:
        self.grace_s = grace_s
        self.draining = False
        self.started = anyio.Event()
        self._scopes: set[anyio.CancelScope] = set()

    @property
    def active(self) -> int:
        """Sessions and requests in progress."""
        return len(self._scopes)

    @contextmanager
    def work(self) -> Iterator[anyio.CancelScope]:
        """Count one session or request as work in progress; the end of the grace cancels it."""
        with anyio.CancelScope() as scope:
            self._scopes.add(scope)
            try:
                yield scope
            finally:
                self._scopes.discard(scope)

    async def run(self) -> None:
        """Stop taking work, wait up to `grace_s` for the work in hand, then cancel the rest."""
        if self.draining:
            return
        self.draining = True
        self.started.set()
        logger.info("Draining %d sessions and requests (up to %g s).", self.active, self.grace_s)
        with anyio.move_on_after(self.grace_s):
            while self._scopes:
                await anyio.sleep(0.05)
        if self._scopes:
            logger.warning("Grace period over: cancelling %d still running.", self.active)
            for scope in list(self._scopes):
                scope.cancel()
            with anyio.move_on_after(SETTLE_S):
                while self._scopes:
                    await anyio.sleep(0.05)
        logger.info("Drained.")

    def install(self) -> Callable[[], None]:
        """Take SIGTERM ahead of the server's handler; return a function that gives it back.

        Only in the main thread (where Python runs signal handlers); elsewhere (tests' portal
        threads) it does nothing, and `run()` is called directly.
        """
        if threading.current_thread() is not threading.main_thread():
            return lambda: None
        loop = asyncio.get_running_loop()
        previous = signal.getsignal(signal.SIGTERM)
        tasks: set[asyncio.Task[None]] = set()

        def restore() -> None:
            if signal.getsignal(signal.SIGTERM) is handler:
                signal.signal(signal.SIGTERM, previous)

        async def drain_then_exit() -> None:
            try:
                await self.run()
            finally:
                restore()
                signal.raise_signal(signal.SIGTERM)  # now the server shuts down as usual

        def start() -> None:
            task = loop.create_task(drain_then_exit())
            tasks.add(task)
            task.add_done_callback(tasks.discard)

        def handler(signum: int, frame: FrameType | None) -> Any:
            if self.draining:  # a second SIGTERM: no more waiting
                restore()
                signal.raise_signal(signum)
                return
            loop.call_soon_threadsafe(start)

        signal.signal(signal.SIGTERM, handler)
        return restore
