"""Figure: real-time streams pocketsphinx holds per core, its memory per stream, /live at load.

The service runs with LOCAL_ASR_ENGINE=pocketsphinx and its defaults (one worker process per
usable core), except that STREAMS_PER_WORKER and MAX_SESSIONS are lifted so that p95
stop-to-final decides where the climb stops, not the session cap that the default derives.
"""

from __future__ import annotations

import math
import os

from tools.bench.context import Context
from tools.bench.figure import Figure, Goal, at_least, at_most, below, unmeasured
from tools.bench.service import LIFTED_CAPS, serve
from tools.bench.streams import (
    Step,
    climb,
    failure_text,
    first_failure,
    held_level,
    level_rows,
    rss_slope,
    step_at,
)
from tools.loadgen import read_pcm, server_env, usage

TITLE = "pocketsphinx: real-time streams per core"
COMMAND = "python -m tools.bench --only pocketsphinx"
FIXTURE = "two_utterances"
STREAMS_PER_CORE_GOAL = 1.4  # issue 8
LIVE_P95_GOAL_MS = 50.0
P95_LIMIT_S = 1.0
BUSY_WORKER = 0.25  # a worker counts as using its core when it ran this many CPU-seconds a second
GOALS = (
    "≥ 1.4 real-time streams per core (issue 8)",
    "every core used",
    "p95 stop-to-final ≤ 1 s at that load",
    "/live p95 < 50 ms at full load",
    "state the memory per stream",
)


def every_core_goal(step: Step, cores: int) -> Goal:
    """Met when at least `cores` child processes (the engine workers) each kept a core busy."""
    busy = [c for c in step.child_cores if c >= BUSY_WORKER]
    shown = f"{len(busy)} of {cores} cores: workers at " + ", ".join(
        f"{c:.2f}" for c in step.child_cores
    )
    gap = (
        f"only {len(busy)} engine workers ran at least {BUSY_WORKER} of a core at "
        f"{step.level.streams} streams"
    )
    return Goal(GOALS[1], shown, len(busy) >= cores, "" if len(busy) >= cores else gap)


def goals_for(steps: list[Step], cores: int, note: str) -> list[Goal]:
    streams = held_level({s.level.streams: s.holds for s in steps})
    failure = first_failure(steps)
    why = (failure_text(failure) if failure else "the climb stopped before a level failed") + note
    full = step_at(steps, streams)
    if full is None:
        return [Goal(GOALS[0], "0 streams", False, why), *unmeasured(GOALS[1:4], "no level held")]
    per_core = streams / cores
    return [
        at_least(
            GOALS[0],
            per_core,
            STREAMS_PER_CORE_GOAL,
            f"{per_core:.1f} per core ({streams} streams on {cores} cores)",
            why,
        ),
        every_core_goal(full, cores),
        at_most(
            GOALS[2],
            full.level.stop_to_final_p95_s,
            P95_LIMIT_S,
            f"{full.level.stop_to_final_p95_s:.2f} s at {streams} streams",
        ),
        below(
            GOALS[3],
            full.level.live_p95_ms,
            LIVE_P95_GOAL_MS,
            f"{full.level.live_p95_ms:.0f} ms at {streams} streams",
            "the event loop answered /live slowly while the engine was loaded",
        ),
    ]


def memory_per_stream(steps: list[Step], idle_mib: float) -> float:
    """MiB per added stream: the slope of peak RSS over the levels run, or with one level
    (peak RSS - idle RSS) / streams."""
    slope = rss_slope(steps)
    if slope is not None:
        return slope
    only = steps[0] if steps else None
    return (only.level.peak_rss_mib - idle_mib) / only.level.streams if only else 0.0


def measure(ctx: Context) -> Figure:
    figure = Figure("pocketsphinx", TITLE, COMMAND)
    cores = len(os.sched_getaffinity(0))
    ceiling = 6 * cores
    env = server_env("pocketsphinx", None, [f"STREAMS_PER_WORKER={ceiling}"])
    duration = ctx.pick(30, 6)
    with serve(env, ctx.workdir, "pocketsphinx") as served:
        idle = usage(served.pid)[1]
        steps = climb(
            ctx,
            "pocketsphinx",
            served.url,
            served.pid,
            read_pcm(FIXTURE),
            start=1 if ctx.quick else cores,
            grow=lambda n: n + cores,
            ceiling=ceiling,
            resolution=1,
            duration=duration,
            limit=P95_LIMIT_S,
            max_levels=int(ctx.pick(8, 2)),
        )
    per_stream = memory_per_stream(steps, idle)
    held = held_level({s.level.streams: s.holds for s in steps})
    quick = " (--quick: two short levels only)" if ctx.quick else ""
    figure.rows = level_rows(steps)
    full = step_at(steps, held)
    figure.headline = (
        f"{held} real-time streams on {cores} cores ({held / cores:.1f} per core), p95 "
        f"stop-to-final {full.level.stop_to_final_p95_s:.2f} s, /live p95 "
        f"{full.level.live_p95_ms:.0f} ms, about {per_stream:.0f} MiB per stream"
        if full
        else "no level held"
    )
    figure.goals = goals_for(steps, cores, quick)
    figure.goals.append(Goal(GOALS[4], f"{per_stream:.0f} MiB", bool(per_stream)))
    figure.numbers = {
        "cores": cores,
        "held": held,
        "streams_per_core": round(held / cores, 2),
        "idle_rss_mib": round(idle, 1),
        "rss_per_stream_mib": round(per_stream, 1),
        "streams_in_512_mib": math.floor((512 - idle) / per_stream) if per_stream else 0,
        "levels": [step.to_json() for step in steps],
    }
    figure.notes = [
        f"Held: {held} streams on {cores} cores, {held / cores:.1f} per core; memory "
        f"{idle:.0f} MiB idle and about {per_stream:.0f} MiB more per stream (the slope of the "
        "server's and its workers' peak RSS over the levels run).",
        f"Each level: that many clients stream `{FIXTURE}` (7.4 s, two utterances) at real-time "
        f"pace, back to back, for {duration:g} s; p95 from `stop` to the last final; /live "
        "probed every 0.2 s. The climb starts at one stream per core, adds one per core while "
        "levels hold, then bisects to the last level that holds. Children: the CPU-seconds per "
        "second of each child process of the server (the engine workers).",
        f"Settings: defaults, except STREAMS_PER_WORKER={ceiling} and MAX_SESSIONS=1000 "
        f"(so latency, not the cap, ends the climb) and the per-client caps ({LIFTED_CAPS}), "
        "lifted because every client is 127.0.0.1. The load client runs on the same cores.",
    ]
    return figure
