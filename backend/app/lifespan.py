"""Start-up: read the settings and create the selected engine, or stop with one clear line."""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.app.config import ConfigError, Settings, get_settings
from backend.app.readiness import HealthCache
from backend.app.state import Service, SessionGate
from backend.app.version import app_version
from featherweight.asr import create_engine
from featherweight.asr.base import Engine
from featherweight.errors import FeatherweightError

logger = logging.getLogger("uvicorn.error")

# gradio_client and huggingface_hub send usage data unless told not to; set before either loads.
QUIET_REMOTE_ENV = {"GRADIO_ANALYTICS_ENABLED": "False", "HF_HUB_DISABLE_TELEMETRY": "1"}


class StartupError(Exception):
    """Start-up cannot go on; the message is the one line the operator sees."""


def engine_spec(settings: Settings) -> tuple[str, dict[str, Any]]:
    """The registry name and options of the engine the settings select."""
    if not settings.use_local_asr:
        token = settings.hf_token.get_secret_value() if settings.hf_token else None
        options = {"space": settings.hf_space, "api_name": settings.hf_space_api}
        return "hf-space", options | {"token": token, "timeout": settings.hf_timeout}
    if settings.local_asr_engine == "pocketsphinx":
        return "pocketsphinx", {}
    options = {"device": settings.sensevoice_device, "hub": settings.sensevoice_hub}
    if settings.sensevoice_model:
        options["model"] = settings.sensevoice_model
    return "sensevoice", options


def load_engine(settings: Settings) -> Engine:
    """Create the selected engine (blocking: a local model loads here)."""
    name, options = engine_spec(settings)
    if name == "hf-space":
        for key, value in QUIET_REMOTE_ENV.items():
            os.environ.setdefault(key, value)
    return create_engine(name, **options)


def fresh_settings() -> Settings:
    """Read the environment again at start-up; requests then share the cached copy."""
    get_settings.cache_clear()
    return get_settings()


def build_lifespan(
    engine: Engine | None = None,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The app's lifespan; a given `engine` (tests) replaces the one the settings select."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            settings = app.dependency_overrides.get(get_settings, fresh_settings)()
            ready = engine or await anyio.to_thread.run_sync(load_engine, settings)
        except (ConfigError, FeatherweightError) as exc:
            raise StartupError(str(exc)) from None
        app.state.service = Service(
            engine=ready,
            version=app_version(settings.render_git_commit),
            engine_calls=anyio.CapacityLimiter(settings.max_engine_calls),
            sessions=SessionGate(settings.max_sessions),
            health=HealthCache(settings.health_cache_s, settings.health_timeout_s),
        )
        logger.info("Engine %r ready (version %s).", ready.name, app.state.service.version)
        yield
        close = getattr(ready, "close", None)  # the remote engine's client has a heartbeat
        if engine is None and callable(close):
            await anyio.to_thread.run_sync(close)

    return lifespan


class CleanStartupFailure:
    """ASGI middleware: report a StartupError as its one line, not Starlette's traceback.

    Starlette sends the formatted traceback as the `lifespan.startup.failed` message, and
    uvicorn logs that message. The router sends it while handling the exception, so the
    exception is still visible through `sys.exc_info()` here.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "lifespan":
            await self.app(scope, receive, send)
            return

        async def send_clean(message: Message) -> None:
            failure = sys.exc_info()[1]
            if message["type"] == "lifespan.startup.failed" and isinstance(failure, StartupError):
                message = {**message, "message": str(failure)}
            await send(message)

        await self.app(scope, receive, send_clean)
