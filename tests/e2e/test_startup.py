"""Start-up as an operator sees it: a real interpreter and a real uvicorn process."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys

import pytest

from tests.e2e.server import ROOT, free_port, service_env, uvicorn_command

pytestmark = pytest.mark.e2e

HEAVY = ["funasr", "torch", "torchaudio", "modelscope", "pocketsphinx", "numpy", "gradio"]

# Import the app and run its lifespan start-up, as uvicorn would; print what got imported.
STARTUP_PROBE = """
import json, sys
import anyio
from backend.app.main import app

async def start():
    sent = []
    async def receive():
        return {"type": "lifespan.startup"}
    async def send(message):
        sent.append(message)
        raise SystemExit  # stop after start-up: the app would otherwise wait for shutdown
    try:
        await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
    except SystemExit:
        pass
    return sent[0]["type"]

started = anyio.run(start)
heavy = sorted(name for name in HEAVY if name in sys.modules)
print(json.dumps({"started": started, "heavy": heavy}))
"""


def run_uvicorn(settings: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        uvicorn_command(free_port()),
        cwd=ROOT,
        env=service_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )


def error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith("ERROR:")]


def test_startup_remote_engine_imports_no_extra(tmp_path):
    settings = {"USE_LOCAL_ASR": "false", "HF_SPACE": f"http://127.0.0.1:{free_port()}/"}
    code = f"HEAVY = {HEAVY!r}\n{STARTUP_PROBE}"
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=service_env(settings),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report == {"started": "lifespan.startup.complete", "heavy": []}


def test_startup_bad_use_local_asr_stops_uvicorn_with_one_line():
    result = run_uvicorn({"USE_LOCAL_ASR": "maybe"})
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert error_lines(result.stderr) == [
        "ERROR:    USE_LOCAL_ASR='maybe' is not valid: use true or false (or 1 or 0)",
        "ERROR:    Application startup failed. Exiting.",
    ]


@pytest.mark.skipif(importlib.util.find_spec("funasr") is not None, reason="funasr is installed")
def test_startup_missing_extra_stops_uvicorn_with_install_command():
    result = run_uvicorn({"USE_LOCAL_ASR": "true", "LOCAL_ASR_ENGINE": "sensevoice"})
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert error_lines(result.stderr)[0] == (
        "ERROR:    engine 'sensevoice' needs the 'local-asr' extra: uv sync --extra local-asr"
    )
