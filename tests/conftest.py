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
