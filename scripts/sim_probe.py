"""What render-sim asks the running server: Render's health check, then /health, /live, /ws/asr."""

from __future__ import annotations

import http.client
import json
import re
import socket
import time
import wave
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen

from scripts.proc import ScriptError
from scripts.sim_server import log_tail

HOST = "127.0.0.1"
TRY_TIMEOUT = 5.0  # Render's health check wants an answer within 5 s
FRAME_MS = 100


class RouteMissingError(ScriptError):
    """The server has no such route (404/403): a foreign project may simply not have it."""


def http_get(port: int, path: str, timeout: float = TRY_TIMEOUT) -> tuple[int, bytes]:
    """GET http://127.0.0.1:port/path without following redirects; (status, body)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read()
    finally:
        conn.close()


def port_open(port: int) -> bool:
    try:
        with socket.create_connection((HOST, port), timeout=TRY_TIMEOUT):
            return True
    except OSError:
        return False


def wait_until_ready(
    server: Popen[bytes], port: int, health_path: str | None, timeout: float, log: Path
) -> str:
    """Poll as Render does (health path 2xx/3xx, or an open port) until ready; return a detail.

    Raises ScriptError, with the tail of the server log, when the server exits or the
    deadline passes.
    """
    started = time.monotonic()
    last = "no answer"
    while time.monotonic() - started < timeout:
        if server.poll() is not None:
            raise ScriptError(
                f"server exited with code {server.returncode} before it was "
                f"ready; last lines of its log:\n{log_tail(log)}"
            )
        if health_path is None:
            if port_open(port):
                return f"port {port} open after {time.monotonic() - started:.1f}s"
        else:
            try:
                status, _ = http_get(port, health_path)
                if 200 <= status < 400:
                    return f"GET {health_path} -> {status} after {time.monotonic() - started:.1f}s"
                last = f"GET {health_path} -> {status}"
            except (OSError, http.client.HTTPException) as exc:
                last = f"GET {health_path}: {exc or type(exc).__name__}"
        time.sleep(0.5)
    what = f"{health_path} to answer 2xx/3xx" if health_path else f"port {port} to open"
    raise ScriptError(
        f"waited {timeout:g}s for {what} ({last}); last lines of the server log:\n{log_tail(log)}"
    )


def loopback_only(port: int, proc_net: Path = Path("/proc/net")) -> bool:
    """Whether the port listens on 127.0.0.1/::1 only, where Render's router cannot reach it."""
    addresses = set()
    for name in ("tcp", "tcp6"):
        try:
            lines = (proc_net / name).read_text().splitlines()[1:]
        except OSError:
            return False
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                addresses.add(address)
    loopback = {"0100007F", "00000000000000000000000001000000"}
    return bool(addresses) and addresses <= loopback


def probe_health(port: int, commit: str | None) -> str:
    """GET /health: 200 with a JSON object holding `status` (and `version` == commit if given)."""
    status, body = http_get(port, "/health")
    if status in (403, 404):
        raise RouteMissingError(f"GET /health -> {status}")
    if status != 200:
        raise ScriptError(f"GET /health -> {status}: {body[:200]!r}")
    try:
        data = json.loads(body)
    except ValueError:
        raise ScriptError(f"GET /health -> 200 but not JSON: {body[:200]!r}") from None
    if not isinstance(data, dict) or "status" not in data:
        raise ScriptError(f"GET /health -> 200 but the JSON has no 'status': {body[:200]!r}")
    if commit is not None and data.get("version") != commit:
        raise ScriptError(
            f"GET /health says version {data.get('version')!r}, expected the "
            f"deployed commit {commit} (RENDER_GIT_COMMIT)"
        )
    shown = {k: data[k] for k in ("status", "engine", "version") if k in data}
    return f"200 {json.dumps(shown)}"


def probe_live(port: int) -> str:
    """GET /live: 200."""
    status, _ = http_get(port, "/live")
    if status in (403, 404):
        raise RouteMissingError(f"GET /live -> {status}")
    if status != 200:
        raise ScriptError(f"GET /live -> {status}")
    return "200"


@dataclass(frozen=True)
class Speech:
    wav: Path
    keywords: list[str]


def pick_fixture(fixtures: Path) -> Speech | None:
    """A fixture from phrases.json with key words and its WAV present, fewest utterances first.

    phrases.json maps a name to `{"file": "x.wav", "utterances": [{"text", "key_words"}]}`.
    """
    try:
        phrases = json.loads((fixtures / "phrases.json").read_text())
    except (OSError, ValueError):
        return None
    candidates = []
    for name, entry in phrases.items() if isinstance(phrases, dict) else []:
        if not isinstance(entry, dict):
            continue
        utterances = [u for u in entry.get("utterances", []) if isinstance(u, dict)]
        words = [str(w) for u in utterances for w in u.get("key_words", [])]
        wav = fixtures / str(entry.get("file", f"{name}.wav"))
        if words and wav.is_file():
            candidates.append((len(utterances), str(name), Speech(wav=wav, keywords=words)))
    return min(candidates, key=lambda c: c[:2])[2] if candidates else None


def _words(text: str) -> str:
    return " ".join(re.findall(r"[\w']+", text.lower()))


def missing_keywords(text: str, keywords: list[str]) -> list[str]:
    """Key words (whole words; case and punctuation ignored) that `text` does not contain."""
    padded = f" {_words(text)} "
    return [k for k in keywords if f" {_words(k)} " not in padded]


def read_pcm(wav: Path) -> bytes:
    """16 kHz mono s16le samples of `wav`; ScriptError for any other format."""
    with wave.open(str(wav), "rb") as w:
        shape = (w.getframerate(), w.getnchannels(), w.getsampwidth())
        if shape != (16000, 1, 2):
            raise ScriptError(
                f"{wav.name} is {shape[0]} Hz, {shape[1]} channel(s), "
                f"{8 * shape[2]}-bit: the probe needs 16 kHz mono 16-bit"
            )
        return w.readframes(w.getnframes())


def probe_ws(port: int, speech: Speech, timeout: float = 60.0) -> str:
    """Stream `speech` through WS /ws/asr in 100 ms frames; require a `final` with its key words."""
    from websockets.exceptions import ConnectionClosed, InvalidStatus
    from websockets.sync.client import connect

    pcm = read_pcm(speech.wav)
    frame = 16000 * 2 * FRAME_MS // 1000
    start = {"type": "start", "sample_rate": 16000, "encoding": "pcm_s16le", "language": "auto"}
    finals: list[str] = []
    try:
        ws = connect(f"ws://{HOST}:{port}/ws/asr", open_timeout=10, proxy=None, max_queue=None)
    except InvalidStatus as exc:
        code = exc.response.status_code
        if code in (403, 404):
            raise RouteMissingError(f"no WebSocket at /ws/asr (handshake -> {code})") from None
        raise ScriptError(f"WebSocket handshake on /ws/asr -> {code}") from None
    deadline = time.monotonic() + timeout
    with ws:
        ws.send(json.dumps(start))
        for offset in range(0, len(pcm), frame):
            ws.send(pcm[offset : offset + frame])
            time.sleep(FRAME_MS / 1000)
        ws.send(json.dumps({"type": "stop"}))
        try:
            while time.monotonic() < deadline:
                message = ws.recv(timeout=max(deadline - time.monotonic(), 0.1))
                event = json.loads(message) if isinstance(message, str) else {}
                if event.get("type") == "error":
                    raise ScriptError(
                        f"server sent error {event.get('code')}: {event.get('message')}"
                    )
                if event.get("type") == "final":
                    finals.append(str(event.get("text", "")))
        except ConnectionClosed:
            pass
        except TimeoutError:
            raise ScriptError(
                f"no close from /ws/asr within {timeout:g}s (finals so far: {finals!r})"
            ) from None
    code = ws.close_code
    text = " ".join(finals)
    if code != 1000:
        raise ScriptError(f"/ws/asr closed with {code} {ws.close_reason!r} (finals: {finals!r})")
    missing = missing_keywords(text, speech.keywords)
    if not finals or missing:
        raise ScriptError(
            f"final text {text!r} lacks key words {missing or speech.keywords} of {speech.wav.name}"
        )
    return f"{speech.wav.name}: final {text!r} has {', '.join(speech.keywords)}"
