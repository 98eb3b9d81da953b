"""The FastAPI app: `uvicorn backend.app.main:app`. Settings are read per request, not at import."""

from __future__ import annotations

from typing import Literal

from fastapi import FastAPI, HTTPException
from fastapi.responses import HTMLResponse
from pydantic import BaseModel

from backend.app.config import Settings, SettingsDep, get_settings
from service_template import greet
from service_template.errors import ServiceTemplateError

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Service Template</title></head>
<body><h1>Service Template</h1>
<p>It runs. Try <a href="/api/greeting?name=you">/api/greeting?name=you</a>,
<a href="/health">/health</a> or the API docs at <a href="/docs">/docs</a>.</p>
</body></html>
"""


class Health(BaseModel):
    status: Literal["ok"] = "ok"
    version: str


class Greeting(BaseModel):
    text: str


def create_app(*, settings: Settings | None = None) -> FastAPI:
    """Build the app; tests pass their own `settings`."""
    app = FastAPI(title="Service Template")
    if settings is not None:
        app.dependency_overrides[get_settings] = lambda: settings

    @app.get("/", response_class=HTMLResponse)
    async def index() -> str:
        """Show the start page."""
        return PAGE

    @app.get("/live")
    async def live() -> dict[str, str]:
        """Report that the process is up."""
        return {"status": "ok"}

    @app.get("/health")
    async def health(settings: SettingsDep) -> Health:
        """Report readiness and the deployed commit (Render's health check)."""
        return Health(version=settings.render_git_commit or "dev")

    @app.get("/api/greeting")
    async def greeting(settings: SettingsDep, name: str | None = None) -> Greeting:
        """Greet `name` (default: the GREETING_NAME setting)."""
        try:
            return Greeting(text=greet(name if name is not None else settings.greeting_name))
        except ServiceTemplateError as exc:
            raise HTTPException(422, str(exc)) from None

    return app


app = create_app()
