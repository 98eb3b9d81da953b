"""Fixtures for driving the backend app through TestClient with a fake engine."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from backend.app.config import Settings, get_settings
from backend.app.main import create_app
from tests.integration.backend.fakes import FakeEngine

MakeClient = Callable[..., TestClient]


@pytest.fixture(autouse=True)
def clean_settings_environ(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Drop every variable Settings reads, beyond what the shared clean_environ drops."""
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    monkeypatch.chdir(os.path.dirname(__file__))  # no developer's .env in the way
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def make_client() -> Iterator[MakeClient]:
    """Factory: a started TestClient for an app with a fake engine and the given settings."""
    clients: list[TestClient] = []

    def make(engine: Any = None, **settings: Any) -> TestClient:
        settings.setdefault("idle_timeout_s", 5.0)  # a test bug fails instead of hanging
        app = create_app(
            settings=Settings(_env_file=None, **settings), engine=engine or FakeEngine()
        )
        client = TestClient(app)
        client.__enter__()
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.__exit__(None, None, None)
