"""The service through Starlette's TestClient: every route, and the settings it reads."""

from __future__ import annotations

from fastapi.testclient import TestClient

from backend.app.config import Settings
from backend.app.main import create_app


def client(**settings: str) -> TestClient:
    return TestClient(create_app(settings=Settings(**settings)))  # type: ignore[arg-type]


def test_index_serves_the_start_page() -> None:
    response = client().get("/")
    assert response.status_code == 200
    assert "Service Template" in response.text


def test_live_always_ok() -> None:
    assert client().get("/live").json() == {"status": "ok"}


def test_health_reports_the_deployed_commit() -> None:
    body = client(render_git_commit="abc1234").get("/health").json()
    assert body == {"status": "ok", "version": "abc1234"}


def test_health_without_commit_reports_dev() -> None:
    assert client().get("/health").json()["version"] == "dev"


def test_greeting_uses_the_name_parameter() -> None:
    assert client().get("/api/greeting", params={"name": "Ada"}).json() == {"text": "Hello, Ada!"}


def test_greeting_without_name_uses_the_setting() -> None:
    response = client(greeting_name="team").get("/api/greeting")
    assert response.json() == {"text": "Hello, team!"}


def test_greeting_empty_name_is_422_with_the_reason() -> None:
    response = client().get("/api/greeting", params={"name": "  "})
    assert response.status_code == 422
    assert "name is empty" in response.json()["detail"]
