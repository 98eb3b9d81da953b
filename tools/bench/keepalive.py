"""Figure: sessions closed by a keepalive timeout (1011 "keepalive ping timeout") across the
bench's load runs, a saturating run and a bounded fuzz run of the protocol.

A server that stops reading a socket while it awaits the engine leaves pings unanswered, and
uvicorn closes such a session at about 40 s with 1011 and no error frame (issue 10). Every load
run of this bench labels such closes (tools.loadgen.close_label, on either side). Two runs here
add the conditions where they happened: the remote engine against the stand-in Space that
recognises for real, with more streams than it can serve, for longer than the keepalive
timeout; and the protocol fuzz's sessions (tools/fuzz.py) played against a real
server, each session's close read with its reason.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Sequence
from typing import Any

from scripts.proc import progress
from tools.bench.context import Context, LoadRun
from tools.bench.figure import Figure, Goal
from tools.bench.service import LIFTED_CAPS, serve
from tools.bench.streams import run_step
from tools.loadgen import KEEPALIVE, close_label, read_pcm, server_env

TITLE = "Sessions closed by keepalive in the load and fuzz runs"
COMMAND = "python -m tools.bench --only keepalive"
GOALS = ("0 sessions closed by keepalive (issue 10)",)
FIXTURE = "two_utterances"
KEEPALIVE_TIMEOUT_S = 40  # uvicorn's --ws-ping-interval 20 plus --ws-ping-timeout 20


def keepalive_closes(closes: dict[str, int]) -> int:
    return sum(n for code, n in closes.items() if code.endswith(KEEPALIVE))


def play(url: str, steps: Sequence[tuple[str, Any]]) -> str:
    """Play one fuzzed session; return its close label ("left" when the client left first)."""
    from websockets.exceptions import ConnectionClosed
    from websockets.sync.client import connect

    from tools.fuzz import send_steps

    with connect(url, open_timeout=10, proxy=None) as ws:
        if not send_steps(ws, steps):
            return "left"
        try:
            while True:
                ws.recv(timeout=20)
        except ConnectionClosed:
            pass
        except TimeoutError:
            return "no close within 20 s"
        return close_label(ws)


def fuzz(url: str, examples: int) -> dict[str, int]:
    """Close labels of `examples` sessions drawn from the protocol fuzz test's strategy."""
    from hypothesis import HealthCheck, Phase, given, settings

    from tools.fuzz import sessions

    closes: dict[str, int] = {}
    # The client library logs a server's abrupt close as an error; the close label says it.
    logging.getLogger("websockets").setLevel(logging.CRITICAL)

    @settings(
        max_examples=examples,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(steps=sessions)
    def session(steps: list[tuple[str, Any]]) -> None:
        label = play(url, steps)
        closes[label] = closes.get(label, 0) + 1

    session()
    return closes


def fuzz_settings() -> list[str]:
    from tools.fuzz import SETTINGS

    return [f"{name}={value}" for name, value in SETTINGS.items() if name != "USE_LOCAL_ASR"]


def run_rows(runs: Sequence[LoadRun]) -> list[list[str]]:
    rows = [["run", "sessions", "closed by keepalive", "closes"]]
    for run in runs:
        closes = " ".join(f"{code}x{n}" for code, n in sorted(run.closes.items()))
        rows.append(
            [run.name, str(sum(run.closes.values())), str(keepalive_closes(run.closes)), closes]
        )
    return rows


def goal_for(runs: Sequence[LoadRun]) -> Goal:
    sessions = sum(sum(run.closes.values()) for run in runs)
    closed = sum(keepalive_closes(run.closes) for run in runs)
    longest = max((run.seconds for run in runs), default=0.0)
    shown = f"{closed} of {sessions} sessions in {len(runs)} runs"
    if closed:
        why = "sessions waited on the engine without their socket being read: see the runs above"
    elif longest < KEEPALIVE_TIMEOUT_S:
        why = (
            f"no run lasted {KEEPALIVE_TIMEOUT_S} s (the longest {longest:.0f} s), so no "
            "keepalive timeout could happen (--quick)"
        )
        return Goal(GOALS[0], shown, None, why)
    else:
        why = ""
    return Goal(GOALS[0], shown, closed == 0, why)


def measure(ctx: Context) -> Figure:
    figure = Figure("keepalive", TITLE, COMMAND)
    streams, seconds, examples = int(ctx.pick(50, 8)), ctx.pick(60, 6), int(ctx.pick(60, 8))
    normal = ctx.space("normal")
    env = server_env("hf-space", normal.url, [])
    with serve(env, ctx.workdir, "saturated") as served:
        log = served.log
        progress(f"keepalive: {streams} streams against the recognising stand-in for {seconds:g} s")
        step = asyncio.run(
            run_step(
                served.url,
                served.pid,
                read_pcm(FIXTURE),
                streams,
                seconds,
                1.0,
                {"stand-in": normal.server.process.pid},
            )
        )
    ctx.record(f"saturated Space: {streams} streams", step.level.closes, step.wall_s)
    timeouts = log.read_text(errors="replace").count("did not answer within")
    env = server_env("hf-space", ctx.space("instant").url, fuzz_settings())
    started = time.monotonic()
    with serve(env, ctx.workdir, "fuzz") as served:
        progress(f"keepalive: {examples} fuzzed sessions")
        closes = fuzz(served.url.replace("http", "ws", 1) + "/ws/asr", examples)
    ctx.record(f"protocol fuzz: {examples} sessions", closes, time.monotonic() - started)
    figure.rows = run_rows(ctx.runs)
    figure.goals = [goal_for(ctx.runs)]
    figure.headline = (
        f"{sum(keepalive_closes(run.closes) for run in ctx.runs)} of "
        f"{sum(sum(run.closes.values()) for run in ctx.runs)} sessions closed by keepalive, "
        f"in {len(ctx.runs)} load and fuzz runs"
    )
    lv = step.level
    figure.numbers = {
        "keepalive_closes": sum(keepalive_closes(run.closes) for run in ctx.runs),
        "sessions": sum(sum(run.closes.values()) for run in ctx.runs),
        "runs": [vars(run) for run in ctx.runs],
        "saturated": step.to_json(),
    }
    figure.notes = [
        "Every load run of this bench invocation is counted (with `--only keepalive`, only the "
        "two runs of this figure). A close counts as keepalive when either side's close frame "
        "says `keepalive ping timeout`; `left` is a fuzzed client that left on purpose.",
        f"Saturated Space: the remote engine against the stand-in in its normal mode (it "
        f"recognises with pocketsphinx on the same cores), {streams} real-time streams for "
        f"{seconds:g} s: p95 stop-to-final {lv.stop_to_final_p95_s:.2f} s, the stand-in using "
        f"{step.other_cores.get('stand-in', 0):.2f} cores. Calls the Space cannot finish within "
        "ENGINE_DEADLINE_S are refused at once (1013) instead of waiting"
        + (
            f"; {timeouts} admitted calls waited in the queue and then ran out of their deadline "
            "at the Space (1011 engine_error, the server log's `did not answer within`)"
            if timeouts
            else ""
        )
        + ".",
        f"Fuzz: {examples} sessions from the strategy of tools/fuzz.py, which "
        "tests/e2e/test_protocol_fuzz.py plays too (derandomized, so the same sessions each "
        "run), against a server with its settings (IDLE_TIMEOUT_S=1, MAX_SESSION_S=8, "
        "MAX_FRAME_BYTES=16000) and the instant "
        f"stand-in. Per-client caps ({LIFTED_CAPS}) lifted in every run.",
    ]
    return figure
