"""Figure: what one WebSocket frame costs the service, against a bare echo on the same server.

One uvicorn process serves tools/bench/echo_app.py: the service's app, and a raw ASGI echo at
/bench/echo beside it. Both get the same sessions: a start message, 100 ms frames of silence
(3200 bytes: below the silence threshold, so /ws/asr never calls the engine), then stop. The
server's CPU per frame comes from /proc (the whole process tree) over sessions that send
frames as fast as the connection takes them. Round trips: `stop` to the server's close after a
short session, on both endpoints, and for the echo also each frame to its echo.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass

from tools.bench.context import Context
from tools.bench.echo_app import ECHO_PATH
from tools.bench.figure import Figure
from tools.bench.service import LIFTED_CAPS, serve
from tools.loadgen import FRAME_BYTES, START, percentile, server_env, usage

TITLE = "WebSocket per-frame cost against a bare echo"
COMMAND = "python -m tools.bench --only frames"
GOALS: tuple[str, ...] = ()  # issue 8 sets none: the figure is the comparison
APP = "tools.bench.echo_app:app"
SILENCE = bytes(FRAME_BYTES)
STOP = json.dumps({"type": "stop"})
ENDPOINTS = {"/ws/asr": "the service's /ws/asr", ECHO_PATH: "bare echo (raw ASGI)"}
NO_SPACE = "http://127.0.0.1:9/"  # silence never reaches the engine; a call would fail loudly


@dataclass
class Cost:
    """What one endpoint cost the server and the client."""

    path: str
    frames: int = 0
    cpu_us_per_frame: float = 0.0
    frames_per_s: float = 0.0
    stop_to_close_ms: float = 0.0
    echo_p50_ms: float = 0.0
    echo_p95_ms: float = 0.0
    closes: dict[str, int] | None = None


async def session(url: str, frames: int) -> tuple[str, float]:
    """Start, send `frames` frames of silence back to back, stop: (close code, stop-to-close s)."""
    from websockets.asyncio.client import connect

    async with connect(url, open_timeout=30, max_queue=None, proxy=None) as ws:
        await ws.send(json.dumps(START))
        for _ in range(frames):
            await ws.send(SILENCE)
        await ws.send(STOP)
        stopped = time.monotonic()
        async for _ in ws:
            pass
        return str(ws.close_code), time.monotonic() - stopped


async def echo_round_trips(url: str, count: int) -> list[float]:
    """Seconds from sending each frame to receiving its echo, one frame at a time."""
    from websockets.asyncio.client import connect

    found = []
    async with connect(url, open_timeout=30, max_queue=None, proxy=None) as ws:
        for _ in range(count):
            started = time.monotonic()
            await ws.send(SILENCE)
            await ws.recv()
            found.append(time.monotonic() - started)
        await ws.send(STOP)
        async for _ in ws:
            pass
    return found


async def cost_of(base: str, pid: int, path: str, plan: dict[str, int]) -> Cost:
    url = base.replace("http", "ws", 1) + path
    cost = Cost(path, frames=plan["streams"] * plan["frames"], closes={})
    cpu, started = usage(pid)[0], time.monotonic()
    done = await asyncio.gather(*(session(url, plan["frames"]) for _ in range(plan["streams"])))
    wall, cpu = time.monotonic() - started, usage(pid)[0] - cpu
    cost.cpu_us_per_frame = round(1e6 * cpu / cost.frames, 1)
    cost.frames_per_s = round(cost.frames / wall)
    short = [await session(url, plan["short_frames"]) for _ in range(plan["short_sessions"])]
    cost.stop_to_close_ms = round(1000 * statistics.median(s for _, s in short), 2)
    for code, _ in [*done, *short]:
        cost.closes = cost.closes or {}
        cost.closes[code] = cost.closes.get(code, 0) + 1
    if path == ECHO_PATH:
        trips = await echo_round_trips(url, plan["round_trips"])
        cost.echo_p50_ms = round(1000 * statistics.median(trips), 3)
        cost.echo_p95_ms = round(1000 * percentile(trips, 0.95), 3)
    return cost


def rows_for(costs: Sequence[Cost]) -> list[list[str]]:
    rows = [
        [
            "endpoint",
            "server CPU per frame",
            "frames/s taken",
            "stop to close (median)",
            "frame to echo p50 / p95",
            "closes",
        ]
    ]
    for cost in costs:
        trip = f"{cost.echo_p50_ms:.2f} / {cost.echo_p95_ms:.2f} ms" if cost.echo_p50_ms else "—"
        closes = " ".join(f"{code}x{n}" for code, n in sorted((cost.closes or {}).items()))
        rows.append(
            [
                ENDPOINTS[cost.path],
                f"{cost.cpu_us_per_frame:.0f} µs",
                f"{cost.frames_per_s:,}",
                f"{cost.stop_to_close_ms:.2f} ms",
                trip,
                closes,
            ]
        )
    return rows


def measure(ctx: Context) -> Figure:
    figure = Figure("frames", TITLE, COMMAND)
    plan = {
        "streams": 4,
        "frames": int(ctx.pick(2000, 300)),
        "short_frames": 10,
        "short_sessions": int(ctx.pick(40, 10)),
        "round_trips": int(ctx.pick(500, 100)),
    }
    env = server_env("hf-space", NO_SPACE, [])
    with serve(env, ctx.workdir, "frames", app=APP) as served:
        costs = [asyncio.run(cost_of(served.url, served.pid, path, plan)) for path in ENDPOINTS]
    service, echo = costs
    # An open microphone in silence: 10 frames a second (the remote figure sizes instances by it).
    ctx.facts["silent_stream_cpu"] = 10 * service.cpu_us_per_frame / 1e6
    figure.rows = rows_for(costs)
    figure.headline = (
        f"a frame of silence costs the service {service.cpu_us_per_frame:.0f} µs of CPU, the "
        f"bare echo {echo.cpu_us_per_frame:.0f} µs; stop to close "
        f"{service.stop_to_close_ms:.1f} ms against {echo.stop_to_close_ms:.1f} ms"
    )
    extra = service.cpu_us_per_frame - echo.cpu_us_per_frame
    figure.numbers = {"plan": plan} | {
        ("asr" if cost.path == "/ws/asr" else "echo"): vars(cost) for cost in costs
    }
    figure.notes = [
        f"A frame of silence costs the service {service.cpu_us_per_frame:.0f} µs of CPU, "
        f"{extra:+.0f} µs against the bare echo "
        f"({service.cpu_us_per_frame / echo.cpu_us_per_frame:.1f}x); a real-time stream sends "
        f"10 frames a second, so {10 * service.cpu_us_per_frame / 1e6:.4f} CPU-seconds per "
        "second of streamed audio, before any engine call."
        if echo.cpu_us_per_frame
        else "",
        f"CPU: {plan['streams']} sessions at once, {plan['frames']} frames each, sent as fast as "
        "the connection takes them; the server's CPU (its process tree, /proc) over all of them, "
        "per frame. The echo also sends each frame back, which the service does not. The load "
        "client runs on the same cores, so frames/s is a floor, not the server's limit.",
        f"Stop to close: {plan['short_sessions']} sessions of {plan['short_frames']} frames one "
        "after another; the time from sending stop to the server's close, the median.",
        f"Server: one uvicorn with render.yaml's start command serving {APP}, "
        f"USE_LOCAL_ASR=false; the per-client caps ({LIFTED_CAPS}) lifted (every client is "
        "127.0.0.1).",
    ]
    figure.notes = [note for note in figure.notes if note]
    return figure
