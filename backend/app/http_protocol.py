"""uvicorn's h11 protocol with a deadline for each request's headers (against slow-loris).

uvicorn has no header timeout: --timeout-keep-alive runs only between requests and any byte
cancels it, so a client that opens a connection and never finishes its headers holds it
forever (uvicorn issue #157 lists `--timeout-request-start` as not done). ASGI middleware
cannot help: the app sees a request only once its headers are complete. So the start command
selects this class with `--http backend.app.http_protocol:H11WithHeaderDeadline`.

The deadline runs from the connection's first byte (or its opening) to the end of the
request's headers, once per request on a kept-alive connection; REQUEST_HEADER_TIMEOUT_S sets
it. A body that arrives too slowly is the app's to bound (UPLOAD_TIMEOUT_S).
"""

from __future__ import annotations

import asyncio
import logging

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from backend.app.config import get_settings

logger = logging.getLogger("uvicorn.error")


class H11WithHeaderDeadline(H11Protocol):
    """Close a connection whose request headers have not all arrived within the deadline."""

    header_deadline: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self.arm_header_deadline()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.awaiting_headers():
            self.arm_header_deadline()
        else:
            self.disarm_header_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self.disarm_header_deadline()
        super().connection_lost(exc)

    def awaiting_headers(self) -> bool:
        """Whether the next request has started, or may start, but its headers are not in."""
        return self.conn.their_state is h11.IDLE and not self.transport.is_closing()

    def arm_header_deadline(self) -> None:
        if self.header_deadline is None:
            timeout = get_settings().request_header_timeout_s
            self.header_deadline = self.loop.call_later(timeout, self.header_deadline_passed)

    def disarm_header_deadline(self) -> None:
        if self.header_deadline is not None:
            self.header_deadline.cancel()
            self.header_deadline = None

    def header_deadline_passed(self) -> None:
        self.header_deadline = None
        if self.awaiting_headers():
            client = f"{self.client[0]}:{self.client[1]}" if self.client else "a client"
            timeout = get_settings().request_header_timeout_s
            logger.info("Closed the connection from %s: no request within %g s.", client, timeout)
            self.transport.close()
