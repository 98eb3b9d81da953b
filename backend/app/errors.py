"""What a client is told when the engine fails, and the one log line that holds the details.

A client gets a short message that names no URL, host or exception class, and an error id; the
log gets one line under the same id with the full (credential-free) detail. Expected failures
never log a traceback; only a bug (an exception outside the library's errors) does.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass

from fastapi import HTTPException

from featherweight.errors import (
    AudioError,
    EngineBusyError,
    FeatherweightError,
    RemoteEngineError,
)
from featherweight.urls import redact

logger = logging.getLogger("uvicorn.error")


class RateLimitError(EngineBusyError):
    """A client made more engine calls in the last minute than it may."""


class ShuttingDownError(EngineBusyError):
    """The server is draining before a restart and takes no new work."""


@dataclass(frozen=True)
class PublicError:
    """An engine failure as a client may see it."""

    code: str  # the WebSocket error code
    message: str
    error_id: str | None = None
    retry_after: float | None = None


def public_error(exc: BaseException, where: str) -> PublicError:
    """Log `exc` once, as one line that starts with `where` ("session 3f9c1a2b"), and return
    what the client may be told about it."""
    if isinstance(exc, EngineBusyError):
        code = "rate_limited" if isinstance(exc, RateLimitError) else "busy"
        code = "shutting_down" if isinstance(exc, ShuttingDownError) else code
        logger.info("%s: %s: %s", where, code, exc)
        return PublicError(code, str(exc), retry_after=exc.retry_after)
    error_id = secrets.token_hex(4)
    if isinstance(exc, RemoteEngineError):
        logger.warning("%s: error %s: %s", where, error_id, redact(str(exc)))
        message = f"the speech engine {exc.reason} (error id {error_id})"
    elif isinstance(exc, FeatherweightError):
        cause = exc.__cause__
        bug = isinstance(cause, Exception) and not isinstance(cause, FeatherweightError)
        # An engine's own bug (not one of the library's errors) keeps its traceback.
        logger.warning("%s: error %s: %s", where, error_id, redact(str(exc)),
                       exc_info=cause if bug else None)  # fmt: skip
        message = f"the speech engine failed (error id {error_id})"
    else:
        logger.error("%s: error %s: a bug", where, error_id, exc_info=exc)
        message = f"the server failed unexpectedly (error id {error_id})"
    return PublicError("engine_error", message, error_id)


def retry_header(seconds: float | None) -> dict[str, str]:
    """A Retry-After header of whole seconds, at least 1."""
    return {"Retry-After": str(max(1, round(seconds or 1)))}


def http_error(exc: FeatherweightError, where: str = "POST /api/transcribe") -> HTTPException:
    """The HTTP answer for a library error from an engine call.

    422 audio it cannot use, 429 over the per-client rate, 503 busy / draining / the remote
    engine failed (with Retry-After when trying again later may work), 500 a local engine failed.
    """
    if isinstance(exc, AudioError):
        return HTTPException(422, str(exc))
    failure = public_error(exc, where)
    if isinstance(exc, RateLimitError):
        return HTTPException(429, failure.message, retry_header(failure.retry_after))
    if isinstance(exc, EngineBusyError):
        return HTTPException(503, failure.message, retry_header(failure.retry_after))
    if isinstance(exc, RemoteEngineError):
        return HTTPException(503, failure.message)
    return HTTPException(500, failure.message)
