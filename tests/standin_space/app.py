"""A local Gradio app standing in for the `hz6666/SenseVoiceSmall` Space, for tests on loopback.

Same interface as the original: one `gr.Audio(type="numpy")` input, one text output, the
endpoint `/predict`, and SenseVoice's tagged text (`<|en|><|NEUTRAL|><|Speech|><|woitn|>...`).
The recognition is real, done by pocketsphinx, so tests can assert on the words.

It runs from its own environment (requirements.txt), never inside the test venv: gradio pins
FastAPI/Starlette/pydantic ranges that can clash with the backend's. Start it through
`python -m tools.standin serve`, or `tools.standin.running_space()` in tests.

`--mode` plays other Spaces: `instant` answers a fixed tagged text without recognising (a Space
that is never the bottleneck, for measuring the service), `garbage` serves its config but
answers every API call with an HTML "sleeping" page, as a Space that is not really up does.
`--delay` makes every call sleep first. Both can change while it runs (`POST /stand-in/behaviour`
with `{"mode": ..., "delay": ...}`), so tests share one stand-in instead of starting one each:
gradio takes seconds to import.
"""

from __future__ import annotations

import argparse
import json
import os
import threading
import time
from typing import Any

import gradio as gr
import numpy as np
from pocketsphinx import Decoder
from starlette.middleware import Middleware

SAMPLE_RATE = 16_000
MODES = ("normal", "instant", "garbage")
TAGS = "<|en|><|NEUTRAL|><|Speech|><|woitn|>"
INSTANT_TEXT = "instant answer"
SLEEPING_PAGE = b"<!DOCTYPE html><html><body><h1>This Space is sleeping</h1></body></html>"
NO_SPEECH = "<|nospeech|><|EMO_UNKNOWN|><|Event_UNK|><|woitn|>"  # what SenseVoice gives for silence


def to_pcm16k(sample_rate: int, samples: np.ndarray) -> bytes:
    """Convert Gradio's (rate, array) audio to 16 kHz mono s16le bytes."""
    data = np.asarray(samples)
    if data.ndim == 2:
        data = data.mean(axis=1)
    if np.issubdtype(data.dtype, np.integer):
        data = data.astype(np.float64) / float(np.iinfo(data.dtype).max)
    else:
        data = data.astype(np.float64)
    if sample_rate != SAMPLE_RATE and data.size:
        # Linear interpolation is crude but plenty for speech recognition tests.
        count = round(data.size * SAMPLE_RATE / sample_rate)
        source_times = np.arange(data.size) / sample_rate
        data = np.interp(np.arange(count) / SAMPLE_RATE, source_times, data)
    return (np.clip(data, -1.0, 1.0) * 32767).astype("<i2").tobytes()


class Behaviour:
    """How the stand-in acts right now: its mode and the seconds each call sleeps."""

    def __init__(self, mode: str = "normal", delay: float = 0.0) -> None:
        self.mode, self.delay = mode, delay

    def update(self, data: dict[str, Any]) -> None:
        mode, delay = data.get("mode", self.mode), data.get("delay", self.delay)
        if mode not in MODES or not isinstance(delay, int | float) or delay < 0:
            raise ValueError(f"mode must be one of {MODES} and delay a number >= 0: {data!r}")
        self.mode, self.delay = mode, float(delay)


async def _reply(send: Any, status: int, body: bytes, kind: bytes = b"text/plain") -> None:
    headers = [(b"content-type", kind), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class ControlledApi:
    """ASGI middleware: `POST /stand-in/behaviour` changes the behaviour; in `garbage` mode every
    API call but the config gets a 200 HTML page instead of JSON."""

    def __init__(self, app: Any, behaviour: Behaviour) -> None:
        self.app, self.behaviour = app, behaviour

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and path == "/stand-in/behaviour":
            body = b""
            while True:
                message = await receive()
                body += message.get("body", b"")
                if not message.get("more_body"):
                    break
            try:
                self.behaviour.update(json.loads(body or b"{}"))
            except ValueError as exc:
                await _reply(send, 400, str(exc).encode())
                return
            await _reply(send, 200, b"ok")
            return
        if (
            self.behaviour.mode != "garbage"
            or scope["type"] != "http"
            or "/config" in path
            or "/gradio_api/" not in path
        ):
            await self.app(scope, receive, send)
            return
        await _reply(send, 200, SLEEPING_PAGE, b"text/html")


def build_app(behaviour: Behaviour) -> gr.Interface:
    """The Interface: recognise the audio with pocketsphinx and tag the text as SenseVoice does."""
    decoder = Decoder()  # default config: the English model inside the wheel
    lock = threading.Lock()  # one Decoder serves one utterance at a time

    def recognise(audio: tuple[int, np.ndarray] | None) -> str:
        if behaviour.delay:
            time.sleep(behaviour.delay)
        if audio is None:
            return NO_SPEECH
        if behaviour.mode == "instant":
            return TAGS + INSTANT_TEXT
        pcm = to_pcm16k(*audio)
        with lock:
            decoder.start_utt()
            decoder.process_raw(pcm, full_utt=True)
            decoder.end_utt()
            hyp = decoder.hyp()
        text = hyp.hypstr.strip() if hyp is not None else ""
        return TAGS + text if text else NO_SPEECH

    return gr.Interface(
        recognise,
        gr.Audio(type="numpy"),
        "text",
        api_name="predict",
        analytics_enabled=False,
        flagging_mode="never",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("STANDIN_PORT", "7860")),
        help="port to listen on (default: $STANDIN_PORT or 7860)",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default: loopback)")
    parser.add_argument(
        "--delay", type=float, default=0.0, help="seconds to sleep per call, to act as a slow Space"
    )
    parser.add_argument(
        "--mode",
        choices=MODES,
        default="normal",
        help="normal: recognise; instant: answer a fixed text at once; garbage: answer API calls "
        "with an HTML page (default: normal)",
    )
    return parser


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
    behaviour = Behaviour(args.mode, args.delay)
    build_app(behaviour).launch(
        server_name=args.host,
        server_port=args.port,
        share=False,
        quiet=True,
        show_error=True,
        inbrowser=False,
        ssr_mode=False,
        mcp_server=False,
        app_kwargs={"middleware": [Middleware(ControlledApi, behaviour=behaviour)]},
    )


if __name__ == "__main__":
    main()
