"""Streams held at real-time pace: climb the concurrency until p95 stop-to-final passes a limit.

Each level is one run of tools.loadgen (clients streaming a speech fixture in real time, back
to back, with /live probed alongside). A level holds when every session closed 1000 and the p95
from `stop` to the last final stayed within the limit. The climb grows the level while levels
hold, then bisects between the highest that held and the lowest that did not. For each level
it also takes the CPU of every process that matters (the server and each of its children, the
stand-in Space, the load client itself), so the report can say what was busy.
"""

from __future__ import annotations

import asyncio
import os
import resource
import statistics
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from scripts.proc import progress
from tools.bench.context import Context
from tools.loadgen import Level, held, run_level, usage, usage_by_process


@dataclass
class Step:
    """One level of the climb and what was busy during it."""

    level: Level
    holds: bool
    wall_s: float
    server_cores: float  # CPU-seconds per second of the whole server tree
    # Each child of the server (the engine workers), busiest first.
    child_cores: list[float] = field(default_factory=list)
    other_cores: dict[str, float] = field(default_factory=dict)  # the Space, the load client
    load_1m: float = 0.0  # the machine's 1-minute load average as the level ended

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def next_level(
    results: Mapping[int, bool],
    start: int,
    grow: Callable[[int], int],
    ceiling: int,
    resolution: int = 1,
) -> int | None:
    """The next level to try, or None when the climb is done.

    Up from `start` with `grow` while every level holds (not past `ceiling`); after a failure,
    halfway between the highest level that held below it and the failure, until the two are
    `resolution` apart.
    """
    if not results:
        return start
    failed = [level for level, holds in results.items() if not holds]
    if not failed:
        higher = grow(max(results))
        return higher if higher <= ceiling else None
    lowest_failure = min(failed)
    good = max((lv for lv, holds in results.items() if holds and lv < lowest_failure), default=0)
    if lowest_failure - good <= resolution:
        return None
    return (good + lowest_failure) // 2


def held_level(results: Mapping[int, bool]) -> int:
    """The highest level that held below the lowest one that did not (0 if none held)."""
    failed = [level for level, holds in results.items() if not holds]
    ceiling = min(failed, default=max(results, default=0) + 1)
    return max((lv for lv, holds in results.items() if holds and lv < ceiling), default=0)


def client_cpu() -> float:
    usage_self = resource.getrusage(resource.RUSAGE_SELF)
    return usage_self.ru_utime + usage_self.ru_stime


def cores_busy(before: float, after: float, wall: float) -> float:
    return round((after - before) / wall, 2) if wall else 0.0


async def run_step(
    url: str,
    pid: int,
    pcm: bytes,
    streams: int,
    duration: float,
    limit: float,
    others: Mapping[str, int],
) -> Step:
    """One loadgen level, with the CPU of the server's processes and of `others` (name -> pid)."""
    children_before = usage_by_process(pid)
    others_before = {name: usage(other)[0] for name, other in others.items()}
    client_before, started = client_cpu(), time.monotonic()
    level = await run_level(url, pid, pcm, streams, duration)
    wall = time.monotonic() - started
    children_after = usage_by_process(pid)
    children = sorted(
        (
            cores_busy(children_before.get(member, (0.0, 0.0))[0], cpu, wall)
            for member, (cpu, _) in children_after.items()
            if member != pid
        ),
        reverse=True,
    )
    other_cores = {
        name: cores_busy(others_before[name], usage(other)[0], wall)
        for name, other in others.items()
    }
    other_cores["load client"] = cores_busy(client_before, client_cpu(), wall)
    return Step(
        level=level,
        holds=held([level], limit) == streams,
        wall_s=round(wall, 1),
        server_cores=round(level.cpu_s / wall, 2) if wall else 0.0,
        child_cores=[c for c in children if c > 0],
        other_cores=other_cores,
        load_1m=round(os.getloadavg()[0], 2),
    )


def climb(
    ctx: Context,
    name: str,
    url: str,
    pid: int,
    pcm: bytes,
    *,
    start: int,
    grow: Callable[[int], int],
    ceiling: int,
    resolution: int,
    duration: float,
    limit: float = 1.0,
    others: Mapping[str, int] | None = None,
    max_levels: int = 8,
) -> list[Step]:
    """Run levels until next_level says done (or `max_levels` ran); record each run's closes."""
    steps: list[Step] = []
    results: dict[int, bool] = {}
    while len(steps) < max_levels:
        streams = next_level(results, start, grow, ceiling, resolution)
        if streams is None:
            break
        progress(f"{name}: {streams} streams for {duration:g} s")
        step = asyncio.run(run_step(url, pid, pcm, streams, duration, limit, others or {}))
        ctx.record(f"{name}, {streams} streams", step.level.closes, step.wall_s)
        steps.append(step)
        results[streams] = step.holds
    return steps


LEVEL_HEADER = ["streams", "held", "sessions", "closes", "p50 s", "p95 s", "/live p95 ms",
                "RSS MiB", "server cores busy", "other cores busy", "load avg"]  # fmt: skip


def level_rows(steps: list[Step]) -> list[list[str]]:
    """The climb as a table, by level."""
    rows = [LEVEL_HEADER]
    for step in sorted(steps, key=lambda s: s.level.streams):
        lv = step.level
        closes = " ".join(f"{code}x{n}" for code, n in sorted(lv.closes.items()))
        children = ", ".join(f"{c:.2f}" for c in step.child_cores)
        server = f"{step.server_cores:.2f}" + (f" (children {children})" if children else "")
        others = ", ".join(f"{name} {c:.2f}" for name, c in step.other_cores.items())
        rows.append([
            str(lv.streams), "yes" if step.holds else "no", str(lv.sessions), closes,
            f"{lv.stop_to_final_p50_s:.2f}", f"{lv.stop_to_final_p95_s:.2f}",
            f"{lv.live_p95_ms:.0f}", f"{lv.peak_rss_mib:.0f}", server, others, f"{step.load_1m:g}",
        ])  # fmt: skip
    return rows


def step_at(steps: list[Step], streams: int) -> Step | None:
    return next((s for s in steps if s.level.streams == streams), None)


def first_failure(steps: list[Step]) -> Step | None:
    failed = [s for s in steps if not s.holds]
    return min(failed, key=lambda s: s.level.streams) if failed else None


def rss_slope(steps: list[Step]) -> float | None:
    """MiB of peak RSS per added stream: the least-squares slope over the levels run (held or
    not: memory does not depend on latency), or None with fewer than two levels."""
    points = sorted({s.level.streams: s.level.peak_rss_mib for s in steps}.items())
    if len(points) < 2:
        return None
    streams, rss = zip(*points, strict=True)
    return statistics.linear_regression(streams, rss).slope


def failure_text(step: Step) -> str:
    """Why a level did not hold, in the report's words."""
    lv = step.level
    bad = {code: n for code, n in lv.closes.items() if code != "1000"}
    closes = f"; closes other than 1000: {bad}" if bad else ""
    return (
        f"at {lv.streams} streams p95 stop-to-final was {lv.stop_to_final_p95_s:.2f} s{closes}, "
        f"with the server using {step.server_cores:.2f} cores"
        + "".join(f", {name} {c:.2f}" for name, c in step.other_cores.items())
        + f", and a load average of {step.load_1m:g} on {os.cpu_count()} cores"
    )
