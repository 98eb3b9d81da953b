"""Fixtures shared by the project's tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(autouse=True)
def clean_environ(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run each test without the caller's service settings in the environment."""
    for name in list(os.environ):
        if name.startswith(("GREETING_", "RENDER_")) and name != "RENDER_SCHEMA":
            monkeypatch.delenv(name)
