"""Measure the CPU the remote engine costs this process per call, against a running Space.

It creates the hf-space engine for --space, makes one warm-up call, then N calls of a speech
fixture in a row, and reports this process's CPU time (all threads, from getrusage) and wall
time per call. Run the stand-in with `--mode instant` so the Space's own time does not count.
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import json
import resource
import sys
import time
import wave
from collections.abc import Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

EPILOG = """\
example:
  python -m tools.standin serve --port 7860 --mode instant &
  python -m tools.engine_cpu --space http://127.0.0.1:7860/ --calls 50
"""


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


async def call(engine: Any, pcm: bytes) -> Any:
    """One transcription, whether the engine's API is blocking or async."""
    result = engine.transcribe(pcm)
    return await result if inspect.isawaitable(result) else result


async def measure(space: str, pcm: bytes, calls: int) -> dict[str, float]:
    from featherweight.asr import create_engine

    engine: Any = create_engine("hf-space", space=space, timeout=30.0)
    try:
        await call(engine, pcm)  # connect and warm up; not counted
        cpu, wall = cpu_seconds(), time.monotonic()
        for _ in range(calls):
            await call(engine, pcm)
        cpu, wall = cpu_seconds() - cpu, time.monotonic() - wall
    finally:
        closing = getattr(engine, "aclose", None) or getattr(engine, "close", None)
        if closing is not None:
            result = closing()
            if inspect.isawaitable(result):
                await result
    return {
        "calls": calls,
        "cpu_ms_per_call": round(1000 * cpu / calls, 1),
        "wall_ms_per_call": round(1000 * wall / calls, 1),
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.engine_cpu",
        description=__doc__.splitlines()[0],
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--space", required=True, help="the Space's URL, e.g. the stand-in's")
    parser.add_argument("--calls", type=int, default=50, help="calls to measure (default 50)")
    parser.add_argument(
        "--wav",
        type=Path,
        default=ROOT / "tests" / "fixtures" / "timer.wav",
        help="16 kHz mono 16-bit audio to send (default: the timer fixture)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    with wave.open(str(args.wav), "rb") as wav:
        pcm = wav.readframes(wav.getnframes())
    try:
        result = asyncio.run(measure(args.space, pcm, args.calls))
    except Exception as exc:  # report a failed run as one line, not a traceback
        print(f"engine_cpu: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
