"""Who may call the API and the WebSocket: browsers from allowed origins, programs with a key.

Browsers send `Origin` on every WebSocket handshake and every cross-origin POST, and a page
cannot forge it, so the allow-list stops other sites from using the service through their
visitors' browsers. Programs send no `Origin`: when API_KEYS is set they must present a key.
A page from an admitted origin needs no key, so that the page at `/` keeps working; any
program can claim that origin, so keys alone do not make the service private (docs/SERVICE.md,
"Access and abuse limits").
"""

from __future__ import annotations

import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from starlette.datastructures import Headers
from starlette.types import Scope

from backend.app.config import Settings

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
DEFAULT_PORTS = (":80", ":443")


@dataclass(frozen=True)
class Refusal:
    """Why a request may not go on: an HTTP status and a WebSocket `error` code and message."""

    status: int
    code: str
    message: str
    headers: tuple[tuple[str, str], ...] = ()


def is_guarded(scope: Scope) -> bool:
    """WebSockets and requests that can change or cost something (POST, PUT, ...)."""
    if scope["type"] == "websocket":
        return True
    return scope["type"] == "http" and scope["method"] not in SAFE_METHODS


def host_of(netloc: str) -> str:
    """`netloc` in lower case without a default port, so an Origin compares with a Host."""
    netloc = netloc.strip().lower()
    for port in DEFAULT_PORTS:
        netloc = netloc.removesuffix(port)
    return netloc


def is_same_host(origin: str, host: str) -> bool:
    """Whether a page from `origin` was served by this host (`null` never was)."""
    netloc = host_of(urlsplit(origin).netloc)
    return netloc != "" and netloc == host_of(host)


def bearer(authorization: str | None) -> str | None:
    scheme, _, token = (authorization or "").strip().partition(" ")
    return token.strip() or None if scheme.lower() == "bearer" else None


class Access:
    """The allow-list (None: any origin) and the API keys (none: no key needed)."""

    def __init__(self, origins: frozenset[str] | None, keys: Sequence[str]) -> None:
        self.origins = origins
        self.keys = [key.encode() for key in keys]

    @classmethod
    def from_settings(cls, settings: Settings) -> Access:
        return cls(settings.effective_origins(), settings.api_key_list())

    def check(self, headers: Headers) -> Refusal | None:
        """The refusal for a guarded request with these headers, or None to let it through."""
        origin = headers.get("origin")
        own = origin is not None and is_same_host(origin, headers.get("host", ""))
        listed = origin is not None and self.origins is not None and origin.lower() in self.origins
        if origin is not None and not (own or listed or self.origins is None):
            message = f"pages from {origin!r} may not use this service"
            return Refusal(403, "origin_not_allowed", message)
        if not self.keys:
            return None
        key = bearer(headers.get("authorization"))
        if key is None:
            if own or listed:
                return None  # a page the service serves, or one from an origin it lists
            message = "this service needs an API key: send the header 'Authorization: Bearer <key>'"
            return Refusal(401, "unauthorized", message, (("www-authenticate", "Bearer"),))
        if not self.accepts(key):
            message = "the API key is not valid: check it, or ask the service's operator for one"
            return Refusal(401, "unauthorized", message, (("www-authenticate", "Bearer"),))
        return None

    def accepts(self, key: str) -> bool:
        presented = key.encode()
        matched = False
        for known in self.keys:  # compare with every key, in constant time each
            matched |= hmac.compare_digest(presented, known)
        return matched
