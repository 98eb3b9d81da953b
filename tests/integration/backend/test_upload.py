"""POST /api/transcribe's body: the size limit holds while it streams in, nothing is spooled to
disk, and a body that trickles in too slowly gets 408 (backend/app/upload.py).

TestClient sends a body as one message, so these tests call the app with an ASGI `receive`
that hands the body over in pieces, the way uvicorn does for a chunked upload.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from typing import Any

import anyio
import pytest
from fastapi.testclient import TestClient

from backend.app.config import Settings
from backend.app.main import create_app
from backend.app.upload import FORM_OVERHEAD
from tests.integration.backend.fakes import FakeEngine, tone, wav_bytes

BOUNDARY = "upload-test-boundary"
PIECE = 64 * 1024


def multipart(data: bytes) -> bytes:
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="file"; filename="a.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode()
    return head + data + f"\r\n--{BOUNDARY}--\r\n".encode()


@pytest.fixture
def rollovers(monkeypatch: pytest.MonkeyPatch, tmp_path) -> list[int]:
    """Record every spooled upload that moves from memory to a file on disk."""
    calls: list[int] = []
    original = tempfile.SpooledTemporaryFile.rollover

    def rollover(self: Any) -> None:
        calls.append(self.tell())
        original(self)

    monkeypatch.setattr(tempfile.SpooledTemporaryFile, "rollover", rollover)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return calls


@pytest.fixture
def started() -> Iterator[Any]:
    """Factory: an app with a fake engine whose lifespan has run."""
    clients: list[TestClient] = []

    def make(**settings: Any) -> Any:
        app = create_app(settings=Settings(_env_file=None, **settings), engine=FakeEngine())
        clients.append(TestClient(app).__enter__())
        return app

    yield make
    for client in clients:
        client.__exit__(None, None, None)


def post_in_pieces(
    app: Any, body: bytes, content_type: str, delay: float = 0.0
) -> tuple[int, dict[bytes, bytes], int]:
    """POST `body` in 64 KiB pieces (chunked: no Content-Length); the status, the response
    headers, and how many body bytes the app asked for before it answered."""
    pulled, answer = [0], {}
    pieces = [body[at : at + PIECE] for at in range(0, len(body), PIECE)]

    async def receive() -> dict[str, Any]:
        if delay:
            await anyio.sleep(delay)
        if not pieces:
            return {"type": "http.disconnect"}
        piece = pieces.pop(0)
        pulled[0] += len(piece)
        return {"type": "http.request", "body": piece, "more_body": bool(pieces)}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer.update(status=message["status"], headers=dict(message["headers"]))

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/transcribe",
        "raw_path": b"/api/transcribe",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"testserver"),
            (b"content-type", content_type.encode()),
            (b"transfer-encoding", b"chunked"),
        ],
        "client": ("203.0.113.7", 40000),
        "server": ("testserver", 80),
    }
    anyio.run(app, scope, receive, send)
    return answer["status"], answer["headers"], pulled[0]


FORM = f"multipart/form-data; boundary={BOUNDARY}"


def test_upload_oversized_chunked_form_stops_reading_and_spools_nothing(started, rollovers):
    limit = 100_000
    body = multipart(bytes(5 * 1024 * 1024))
    status, headers, pulled = post_in_pieces(started(max_upload_bytes=limit), body, FORM)
    assert rollovers == []
    assert pulled <= limit + FORM_OVERHEAD + PIECE  # stopped at the limit, not at 5 MiB
    assert (status, headers[b"connection"]) == (413, b"close")


def test_upload_oversized_chunked_wav_body_stops_reading(started):
    status, _, pulled = post_in_pieces(
        started(max_upload_bytes=100_000), bytes(5 * 1024 * 1024), "audio/wav"
    )
    assert status == 413
    assert pulled <= 100_000 + PIECE


def test_upload_accepted_form_larger_than_a_mebibyte_stays_in_memory(started, rollovers):
    wav = wav_bytes(tone(40.0))  # 1.28 MB: past Starlette's usual 1 MiB spool
    status, _, pulled = post_in_pieces(started(max_client_audio_s_per_min=60), multipart(wav), FORM)
    assert (status, pulled) == (200, len(multipart(wav)))
    assert rollovers == []


@pytest.mark.parametrize("content_type", [FORM, "audio/wav"])
def test_upload_body_slower_than_upload_timeout_is_408(started, content_type):
    app = started(upload_timeout_s=0.2)
    body = multipart(wav_bytes(tone(1.0))) if content_type == FORM else wav_bytes(tone(1.0))
    status, headers, _ = post_in_pieces(app, body, content_type, delay=5.0)
    assert status == 408
    assert headers[b"connection"] == b"close"


def test_upload_form_without_boundary_is_400(make_client):
    response = make_client().post(
        "/api/transcribe", content=b"x", headers={"content-type": "multipart/form-data"}
    )
    assert response.status_code == 400
    assert "could not be read" in response.json()["detail"]
