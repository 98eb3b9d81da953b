"""What render-sim asks the running server: Render's health check, then /health, /live, /ws/asr."""

from __future__ import annotations

import http.client
import json
import re
import socket
import time
from dataclasses import dataclass
from pathlib import Path
from subprocess import Popen

from scripts.proc import ScriptError
from scripts.sim_server import log_tail
from tools.asr_client import RouteMissingError, read_pcm, stream_pcm

HOST = "127.0.0.1"
TRY_TIMEOUT = 5.0  # Render's health check wants an answer within 5 s


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


def probe_ws(port: int, speech: Speech, timeout: float = 60.0) -> str:
    """Stream `speech` through WS /ws/asr in 100 ms frames; require a `final` with its key words."""
    result = stream_pcm(
        f"ws://{HOST}:{port}/ws/asr", read_pcm(speech.wav), paced=True, timeout=timeout
    )
    finals = result.finals
    if result.error is not None:
        error = result.error
        raise ScriptError(f"server sent error {error.get('code')}: {error.get('message')}")
    if result.close_code != 1000:
        raise ScriptError(
            f"/ws/asr closed with {result.close_code} {result.close_reason!r} (finals: {finals!r})"
        )
    text = " ".join(finals)
    missing = missing_keywords(text, speech.keywords)
    if not finals or missing:
        raise ScriptError(
            f"final text {text!r} lacks key words {missing or speech.keywords} of {speech.wav.name}"
        )
    return f"{speech.wav.name}: final {text!r} has {', '.join(speech.keywords)}"
