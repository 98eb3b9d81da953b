"""Run the service as a real uvicorn process, and talk to it as a client would (e2e helpers)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
import wave
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from scripts.servers import free_port, serving

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures"
SETTINGS_PREFIXES = (
    "USE_LOCAL_ASR", "LOCAL_ASR_", "HF_", "SENSEVOICE_", "RENDER_", "MAX_", "ENGINE_", "STREAMS_",
    "SHUTDOWN_", "IDLE_", "HEALTH_",
)  # fmt: skip
FRAME_BYTES = 3200  # 100 ms of 16 kHz s16le
HOST = "127.0.0.1"


def service_env(settings: Mapping[str, str]) -> dict[str, str]:
    """Our environment without the caller's service settings, plus `settings`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SETTINGS_PREFIXES)}
    return env | {"PYTHONUNBUFFERED": "1"} | dict(settings)


def uvicorn_command(port: int, args: Sequence[str] = ()) -> list[str]:
    app = "backend.app.main:app"
    return [sys.executable, "-m", "uvicorn", app, "--host", HOST, "--port", str(port), *args]


@dataclass
class Served:
    """A running uvicorn: its base URL, process and log file."""

    url: str
    process: subprocess.Popen[bytes]
    log: Path


@contextmanager
def running_service(settings: Mapping[str, str], tmp: Path, timeout: float = 60.0) -> Iterator[str]:
    """Serve the app on a free loopback port with `settings` as its environment; yield its URL."""
    with service_process(settings, tmp, timeout=timeout) as served:
        yield served.url


@contextmanager
def service_process(
    settings: Mapping[str, str], tmp: Path, args: Sequence[str] = (), timeout: float = 60.0
) -> Iterator[Served]:
    """Like running_service, with extra uvicorn `args`; yields the process and its log too."""
    port = free_port(HOST)
    url = f"http://{HOST}:{port}"
    with serving(
        uvicorn_command(port, args), cwd=ROOT, env=service_env(settings),
        log=tmp / f"uvicorn-{port}.log", ready_url=f"{url}/live", timeout=timeout, grace=15,
        what="uvicorn",
    ) as server:  # fmt: skip
        yield Served(url, server.process, server.log)


def read_fixture(name: str) -> tuple[bytes, list[list[str]]]:
    """A speech fixture's PCM and the key words of each of its utterances."""
    phrase = json.loads((FIXTURES / "phrases.json").read_text())[name]
    with wave.open(str(FIXTURES / phrase["file"]), "rb") as wav:
        pcm = wav.readframes(wav.getnframes())
    return pcm, [utterance["key_words"] for utterance in phrase["utterances"]]


def fixture_bytes(name: str) -> bytes:
    phrase = json.loads((FIXTURES / "phrases.json").read_text())[name]
    return (FIXTURES / phrase["file"]).read_bytes()


@dataclass
class Session:
    """What one WebSocket session received, and when."""

    messages: list[dict[str, Any]]
    close_code: int | None
    stop_to_close_s: float  # from sending stop to the server's close: the final's latency

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["type"] == kind]


def stream(url: str, items: list[Any], *, paced: bool = False, timeout: float = 60.0) -> Session:
    """Send `items` over /ws/asr (bytes as audio in 100 ms frames, dicts as JSON, str as text),
    then read until the server closes. `paced` sends audio in real time."""
    ws_url = url.replace("http://", "ws://") + "/ws/asr"
    messages: list[dict[str, Any]] = []
    stopped_at = time.monotonic()
    with connect(ws_url, open_timeout=timeout, close_timeout=5) as ws:
        try:
            for item in items:
                if isinstance(item, bytes):
                    for at in range(0, len(item), FRAME_BYTES):
                        ws.send(item[at : at + FRAME_BYTES])
                        if paced:
                            time.sleep(FRAME_BYTES / 32_000)
                else:
                    ws.send(item if isinstance(item, str) else json.dumps(item))
            stopped_at = time.monotonic()
            while True:
                messages.append(json.loads(ws.recv(timeout=timeout)))
        except ConnectionClosed as closed:
            code = closed.rcvd.code if closed.rcvd else None
    return Session(messages, code, time.monotonic() - stopped_at)


def post_wav(url: str, data: bytes, timeout: float = 60.0) -> tuple[int, dict[str, Any]]:
    """POST a WAV file as multipart `file`; return the status and JSON body."""
    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n'
            f"Content-Type: audio/wav\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    request = urllib.request.Request(f"{url}/api/transcribe", body, headers, method="POST")
    return fetch(request, timeout)


def get_json(url: str, timeout: float = 10.0) -> tuple[int, dict[str, Any]]:
    return fetch(urllib.request.Request(url), timeout)


def fetch(request: urllib.request.Request, timeout: float) -> tuple[int, dict[str, Any]]:
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        with exc:
            return exc.code, json.loads(exc.read())
