"""ASGI middleware that adds security headers to every HTTP response.

Pure ASGI, not BaseHTTPMiddleware: it only edits `http.response.start`, so streaming bodies
and WebSockets pass through untouched.

The page's policy allows exactly what the page at `/` uses: scripts, styles and its
AudioWorklet module from the same origin (no inline code), and a WebSocket to the host it
was served from. The OpenAPI pages load Swagger UI and ReDoc from a CDN with inline code, so
they keep only the framing and base-URI limits.
"""

from __future__ import annotations

import re

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

DOCS_PATHS = ("/docs", "/redoc")
HOST = re.compile(r"[A-Za-z0-9.-]+(:[0-9]{1,5})?|\[[0-9A-Fa-f:.]+\](:[0-9]{1,5})?")
COMMON = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "permissions-policy": "microphone=(self), camera=(), geolocation=()",
    "x-frame-options": "DENY",
    "cross-origin-opener-policy": "same-origin",
}
DOCS_POLICY = "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"


def page_policy(host: str) -> str:
    """The Content-Security-Policy for the page and the API; `host` from the Host header."""
    # 'self' matches ws:/wss: of the same host only in CSP Level 3 browsers: name them too.
    sockets = f" ws://{host} wss://{host}" if HOST.fullmatch(host) else ""
    return (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
        f"connect-src 'self'{sockets}; worker-src 'self'; manifest-src 'self'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def policy_for(scope: Scope) -> str:
    path = str(scope.get("path", ""))
    if path.startswith(DOCS_PATHS):
        return DOCS_POLICY
    return page_policy(Headers(scope=scope).get("host", ""))


class SecurityHeaders:
    """Add the headers above to each response, keeping any a route set itself."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = policy_for(scope)

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in COMMON.items():
                    headers.setdefault(name, value)
                headers.setdefault("content-security-policy", policy)
            await send(message)

        await self.app(scope, receive, send_with_headers)
