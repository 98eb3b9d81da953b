"""Hold many WebSocket connections on one instance at once: some speak, the rest stream silence.

Every connection is one session for the whole run: start, 100 ms frames at real-time pace
(speakers loop a speech fixture, the others send silence, as an idle microphone does), then
stop and wait for the close. A connection is lost when it does not open, or ends with anything
but 1000.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field

from tools.loadgen import FRAME_BYTES, START, close_label, percentile, probe_live, usage

STOP = json.dumps({"type": "stop"})
SILENCE = bytes(FRAME_BYTES)


@dataclass
class Hold:
    """What holding `total` connections gave."""

    total: int
    speaking: int
    seconds: float
    closes: dict[str, int] = field(default_factory=dict)
    finals: int = 0
    peak_rss_mib: float = 0.0
    live_p95_ms: float = 0.0
    server_cores: float = 0.0

    @property
    def lost(self) -> int:
        return self.total - self.closes.get("1000", 0)


async def connection(
    url: str, pcm: bytes | None, offset: float, seconds: float, hold: Hold
) -> None:
    """One session of `seconds`: `pcm` looped in real time from `offset` (a fraction of it), or
    silence when None."""
    from websockets.asyncio.client import connect
    from websockets.exceptions import ConnectionClosed

    frames = [pcm[i : i + FRAME_BYTES] for i in range(0, len(pcm), FRAME_BYTES)] if pcm else []
    try:
        async with connect(url, open_timeout=30, max_queue=None, proxy=None) as ws:
            start = int(offset * len(frames))
            try:
                await ws.send(json.dumps(START))
                began, index = time.monotonic(), 0
                while index < seconds * 10:
                    await asyncio.sleep(max(0.0, began + index * 0.1 - time.monotonic()))
                    await ws.send(frames[(start + index) % len(frames)] if frames else SILENCE)
                    index += 1
                await ws.send(STOP)
            except ConnectionClosed:
                pass
            try:
                async for message in ws:
                    hold.finals += isinstance(message, str) and '"final"' in message
            except ConnectionClosed:
                pass
            code = close_label(ws)
    except (OSError, TimeoutError) as exc:
        code = type(exc).__name__
    hold.closes[code] = hold.closes.get(code, 0) + 1


async def hold_connections(
    base_url: str, pid: int, pcm: bytes, total: int, speaking: int, seconds: float
) -> Hold:
    """Open `total` sessions within a second, `speaking` of them with speech, and hold them for
    `seconds`."""
    ws_url = base_url.replace("http", "ws", 1) + "/ws/asr"
    hold = Hold(total, speaking, seconds)
    stop = asyncio.Event()
    live: list[float] = []

    # Speakers spread over the connections, each from another point of the fixture, so that
    # their utterances end at different times, as real speakers' do.
    speakers = {round(i * total / speaking): i / speaking for i in range(speaking)}

    async def opened(index: int) -> None:
        await asyncio.sleep(index / total)
        speaks = index in speakers
        await connection(ws_url, pcm if speaks else None, speakers.get(index, 0.0), seconds, hold)

    async def watch() -> None:
        while not stop.is_set():
            hold.peak_rss_mib = max(hold.peak_rss_mib, usage(pid)[1])
            await asyncio.sleep(0.5)

    cpu, started = usage(pid)[0], time.monotonic()
    helpers = [asyncio.create_task(probe_live(base_url, stop, live)), asyncio.create_task(watch())]
    await asyncio.gather(*(opened(i) for i in range(total)))
    stop.set()
    await asyncio.gather(*helpers)
    hold.server_cores = round((usage(pid)[0] - cpu) / (time.monotonic() - started), 2)
    hold.peak_rss_mib = round(hold.peak_rss_mib, 1)
    hold.live_p95_ms = round(1000 * percentile(live, 0.95), 1)
    return hold
