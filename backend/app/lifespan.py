"""Start-up: read the settings and create the selected engine, or stop with one clear line.

The lifespan also builds the shared service objects, takes SIGTERM for the draining shutdown
(backend/app/drain.py), and at the end closes the engine (its worker processes, its client).
"""

from __future__ import annotations

import inspect
import logging
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import anyio
from fastapi import FastAPI
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from backend.app.config import ConfigError, Settings, get_settings
from backend.app.drain import Drain
from backend.app.engine_queue import EngineQueue
from backend.app.readiness import EngineMonitor
from backend.app.state import Service, SessionGate
from backend.app.version import app_version
from featherweight.asr import create_engine
from featherweight.asr.base import BlockingEngine, Engine
from featherweight.asr.threaded import ThreadedEngine
from featherweight.errors import FeatherweightError

logger = logging.getLogger("uvicorn.error")

# Sessions when MAX_SESSIONS is unset. The remote engine's sessions cost the service little
# (~0.5 MiB and a few ms of CPU per utterance); SenseVoice decodes one utterance at a time.
REMOTE_SESSIONS = 200
LOCAL_SESSIONS = 8


class StartupError(Exception):
    """Start-up cannot go on; the message is the one line the operator sees."""


def engine_spec(settings: Settings) -> tuple[str, dict[str, Any]]:
    """The registry name and options of the engine the settings select."""
    if not settings.use_local_asr:
        token = settings.hf_token.get_secret_value() if settings.hf_token else None
        options: dict[str, Any] = {"space": settings.hf_space, "api_name": settings.hf_space_api}
        options |= {"token": token, "timeout": settings.hf_timeout}
        return "hf-space", options | {"token_to_any_host": settings.hf_token_any_host}
    if settings.local_asr_engine == "pocketsphinx":
        workers = {"workers": settings.engine_workers or None}
        return "pocketsphinx", workers | {"streams_per_worker": settings.streams_per_worker}
    options = {"device": settings.sensevoice_device, "hub": settings.sensevoice_hub}
    if settings.sensevoice_model:
        options["model"] = settings.sensevoice_model
    return "sensevoice", options


def load_engine(settings: Settings) -> Engine:
    """Create the selected engine (blocking: a local model loads here)."""
    name, options = engine_spec(settings)
    engine = create_engine(name, **options)
    if getattr(engine, "token_withheld", False):
        logger.warning(
            "HF_TOKEN is set but HF_SPACE is not a Hugging Face host, so the token is not sent; "
            "set HF_TOKEN_ANY_HOST=true to send it there anyway."
        )
    return engine


def as_engine(engine: Engine | BlockingEngine) -> Engine:
    """An async engine as is; a blocking one (tests' fakes) in a worker thread of its own."""
    if inspect.iscoroutinefunction(type(engine).transcribe):
        return engine  # type: ignore[return-value]
    return ThreadedEngine(engine)  # type: ignore[arg-type]


def build_service(engine: Engine, settings: Settings) -> Service:
    """The shared objects for `engine`, sized by the settings."""
    monitor = EngineMonitor(settings.health_cache_s, settings.health_timeout_s)
    queue = EngineQueue(
        concurrency=settings.max_engine_calls,
        max_waiting=settings.engine_queue,
        max_bytes=settings.engine_queue_bytes,
        deadline_s=settings.engine_deadline_s or settings.hf_timeout,
        per_minute=settings.max_calls_per_minute,
        monitor=monitor,
    )
    return Service(
        engine=engine,
        version=app_version(settings.render_git_commit),
        queue=queue,
        sessions=SessionGate(settings.max_sessions or default_sessions(engine)),
        monitor=monitor,
        drain=Drain(settings.shutdown_grace_s),
    )


def default_sessions(engine: Engine) -> int:
    """Sessions an engine holds when MAX_SESSIONS is unset (docs/SERVICE.md, Capacity)."""
    capacity = getattr(engine, "capacity", None)
    if isinstance(capacity, int):
        return capacity  # pocketsphinx: worker processes times streams per worker
    return REMOTE_SESSIONS if engine.name == "hf-space" else LOCAL_SESSIONS


def fresh_settings() -> Settings:
    """Read the environment again at start-up; requests then share the cached copy."""
    get_settings.cache_clear()
    return get_settings()


def build_lifespan(
    engine: Engine | BlockingEngine | None = None,
) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The app's lifespan; a given `engine` (tests) replaces the one the settings select."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            settings = app.dependency_overrides.get(get_settings, fresh_settings)()
            if engine is not None:
                ready = as_engine(engine)
            else:
                ready = await anyio.to_thread.run_sync(load_engine, settings)
        except (ConfigError, FeatherweightError) as exc:
            raise StartupError(str(exc)) from None
        service = app.state.service = build_service(ready, settings)
        give_back_sigterm = service.drain.install()
        logger.info(
            "Engine %r ready (version %s, up to %d sessions).",
            ready.name, service.version, service.sessions.limit,
        )  # fmt: skip
        try:
            yield
        finally:
            give_back_sigterm()
            if engine is None or ready is not engine:  # ours to close (tests own their engine)
                with anyio.CancelScope(shield=True):
                    await ready.aclose()

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
