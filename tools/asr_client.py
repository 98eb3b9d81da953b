"""Stream a WAV file to the service's WebSocket, the way a client should, and print the finals.

It follows the protocol in docs/SERVICE.md: a `start` message, 100 ms binary frames of
16 kHz mono s16le PCM (paced in real time unless --fast), `stop`, then it reads `partial`,
`final` and `error` messages until the server closes. Finals go to stdout, one per line;
partials and progress go to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
import wave
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scripts.proc import ScriptError

DEFAULT_URL = "ws://127.0.0.1:8000/ws/asr"
SAMPLE_RATE = 16_000
FRAME_MS = 100
START = {"type": "start", "sample_rate": SAMPLE_RATE, "encoding": "pcm_s16le", "language": "auto"}
EPILOG = r"""examples:
  python -m tools.asr_client tests/fixtures/timer.wav
  python -m tools.asr_client tests/fixtures/two_utterances.wav --fast \
      --url ws://127.0.0.1:8000/ws/asr
  python -m tools.asr_client tests/fixtures/timer.wav --check   # exit 1 without its key words
"""
PHRASES = "phrases.json"


class RouteMissingError(ScriptError):
    """The server has no WebSocket at that path (the handshake got 403 or 404)."""


@dataclass
class StreamResult:
    """What the server sent back for one streamed file."""

    finals: list[str] = field(default_factory=list)
    partials: int = 0
    error: dict[str, Any] | None = None
    close_code: int | None = None
    close_reason: str = ""


def read_pcm(wav: Path) -> bytes:
    """The samples of a 16 kHz mono 16-bit WAV; ScriptError for anything else."""
    try:
        with wave.open(str(wav), "rb") as w:
            shape = (w.getframerate(), w.getnchannels(), w.getsampwidth())
            frames = w.readframes(w.getnframes())
    except (OSError, EOFError, wave.Error) as exc:
        raise ScriptError(f"cannot read {wav} as a WAV file ({exc})") from None
    if shape != (SAMPLE_RATE, 1, 2):
        raise ScriptError(
            f"{wav} is {shape[0]} Hz, {shape[1]} channel(s), {8 * shape[2]}-bit: convert it "
            f"first: sox {wav} -r 16000 -c 1 -b 16 out.wav"
        )
    return frames


def stream_pcm(
    url: str,
    pcm: bytes,
    *,
    paced: bool = True,
    timeout: float = 60.0,
    on_event: Callable[[dict[str, Any]], None] | None = None,
    api_key: str | None = None,
) -> StreamResult:
    """Send `pcm` over the WebSocket at `url` and collect the answers until the server closes.

    Raises RouteMissingError when there is no WebSocket at `url`, and ScriptError when the
    connection fails or the server does not close within `timeout` seconds.
    """
    from websockets.exceptions import ConnectionClosed, InvalidStatus, InvalidURI
    from websockets.sync.client import connect

    frame = SAMPLE_RATE * 2 * FRAME_MS // 1000
    result = StreamResult()
    try:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else None
        ws = connect(url, open_timeout=10, proxy=None, max_queue=None, additional_headers=headers)
    except InvalidStatus as exc:
        code = exc.response.status_code
        if code in (403, 404):
            raise RouteMissingError(f"no WebSocket at {url} (handshake -> {code})") from None
        raise ScriptError(f"WebSocket handshake on {url} -> {code}") from None
    except (InvalidURI, OSError, TimeoutError) as exc:
        raise ScriptError(f"cannot connect to {url} ({exc}): is the service running?") from None
    deadline = time.monotonic() + timeout
    with ws:
        try:
            ws.send(json.dumps(START))
            for offset in range(0, len(pcm), frame):
                ws.send(pcm[offset : offset + frame])
                if paced:
                    time.sleep(FRAME_MS / 1000)
            ws.send(json.dumps({"type": "stop"}))
        except ConnectionClosed:
            pass  # the server closed early: what it sent before (an error) is read below
        try:
            while time.monotonic() < deadline:
                message = ws.recv(timeout=max(deadline - time.monotonic(), 0.1))
                event = json.loads(message) if isinstance(message, str) else {}
                kind = event.get("type")
                result.partials += kind == "partial"
                if kind == "final":
                    result.finals.append(str(event.get("text", "")))
                elif kind == "error":
                    result.error = event
                if on_event is not None:
                    on_event(event)
        except ConnectionClosed:
            pass
        except TimeoutError:
            raise ScriptError(
                f"no close from {url} within {timeout:g} s (finals so far: {result.finals!r})"
            ) from None
    result.close_code = ws.close_code
    result.close_reason = ws.close_reason or ""
    return result


def expected_keywords(wav: Path) -> list[str]:
    """The key words that phrases.json beside `wav` lists for it (see tests/fixtures/README.md)."""
    try:
        phrases = json.loads((wav.parent / PHRASES).read_text())
    except (OSError, ValueError) as exc:
        raise ScriptError(f"cannot read {wav.parent / PHRASES} ({exc}): drop --check") from None
    for entry in phrases.values() if isinstance(phrases, dict) else []:
        if isinstance(entry, dict) and entry.get("file") == wav.name:
            return [str(w) for u in entry.get("utterances", []) for w in u.get("key_words", [])]
    raise ScriptError(f"{wav.parent / PHRASES} lists no key words for {wav.name}: drop --check")


def _words(text: str) -> str:
    return " ".join(re.findall(r"[\w']+", text.lower()))


def missing_keywords(text: str, keywords: Sequence[str]) -> list[str]:
    """Key words (whole words; case and punctuation ignored) that `text` does not contain."""
    padded = f" {_words(text)} "
    return [k for k in keywords if f" {_words(k)} " not in padded]


def show(event: dict[str, Any]) -> None:
    """Print one server message as it arrives: finals on stdout, the rest on stderr."""
    kind = event.get("type")
    if kind == "final":
        print(event.get("text", ""), flush=True)
    elif kind == "partial":
        print(f"... {event.get('text', '')}", file=sys.stderr, flush=True)
    elif kind == "error":
        print(f"error {event.get('code')}: {event.get('message')}", file=sys.stderr, flush=True)
    elif kind == "ready":
        print(f"==> connected: engine {event.get('engine')}", file=sys.stderr, flush=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.asr_client",
        description=__doc__.splitlines()[0] if __doc__ else None,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("wav", type=Path, help="a 16 kHz mono 16-bit WAV file")
    parser.add_argument("--url", default=DEFAULT_URL, help=f"the WebSocket (default {DEFAULT_URL})")
    parser.add_argument("--fast", action="store_true", help="send frames without real-time pacing")
    parser.add_argument(
        "--timeout", type=float, default=60.0, help="seconds to wait for the server (default 60)"
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help=f"fail unless the finals hold the key words that {PHRASES} beside the WAV lists",
    )
    parser.add_argument(
        "--api-key",
        default=os.environ.get("ASR_API_KEY"),
        help="a key of the service's API_KEYS, sent as 'Authorization: Bearer' "
        "(default: $ASR_API_KEY)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        pcm = read_pcm(args.wav)
        keywords = expected_keywords(args.wav) if args.check else []
    except ScriptError as exc:
        print(f"asr_client: {exc}", file=sys.stderr)
        return 2
    try:
        result = stream_pcm(
            args.url,
            pcm,
            paced=not args.fast,
            timeout=args.timeout,
            on_event=show,
            api_key=args.api_key,
        )
    except ScriptError as exc:
        print(f"asr_client: {exc}", file=sys.stderr)
        return 1
    if result.error is not None or result.close_code != 1000:
        print(f"asr_client: closed with {result.close_code} {result.close_reason}", file=sys.stderr)
        return 1
    text = " ".join(result.finals)
    missing = missing_keywords(text, keywords)
    if missing:
        print(f"asr_client: the finals {text!r} lack {', '.join(missing)}", file=sys.stderr)
        return 1
    if keywords:
        print(f"{args.wav.name}: final {text!r} has {', '.join(keywords)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
