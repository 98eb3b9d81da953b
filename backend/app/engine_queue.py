"""The bounded queue in front of whole-utterance engine calls: refuse early rather than fail late.

Every call that sends a whole utterance to the engine (each one to the remote Space, and POST
/api/transcribe with any engine) goes through here. At most `concurrency` run at once; others
wait in order. A call is refused at once, with a retry hint, when

- every slot is taken and `max_waiting` calls wait already, or the audio held would pass
  `max_bytes`;
- it could not finish within `deadline_s` at the measured pace (a moving average of how long
  calls take, times the calls ahead of it);
- its client made `per_minute` calls in the last minute.

A call that is admitted has `deadline_s` in all, waiting included: the engine call gets what is
left as its timeout, and one that is still waiting at the deadline is refused then.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Awaitable, Callable
from typing import TypeVar

import anyio

from backend.app.errors import RateLimitError
from backend.app.readiness import EngineMonitor
from featherweight.errors import AudioError, EngineBusyError, FeatherweightError

T = TypeVar("T")
WINDOW_S = 60.0
SMOOTHING = 0.2  # weight of the newest call in the moving average of call durations
MIN_CALL_S = 1.0  # a slot that comes free with less time left than this is no use


class ClientRate:
    """Counts each client's engine calls over the last minute and refuses one past the limit."""

    def __init__(self, per_minute: int) -> None:
        self.per_minute = per_minute
        self._calls: dict[str, deque[float]] = {}

    def take(self, client: str) -> None:
        """Count one call for `client`, or raise RateLimitError with the wait until a slot frees."""
        now = time.monotonic()
        calls = self._calls.setdefault(client, deque())
        while calls and calls[0] <= now - WINDOW_S:
            calls.popleft()
        if len(calls) >= self.per_minute:
            wait = calls[0] + WINDOW_S - now
            raise RateLimitError(
                f"this client made {self.per_minute} engine calls in the last minute, its limit: "
                f"try again in {math.ceil(wait)} s",
                retry_after=wait,
            )
        calls.append(now)
        if len(self._calls) > 10_000:  # forget clients with no call in the window
            self._calls = {
                key: dq for key, dq in self._calls.items() if dq and dq[-1] > now - WINDOW_S
            }


class EngineQueue:
    """Runs engine calls `concurrency` at a time within a deadline, refusing what cannot finish."""

    def __init__(
        self,
        *,
        concurrency: int,
        max_waiting: int,
        max_bytes: int,
        deadline_s: float,
        per_minute: int,
        monitor: EngineMonitor | None = None,
    ) -> None:
        self.concurrency = concurrency
        self.max_waiting = max_waiting
        self.max_bytes = max_bytes
        self.deadline_s = deadline_s
        self.rate = ClientRate(per_minute)
        self.monitor = monitor or EngineMonitor()
        self.waiting = self.running = self.bytes = 0
        self.mean_s: float | None = None  # how long a call takes, once one has finished
        self._slots = anyio.Semaphore(concurrency)  # FIFO: waiters are served in order

    async def run(self, call: Callable[[float], Awaitable[T]], *, size: int, client: str) -> T:
        """Run `call(timeout)` when a slot is free; `size` is the audio bytes it holds.

        Raises:
            EngineBusyError: refused (retry_after says when to try again), or the deadline
                passed while it waited.
            RateLimitError: the client is over its calls per minute.
        """
        self._admit(size)
        self.rate.take(client)
        deadline = time.monotonic() + self.deadline_s
        self.bytes += size
        try:
            got_slot = False
            self.waiting += 1
            try:
                with anyio.move_on_after(self.deadline_s):
                    await self._slots.acquire()
                    got_slot = True
            finally:
                self.waiting -= 1
            left = deadline - time.monotonic()
            if not got_slot or left < min(MIN_CALL_S, self.deadline_s / 10):
                if got_slot:
                    self._slots.release()
                raise EngineBusyError(
                    f"no engine slot came free within {self.deadline_s:g} s: try again later",
                    self.retry_after(),
                )
            try:
                return await self._call(call, left)
            finally:
                self._slots.release()
        finally:
            self.bytes -= size

    async def _call(self, call: Callable[[float], Awaitable[T]], timeout: float) -> T:
        self.running += 1
        started = time.monotonic()
        try:
            result = await call(timeout)
        except (AudioError, EngineBusyError):
            raise  # the client's audio or our own refusal: says nothing about the engine
        except FeatherweightError as exc:
            self._learn(time.monotonic() - started)
            self.monitor.record(False, str(exc))
            raise
        finally:
            self.running -= 1
        self._learn(time.monotonic() - started)
        self.monitor.record(True)
        return result

    def retry_after(self) -> float:
        """Seconds until the calls now queued and running have probably finished."""
        rounds = (self.waiting + self.running) / self.concurrency
        return max(1.0, rounds * (self.mean_s or 1.0))

    def _admit(self, size: int) -> None:
        if self.waiting + self.running >= self.concurrency + self.max_waiting:
            raise EngineBusyError(
                f"{self.running} engine calls are running and {self.waiting} waiting already: "
                "try again later",
                self.retry_after(),
            )
        if self.bytes + size > self.max_bytes:
            raise EngineBusyError(
                "the engine queue holds all the audio it may: try again later", self.retry_after()
            )
        if self.mean_s is not None:
            ahead = self.waiting + self.running + 1 - self.concurrency
            expected = max(0, math.ceil(ahead / self.concurrency)) * self.mean_s + self.mean_s
            if expected > self.deadline_s:
                raise EngineBusyError(
                    f"the engine could not finish this within {self.deadline_s:g} s "
                    f"(about {expected:.0f} s at its pace now): try again later",
                    self.retry_after(),
                )

    def _learn(self, seconds: float) -> None:
        mean = self.mean_s
        self.mean_s = seconds if mean is None else mean + SMOOTHING * (seconds - mean)
