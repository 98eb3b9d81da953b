"""Start-up through the ASGI lifespan: a bad setting or a missing extra is one clean line."""

from __future__ import annotations

import importlib.util
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient

from backend.app.lifespan import StartupError
from backend.app.main import create_app


async def run_startup(app: Any) -> dict[str, Any]:
    """Send `lifespan.startup` to the app as a server would; return the message it answers."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    try:
        with anyio.fail_after(30):
            await app(scope, receive, send)
    except StartupError:
        pass
    return sent[0]


def test_startup_bad_use_local_asr_fails_with_one_line(monkeypatch):
    monkeypatch.setenv("USE_LOCAL_ASR", "maybe")
    message = anyio.run(run_startup, create_app())
    assert message == {
        "type": "lifespan.startup.failed",
        "message": "USE_LOCAL_ASR='maybe' is not valid: use true or false (or 1 or 0)",
    }


@pytest.mark.skipif(importlib.util.find_spec("funasr") is not None, reason="funasr is installed")
def test_startup_sensevoice_without_extra_names_the_command(monkeypatch):
    monkeypatch.setenv("USE_LOCAL_ASR", "true")
    monkeypatch.setenv("LOCAL_ASR_ENGINE", "sensevoice")
    message = anyio.run(run_startup, create_app())
    assert message["type"] == "lifespan.startup.failed"
    assert message["message"] == (
        "engine 'sensevoice' needs the 'local-asr' extra: uv sync --extra local-asr"
    )


def test_startup_remote_engine_is_lazy_and_ready(monkeypatch):
    """Start-up with the remote engine succeeds with the Space unreachable: nothing is contacted."""
    monkeypatch.setenv("USE_LOCAL_ASR", "false")
    monkeypatch.setenv("HF_SPACE", "http://127.0.0.1:9/")
    app = create_app()
    with TestClient(app) as client:
        assert client.get("/live").status_code == 200
        assert app.state.service.engine.name == "hf-space"


def test_startup_test_client_raises_startup_error(monkeypatch):
    monkeypatch.setenv("MAX_FRAME_BYTES", "lots")
    with (
        pytest.raises(StartupError, match=r"^MAX_FRAME_BYTES='lots' is not valid"),
        TestClient(create_app()),
    ):
        pass
