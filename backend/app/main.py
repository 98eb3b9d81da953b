"""The FastAPI app: `uvicorn backend.app.main:app`. Settings are read at start-up, not import."""

from __future__ import annotations

from fastapi import FastAPI

from backend.app.config import Settings, get_settings
from backend.app.gate import Gate
from backend.app.headers import SecurityHeaders
from backend.app.lifespan import CleanStartupFailure, build_lifespan
from backend.app.logs import quiet_expected_failures
from backend.app.routes import asr, health, page, transcribe
from featherweight.asr.base import BlockingEngine, Engine


def create_app(
    *, settings: Settings | None = None, engine: Engine | BlockingEngine | None = None
) -> FastAPI:
    """Build the app. Tests pass `settings` and a fake `engine`; production passes neither."""
    app = FastAPI(
        title="Featherweight",
        summary="Streaming speech-to-text over WebSocket, and one-shot WAV transcription.",
        lifespan=build_lifespan(engine),
    )
    if settings is not None:
        app.dependency_overrides[get_settings] = lambda: settings

    def current_settings() -> Settings:  # the same settings the routes get
        settings: Settings = app.dependency_overrides.get(get_settings, get_settings)()
        return settings

    # The last added runs first: security headers wrap every answer, the gate's refusals too.
    app.add_middleware(CleanStartupFailure)
    app.add_middleware(Gate, settings=current_settings)
    app.add_middleware(SecurityHeaders)
    for module in (page, health, asr, transcribe):
        app.include_router(module.router)
    quiet_expected_failures()
    return app


app = create_app()
