"""Security headers on every HTTP answer (backend/app/headers.py)."""

from __future__ import annotations

import anyio
import pytest

from backend.app.headers import SecurityHeaders, page_policy
from tests.integration.backend.fakes import read_until_close

EXPECTED = {
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "permissions-policy": "microphone=(self), camera=(), geolocation=()",
    "x-frame-options": "DENY",
}


def directives(policy: str) -> dict[str, str]:
    return dict(part.strip().partition(" ")[::2] for part in policy.split(";"))


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/"), ("GET", "/health"), ("GET", "/missing"), ("POST", "/api/transcribe")],
)
def test_headers_every_answer_carries_them(make_client, method, path):
    response = make_client().request(method, path)
    assert {name: response.headers.get(name) for name in EXPECTED} == EXPECTED
    assert "content-security-policy" in response.headers


def test_headers_refusals_from_the_gate_carry_them_too(make_client):
    response = make_client(api_keys="k" * 24).post("/api/transcribe")
    assert response.status_code == 401
    assert response.headers["x-frame-options"] == "DENY"


def test_headers_page_policy_allows_same_origin_code_and_socket_only(make_client):
    policy = directives(make_client().get("/").headers["content-security-policy"])
    assert policy["default-src"] == "'none'"
    assert policy["script-src"] == policy["style-src"] == policy["worker-src"] == "'self'"
    assert policy["connect-src"] == "'self' ws://testserver wss://testserver"
    assert policy["frame-ancestors"] == "'none'"
    assert "unsafe-inline" not in str(policy) and "unsafe-eval" not in str(policy)


def test_headers_page_policy_names_no_socket_for_a_strange_host():
    assert "connect-src 'self';" in page_policy('evil.example"; script-src *')


def test_headers_docs_keep_framing_limits_only(make_client):
    policy = make_client().get("/docs").headers["content-security-policy"]
    assert policy == "frame-ancestors 'none'; base-uri 'none'; object-src 'none'"


def test_headers_websocket_passes_through_untouched(make_client):
    with make_client().websocket_connect("/ws/asr") as ws:
        assert ws.receive_json()["type"] == "ready"
        ws.send_json({"type": "stop"})
        assert read_until_close(ws) == ([], 1000)


def test_headers_streamed_body_is_passed_on_piece_by_piece():
    """Pure ASGI: each body message reaches the server as the app sends it, not buffered."""
    sent: list[dict] = []

    async def app(scope, receive, send):
        await send({"type": "http.response.start", "status": 200, "headers": []})
        for piece in (b"one", b"two"):
            await send({"type": "http.response.body", "body": piece, "more_body": True})
            assert sent[-1]["body"] == piece  # already forwarded
        await send({"type": "http.response.body", "body": b""})

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "path": "/", "headers": [(b"host", b"x")], "method": "GET"}
    anyio.run(SecurityHeaders(app), scope, None, send)
    assert (b"x-content-type-options", b"nosniff") in sent[0]["headers"]
    assert [m.get("body") for m in sent[1:]] == [b"one", b"two", b""]
