"""Fixtures shared by every test layer."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "fixtures"

# Variables that change how the service, pip or the scripts behave; tests set what they need.
_LEAKY_PREFIXES = (
    "USE_LOCAL_ASR",
    "LOCAL_ASR_",
    "HF_",
    "SENSEVOICE_",
    "RENDER_",
    "MAX_",
    "IDLE_",
    "SILENCE_",
    "HEALTH_",
    "ENGINE_",
    "STREAMS_",
    "SHUTDOWN_",
    "ALLOWED_ORIGINS",
    "API_KEYS",
    "REQUEST_HEADER_",
    "UPLOAD_",
    "FORWARDED_ALLOW_IPS",
)


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run each test without the caller's service settings in the environment."""
    for name in list(os.environ):
        if name.startswith(_LEAKY_PREFIXES) and name not in ("RENDER_SCHEMA",):
            monkeypatch.delenv(name)


def pytest_sessionstart(session: pytest.Session) -> None:
    """Build the stand-in Space's venv before the tests start, and say so while it builds.

    It takes a couple of minutes on first use (gradio and its dependencies from PyPI), which
    inside a test would look like a hang. Only the main process builds it (test workers find it
    ready), and only when end-to-end tests are selected.
    """
    config = session.config
    if hasattr(config, "workerinput") or "not e2e" in (config.option.markexpr or ""):
        return
    from tools import standin

    if standin.env_ready():
        return
    capture = config.pluginmanager.getplugin("capturemanager")
    with capture.global_and_fixture_disabled():
        print("\n==> building the stand-in Space's venv (first run only, ~2 min from PyPI)")
        standin.ensure_env()
