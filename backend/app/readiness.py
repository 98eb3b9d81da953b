"""Engine health for GET /health: bounded in time, run off the event loop, cached briefly."""

from __future__ import annotations

import math

import anyio

from featherweight.asr.base import Engine, EngineHealth


async def probe(engine: Engine, timeout: float) -> EngineHealth:
    """Ask the engine for its health in a worker thread; give up after `timeout` seconds."""
    with anyio.move_on_after(timeout):
        try:
            # Abandoned rather than awaited on timeout: a hung Space must not hang the probe.
            return await anyio.to_thread.run_sync(engine.health, abandon_on_cancel=True)
        except Exception as exc:  # the engine's own bug: report it, keep serving
            return EngineHealth(False, f"health check failed: {type(exc).__name__}: {exc}")
    return EngineHealth(False, f"health check took longer than {timeout:g} s")


class HealthCache:
    """The last health answer per engine, reused for `ttl` seconds.

    Render probes every few seconds; each probe of the remote engine would otherwise be a
    request to someone else's Space. A lock makes concurrent probes share one check.
    """

    def __init__(self, ttl: float = 5.0, timeout: float = 3.0) -> None:
        self.ttl = ttl
        self.timeout = timeout
        self._lock: anyio.Lock | None = None
        self._engine: Engine | None = None
        self._checked_at = -math.inf
        self._last = EngineHealth(False, "not checked yet")

    async def check(self, engine: Engine) -> EngineHealth:
        """The engine's health, from the cache when it is fresh."""
        self._lock = self._lock or anyio.Lock()
        async with self._lock:
            fresh = anyio.current_time() - self._checked_at < self.ttl
            if engine is not self._engine or not fresh:
                self._last = await probe(engine, self.timeout)
                self._engine, self._checked_at = engine, anyio.current_time()
            return self._last
