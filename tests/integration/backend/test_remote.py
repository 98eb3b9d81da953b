"""The app with the real hf-space engine against a small recording Gradio API on loopback:
where the token goes, and what leaves the process when HF_SPACE holds credentials."""

from __future__ import annotations

import http.server
import json
import logging
import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.integration.backend.fakes import silence, tone, wav_bytes
from tests.integration.backend.test_asr import error_and_code

TAGGED = "<|en|><|NEUTRAL|><|Speech|><|woitn|>hello there"


class GradioApi(http.server.BaseHTTPRequestHandler):
    """Gradio 5's HTTP API for one audio endpoint; `failing` answers 502 to every upload."""

    seen: list[dict[str, str]]
    failing = False

    def do_GET(self) -> None:
        self.seen.append(dict(self.headers))
        if self.path == "/config":
            self.reply(200, json.dumps({"api_prefix": "/gradio_api"}).encode(), "application/json")
        else:
            body = f"event: complete\ndata: {json.dumps([TAGGED])}\n\n".encode()
            self.reply(200, body, "text/event-stream")

    def do_POST(self) -> None:
        self.seen.append(dict(self.headers))
        self.rfile.read(int(self.headers.get("content-length", 0)))
        if self.path.endswith("/upload"):
            if self.failing:
                self.reply(502, b"Bad Gateway", "text/plain")
            else:
                self.reply(200, b'["/tmp/gradio/x/utterance.wav"]', "application/json")
        else:
            self.reply(200, b'{"event_id": "e1"}', "application/json")

    def reply(self, status: int, body: bytes, kind: str) -> None:
        self.send_response(status)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def gradio_api() -> Iterator[tuple[int, type[GradioApi]]]:
    handler = type("Api", (GradioApi,), {"seen": []})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield server.server_address[1], handler
    server.shutdown()
    server.server_close()


def remote_client(space: str, **settings: Any):
    """A started app whose engine the settings make (no fake): hf-space at `space`."""
    from fastapi.testclient import TestClient

    from backend.app.config import Settings
    from backend.app.main import create_app

    app = create_app(settings=Settings(_env_file=None, hf_space=space, **settings))
    client = TestClient(app)
    client.__enter__()
    return client


@pytest.fixture
def apps() -> Iterator[list[Any]]:
    started: list[Any] = []
    yield started
    for client in started:
        client.__exit__(None, None, None)


def transcribe(client) -> Any:
    return client.post(
        "/api/transcribe",
        content=wav_bytes(tone(0.5) + silence(0.8)),
        headers={"content-type": "audio/wav"},
    )


def test_remote_token_not_sent_to_a_non_hugging_face_url(gradio_api, apps, caplog):
    port, api = gradio_api
    caplog.set_level(logging.WARNING)
    client = remote_client(f"http://127.0.0.1:{port}/", hf_token="hf_secret")
    apps.append(client)
    response = transcribe(client)
    assert (response.status_code, response.json()["text"]) == (200, "hello there")
    assert api.seen and all("hf_secret" not in str(headers) for headers in api.seen)
    assert any("HF_TOKEN_ANY_HOST" in r.message for r in caplog.records)


def test_remote_token_sent_to_any_host_only_when_opted_in(gradio_api, apps):
    port, api = gradio_api
    space = f"http://127.0.0.1:{port}/"
    client = remote_client(space, hf_token="hf_secret", hf_token_any_host=True)
    apps.append(client)
    assert transcribe(client).status_code == 200
    assert {h.get("x-hf-authorization") for h in api.seen} == {"Bearer hf_secret"}


def test_remote_credentials_in_space_url_never_leave_the_process(gradio_api, apps, caplog):
    port, api = gradio_api
    api.failing = True
    client = remote_client(f"http://user:s3cret@127.0.0.1:{port}/")
    apps.append(client)
    response = transcribe(client)
    error, code = error_and_code(client, tone(0.5) + silence(0.8), {"type": "stop"})
    health = client.get("/health").json()
    assert (response.status_code, code, health["status"]) == (503, 1011, "degraded")
    leaving = [response.text, json.dumps(error), json.dumps(health)]
    assert all("s3cret" not in text for text in leaving), leaving
    assert all("s3cret" not in record.getMessage() for record in caplog.records)
    assert "http://***@127.0.0.1" in health["detail"]  # the operator still sees which Space
    assert api.seen[0]["Authorization"].startswith("Basic ")  # the credentials did go there
