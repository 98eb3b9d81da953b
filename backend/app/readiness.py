"""Engine health for GET /health: what the engine did lately, or a bounded real probe.

A config endpoint that answers says little: a Space can serve its config while every
transcription fails (asleep, broken, answering garbage). So health is judged by the outcome of
the engine's real calls within the last `window_s`; only when there were none does /health make
one real call of its own (the engine's `health()`: the remote engine transcribes half a second
of silence), bounded by `timeout`, and that outcome then stands for the window like any other.
"""

from __future__ import annotations

import time
from collections import deque
from dataclasses import dataclass

import anyio

from featherweight.asr.base import Engine, EngineHealth
from featherweight.urls import redact


@dataclass(frozen=True)
class Outcome:
    at: float
    ok: bool
    detail: str
    probe: bool = False


async def probe(engine: Engine, timeout: float) -> EngineHealth:
    """Ask the engine for its health; give up after `timeout` seconds."""
    with anyio.move_on_after(timeout):
        try:
            return await engine.health()
        except Exception as exc:  # the engine's own bug: report it, keep serving
            return EngineHealth(False, f"health check failed: {type(exc).__name__}: {exc}")
    return EngineHealth(False, f"health check took longer than {timeout:g} s")


class EngineMonitor:
    """Keeps the outcome of recent engine calls and turns them into a health answer."""

    def __init__(self, window_s: float = 60.0, timeout: float = 3.0) -> None:
        self.window_s = window_s
        self.timeout = timeout
        self._outcomes: deque[Outcome] = deque(maxlen=100)
        self._probing: anyio.Lock | None = None

    def record(self, ok: bool, detail: str = "", *, probe: bool = False) -> None:
        """Note how a real engine call ended (not calls refused before reaching the engine)."""
        self._outcomes.append(Outcome(time.monotonic(), ok, redact(detail), probe))

    async def check(self, engine: Engine) -> EngineHealth:
        """Health from the calls of the last window, or from a probe when there were none."""
        recent = self._recent()
        if not recent:
            self._probing = self._probing or anyio.Lock()
            async with self._probing:  # concurrent checks share one probe
                recent = self._recent()
                if not recent:
                    state = await probe(engine, self.timeout)
                    self.record(state.ok, state.detail, probe=True)
                    recent = [self._outcomes[-1]]
        return summarise(recent)

    def _recent(self) -> list[Outcome]:
        since = time.monotonic() - self.window_s
        return [outcome for outcome in self._outcomes if outcome.at >= since]


def summarise(recent: list[Outcome]) -> EngineHealth:
    """`degraded` when the latest call failed; the detail counts the failures in the window."""
    last = recent[-1]
    if last.probe:
        return EngineHealth(last.ok, "" if last.ok else last.detail)
    failed = sum(not outcome.ok for outcome in recent)
    if last.ok:
        detail = f"{failed} of the last {len(recent)} engine calls failed" if failed else ""
        return EngineHealth(True, detail)
    age = time.monotonic() - last.at
    return EngineHealth(
        False,
        f"{failed} of the last {len(recent)} engine calls failed; the latest, {age:.0f} s ago: "
        f"{last.detail}",
    )
