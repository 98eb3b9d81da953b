"""Load the service's WebSocket with real-time speech streams and report what it holds.

For each level of concurrency it keeps that many clients streaming a speech fixture at real-time
pace (start, 100 ms frames, stop, wait for the close) for a while, then reports the stop-to-final
latency (p50, p95), the close codes, `/live` latency while loaded, and the server's CPU and RSS
(its whole process tree, read from /proc). The level a server "holds" is the highest one whose
p95 stop-to-final stays within --p95-limit with every session closed 1000.

It can start the server itself (--serve) with any engine, or measure one already running (--url,
with --pid for CPU and memory).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import time
import wave
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"
FRAME_BYTES = 3200  # 100 ms of 16 kHz s16le
START = {"type": "start", "sample_rate": 16000, "encoding": "pcm_s16le", "language": "auto"}
KEEPALIVE = " keepalive"  # marks a close code when either side closed for a keepalive timeout
PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")

EPILOG = """\
examples:
  python -m tools.loadgen --serve pocketsphinx --levels 1,2,3,4 --duration 30
  python -m tools.loadgen --serve hf-space --space http://127.0.0.1:7860/ --levels 8,16
  python -m tools.loadgen --url http://127.0.0.1:8000 --pid 1234 --levels 2
"""


@dataclass
class Level:
    """What one level of concurrency gave."""

    streams: int
    sessions: int = 0
    finals: int = 0
    closes: dict[str, int] = field(default_factory=dict)
    stop_to_final_p50_s: float = 0.0
    stop_to_final_p95_s: float = 0.0
    live_p95_ms: float = 0.0
    peak_rss_mib: float = 0.0
    cpu_s: float = 0.0
    cpu_ms_per_final: float = 0.0


def read_pcm(name: str) -> bytes:
    with wave.open(str(FIXTURES / f"{name}.wav"), "rb") as wav:
        return wav.readframes(wav.getnframes())


def tree(pid: int) -> list[int]:
    """`pid` and every process below it (uvicorn and its engine workers)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def usage_by_process(pid: int) -> dict[int, tuple[float, float]]:
    """CPU seconds used so far and RSS in MiB of each process in the tree of `pid`."""
    found = {}
    for member in tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        found[member] = (int(fields[11]) + int(fields[12])) / TICKS, int(fields[21]) * PAGE / 2**20
    return found


def usage(pid: int) -> tuple[float, float]:
    """CPU seconds used so far and RSS in MiB, summed over the process tree of `pid`."""
    found = usage_by_process(pid).values()
    return sum(cpu for cpu, _ in found), sum(rss for _, rss in found)


def percentile(values: Sequence[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


async def one_session(ws_url: str, pcm: bytes) -> tuple[str, float, int]:
    """Stream `pcm` in real time, stop, and wait for the close: (close code, latency, finals)."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    finals, stopped = 0, time.monotonic()
    try:
        async with connect(ws_url, open_timeout=30, max_queue=None, proxy=None) as ws:
            try:
                await ws.send(json.dumps(START))
                began = time.monotonic()
                for index, at in enumerate(range(0, len(pcm), FRAME_BYTES)):
                    await asyncio.sleep(max(0.0, began + index * 0.1 - time.monotonic()))
                    await ws.send(pcm[at : at + FRAME_BYTES])
                await ws.send(json.dumps({"type": "stop"}))
                stopped = time.monotonic()
            except ConnectionClosed:
                pass  # the server closed early (busy, an error): its close code tells why
            try:
                async for message in ws:
                    finals += isinstance(message, str) and '"final"' in message
            except ConnectionClosed:
                pass
            code = close_label(ws)
    except (OSError, TimeoutError) as exc:
        return type(exc).__name__, 0.0, finals
    return str(code), time.monotonic() - stopped, finals


def close_label(ws: Any) -> str:
    """The close code, with KEEPALIVE appended when either side closed on a keepalive timeout."""
    frames = (ws.protocol.close_rcvd, ws.protocol.close_sent)
    keepalive = any(frame is not None and "keepalive" in frame.reason for frame in frames)
    return f"{ws.close_code}{KEEPALIVE if keepalive else ''}"


async def probe_live(base_url: str, stop: asyncio.Event, samples: list[float]) -> None:
    import httpx

    async with httpx.AsyncClient(timeout=10, trust_env=False) as client:
        while not stop.is_set():
            started = time.monotonic()
            try:
                await client.get(f"{base_url}/live")
                samples.append(time.monotonic() - started)
            except httpx.HTTPError:
                samples.append(10.0)
            await asyncio.sleep(0.2)


async def run_level(
    base_url: str, pid: int | None, pcm: bytes, streams: int, duration: float
) -> Level:
    ws_url = base_url.replace("http", "ws", 1) + "/ws/asr"
    level = Level(streams)
    latencies: list[float] = []
    live: list[float] = []
    stop = asyncio.Event()
    peak = [0.0]

    async def client(index: int) -> None:
        await asyncio.sleep(index * len(pcm) / 32_000 / streams)  # spread the stops out
        while not stop.is_set():
            code, latency, finals = await one_session(ws_url, pcm)
            level.sessions += 1
            level.finals += finals
            level.closes[code] = level.closes.get(code, 0) + 1
            if code == "1000":
                latencies.append(latency)

    async def watch_memory() -> None:
        while pid is not None and not stop.is_set():
            peak[0] = max(peak[0], usage(pid)[1])
            await asyncio.sleep(0.5)

    cpu_before = usage(pid)[0] if pid else 0.0
    tasks = [asyncio.create_task(client(i)) for i in range(streams)]
    tasks.append(asyncio.create_task(probe_live(base_url, stop, live)))
    tasks.append(asyncio.create_task(watch_memory()))
    await asyncio.sleep(duration)
    stop.set()
    await asyncio.gather(*tasks)
    level.cpu_s = round(usage(pid)[0] - cpu_before, 2) if pid else 0.0
    level.cpu_ms_per_final = round(1000 * level.cpu_s / level.finals, 1) if level.finals else 0.0
    level.stop_to_final_p50_s = round(statistics.median(latencies), 3) if latencies else 0.0
    level.stop_to_final_p95_s = round(percentile(latencies, 0.95), 3)
    level.live_p95_ms = round(1000 * percentile(live, 0.95), 1)
    level.peak_rss_mib = round(peak[0], 1)
    return level


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def server_env(engine: str, space: str | None, extra: Sequence[str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "MAX_", "USE_LOCAL"))}
    env |= {"PYTHONUNBUFFERED": "1", "MAX_SESSIONS": "1000"}
    # Every client is 127.0.0.1 here: lift the per-client limits, or it measures those.
    env |= {"MAX_CALLS_PER_MINUTE": "1000000", "MAX_CLIENT_CONNECTIONS": "100000"}
    env |= {"MAX_CLIENT_AUDIO_S_PER_MIN": "1000000000"}
    if engine == "hf-space":
        env |= {"USE_LOCAL_ASR": "false", "HF_SPACE": space or "http://127.0.0.1:7860/"}
    else:
        env |= {"USE_LOCAL_ASR": "true", "LOCAL_ASR_ENGINE": engine}
    for item in extra:
        name, _, value = item.partition("=")
        env[name] = value
    return env


@contextmanager
def serving(env: dict[str, str], log: Path) -> Iterator[tuple[str, int]]:
    """Run the service on a free loopback port; yield its base URL and pid."""
    import urllib.request

    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "backend.app.main:app", "--port", str(port)]
    with log.open("wb") as out:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=out)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/live", timeout=1):
                    break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"the service did not start; see {log}") from None
                time.sleep(0.2)
        yield url, process.pid
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def held(levels: Sequence[Level], limit: float) -> int:
    """The highest level whose sessions all closed 1000 within the p95 latency limit."""
    good = [
        lv.streams
        for lv in levels
        if lv.sessions and set(lv.closes) == {"1000"} and lv.stop_to_final_p95_s <= limit
    ]
    return max(good, default=0)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.loadgen",
        description=__doc__.splitlines()[0],
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--url", help="base URL of a running service, e.g. http://127.0.0.1:8000")
    target.add_argument(
        "--serve", choices=("pocketsphinx", "hf-space", "sensevoice"), help="start the service"
    )
    parser.add_argument("--pid", type=int, help="with --url: the server's pid, for CPU and RSS")
    parser.add_argument("--space", help="with --serve hf-space: the Space URL (HF_SPACE)")
    parser.add_argument(
        "--env", action="append", default=[], help="NAME=VALUE for the started service"
    )
    parser.add_argument("--levels", default="1,2,3,4", help="concurrent streams, comma-separated")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds per level")
    parser.add_argument("--fixture", default="two_utterances", help="speech fixture to stream")
    parser.add_argument("--p95-limit", type=float, default=1.0, help="seconds (default 1)")
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    return parser


def report(levels: Sequence[Level], limit: float) -> str:
    lines = [
        "| streams | sessions | finals | closes | p50 s | p95 s | /live p95 ms | RSS MiB "
        "| CPU ms/final |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for lv in levels:
        closes = " ".join(f"{code}x{n}" for code, n in sorted(lv.closes.items()))
        lines.append(
            f"| {lv.streams} | {lv.sessions} | {lv.finals} | {closes} | {lv.stop_to_final_p50_s}"
            f" | {lv.stop_to_final_p95_s} | {lv.live_p95_ms} | {lv.peak_rss_mib}"
            f" | {lv.cpu_ms_per_final} |"
        )
    lines.append(f"\nheld at real-time pace with p95 <= {limit:g} s: {held(levels, limit)} streams")
    return "\n".join(lines)


async def measure(url: str, pid: int | None, args: argparse.Namespace) -> list[Level]:
    pcm = read_pcm(args.fixture)
    results = []
    for streams in (int(n) for n in args.levels.split(",")):
        print(f"==> {streams} streams for {args.duration:g} s", file=sys.stderr, flush=True)
        results.append(await run_level(url, pid, pcm, streams, args.duration))
    return results


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.url:
        levels = asyncio.run(measure(args.url.rstrip("/"), args.pid, args))
    else:
        log = Path(f"/tmp/loadgen-{os.getpid()}.log")
        with serving(server_env(args.serve, args.space, args.env), log) as (url, pid):
            levels = asyncio.run(measure(url, pid, args))
    print(report(levels, args.p95_limit))
    if args.json:
        payload = {"levels": [asdict(lv) for lv in levels], "held": held(levels, args.p95_limit)}
        args.json.write_text(json.dumps(payload, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
