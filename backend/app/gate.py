"""ASGI middleware that refuses a guarded request before any route sees it.

Guarded are WebSockets and requests with side effects (POST, ...). Each is checked against
the origin allow-list and the API keys (access.py), then counted against its client's cap on
open connections (clients.py). A refused WebSocket is accepted, gets one `error` frame and is
closed with 1008, so browser code can read why; a refused HTTP request gets a JSON `detail`
with 401, 403 or 429. GET requests (the page, /health) pass untouched.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Receive, Scope, Send

from backend.app.access import Access, Refusal, is_guarded
from backend.app.clients import SCOPE_KEY, ClientLimitError, Clients, client_address
from backend.app.config import Settings
from backend.app.protocol import POLICY, error

logger = logging.getLogger("uvicorn.error")


class Gate:
    """Built in create_app; reads the settings on the first request (they load at start-up)."""

    def __init__(self, app: ASGIApp, settings: Callable[[], Settings]) -> None:
        self.app = app
        self.settings = settings
        self.access: Access | None = None
        self.clients: Clients | None = None

    def configure(self) -> tuple[Access, Clients]:
        if self.access is None or self.clients is None:
            settings = self.settings()
            self.access = Access.from_settings(settings)
            self.clients = Clients(
                settings.max_client_connections, settings.max_client_audio_s_per_min
            )
        return self.access, self.clients

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not is_guarded(scope):
            await self.app(scope, receive, send)
            return
        access, clients = self.configure()
        address = client_address(scope)
        refusal = access.check(Headers(scope=scope))
        if refusal is None:
            try:
                client = clients.open(address)
            except ClientLimitError as exc:
                retry = (("retry-after", str(exc.retry_after)),)
                refusal = Refusal(429, exc.code, exc.message, retry)
        if refusal is not None:
            what = f"{kind(scope)} {scope['path']}"
            logger.info("Refused %s from %s: %s", what, address, refusal.code)
            await refuse(scope, receive, send, refusal)
            return
        try:
            await self.app({**scope, SCOPE_KEY: client}, receive, send)
        finally:
            clients.close(address)


def kind(scope: Scope) -> str:
    return "WebSocket" if scope["type"] == "websocket" else str(scope["method"])


async def refuse(scope: Scope, receive: Receive, send: Send, refusal: Refusal) -> None:
    if scope["type"] == "websocket":
        if (await receive())["type"] != "websocket.connect":
            return  # the client left during the handshake
        await send({"type": "websocket.accept"})
        text = json.dumps(error(refusal.code, refusal.message))
        await send({"type": "websocket.send", "text": text})
        await send({"type": "websocket.close", "code": POLICY})
        return
    body = json.dumps({"detail": refusal.message}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    headers += [(name.encode(), value.encode()) for name, value in refusal.headers]
    await send({"type": "http.response.start", "status": refusal.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
