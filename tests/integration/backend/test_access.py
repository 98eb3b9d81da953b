"""The origin allow-list and API keys on WS /ws/asr and POST /api/transcribe (app/gate.py)."""

from __future__ import annotations

import pytest

from backend.app.config import ConfigError, Settings, load_settings
from tests.integration.backend.fakes import read_until_close, tone, wav_bytes

EVIL = "https://evil.example"
OWN = "http://testserver"  # TestClient's Host: a page the service served itself
KEY = "k" * 24


def first_message_and_code(client, headers: dict[str, str]) -> tuple[dict, int | None]:
    """The first message of a session opened with `headers`, and its close code if it closed."""
    with client.websocket_connect("/ws/asr", headers=headers) as ws:
        first = ws.receive_json()
        if first["type"] == "ready":
            return first, None
        _, code = read_until_close(ws)
    return first, code


def post_wav(client, headers: dict[str, str]):
    return client.post(
        "/api/transcribe", files={"file": ("a.wav", wav_bytes(tone(0.2)))}, headers=headers
    )


@pytest.mark.parametrize("origin", [EVIL, "null", "http://testserver.evil.example"])
def test_gate_ws_foreign_origin_gets_error_and_1008(make_client, origin):
    client = make_client(allowed_origins="https://app.example.com")
    first, code = first_message_and_code(client, {"Origin": origin})
    assert (first["type"], first["code"], code) == ("error", "origin_not_allowed", 1008)
    assert repr(origin) in first["message"]


@pytest.mark.parametrize("origin", [EVIL, "null"])
def test_gate_post_foreign_origin_is_403(make_client, origin):
    response = post_wav(make_client(allowed_origins="https://app.example.com"), {"Origin": origin})
    assert response.status_code == 403
    assert response.json() == {"detail": f"pages from {origin!r} may not use this service"}


@pytest.mark.parametrize("origin", [OWN, "https://app.example.com", "https://APP.example.com"])
def test_gate_own_or_listed_origin_is_admitted(make_client, origin):
    client = make_client(allowed_origins="https://app.example.com")
    assert first_message_and_code(client, {"Origin": origin})[0]["type"] == "ready"
    assert post_wav(client, {"Origin": origin}).status_code == 200


def test_gate_on_render_admits_only_its_own_origin_by_default(make_client):
    client = make_client(render_external_url="https://featherweight.onrender.com")
    own = {"Origin": "https://featherweight.onrender.com"}
    assert first_message_and_code(client, own)[0]["type"] == "ready"
    assert first_message_and_code(client, {"Origin": EVIL})[0]["code"] == "origin_not_allowed"


def test_gate_in_development_admits_any_origin(make_client):
    client = make_client()
    assert first_message_and_code(client, {"Origin": EVIL})[0]["type"] == "ready"
    assert first_message_and_code(client, {"Origin": "null"})[0]["type"] == "ready"


def test_gate_leaves_get_requests_alone(make_client):
    client = make_client(allowed_origins="https://app.example.com", api_keys=KEY)
    assert client.get("/health", headers={"Origin": EVIL}).status_code == 200
    assert client.get("/").status_code == 200


def test_gate_api_keys_program_without_key_gets_unauthorized(make_client):
    client = make_client(api_keys=KEY)
    first, code = first_message_and_code(client, {})
    assert (first["code"], code) == ("unauthorized", 1008)
    assert "Authorization: Bearer <key>" in first["message"]
    response = post_wav(client, {})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"


def test_gate_api_keys_wrong_key_is_refused_even_from_the_page(make_client):
    client = make_client(api_keys=KEY)
    headers = {"Authorization": "Bearer " + "x" * 24, "Origin": OWN}
    assert first_message_and_code(client, headers)[0]["code"] == "unauthorized"
    assert "not valid" in post_wav(client, headers).json()["detail"]


@pytest.mark.parametrize("key", [KEY, "second-key-of-enough-length"])
def test_gate_api_keys_any_listed_key_is_admitted(make_client, key):
    client = make_client(api_keys=f"{KEY}, second-key-of-enough-length")
    headers = {"Authorization": f"Bearer {key}"}
    assert first_message_and_code(client, headers)[0]["type"] == "ready"
    assert post_wav(client, headers).status_code == 200


def test_gate_api_keys_page_from_own_origin_needs_no_key(make_client):
    client = make_client(api_keys=KEY)
    assert first_message_and_code(client, {"Origin": OWN})[0]["type"] == "ready"


def test_gate_api_keys_any_origin_mode_still_needs_a_key_from_foreign_pages(make_client):
    """With ALLOWED_ORIGINS=*, a foreign Origin passes the allow-list but is no page of ours."""
    client = make_client(api_keys=KEY, allowed_origins="*")
    assert first_message_and_code(client, {"Origin": EVIL})[0]["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("value", "fragment"),
    [
        ("app.example.com", "'app.example.com', which is not an origin"),
        ("https://app.example.com/page", "'https://app.example.com/page', which is not"),
    ],
)
def test_config_allowed_origins_bad_entry_is_one_line_error(monkeypatch, value, fragment):
    monkeypatch.setenv("ALLOWED_ORIGINS", value)
    with pytest.raises(ConfigError, match=fragment):
        load_settings()


def test_config_allowed_origins_are_normalised():
    settings = Settings(_env_file=None, allowed_origins=" https://App.example.com/ ,http://x:8080")
    assert settings.effective_origins() == {"https://app.example.com", "http://x:8080"}


@pytest.mark.parametrize(
    ("value", "fragment"),
    [("short", "a key of 5 characters: use at least 16"), ("changethis", "placeholder")],
)
def test_config_api_keys_weak_key_is_one_line_error(monkeypatch, value, fragment):
    monkeypatch.setenv("API_KEYS", f"{KEY},{value}")
    with pytest.raises(ConfigError, match=fragment) as info:
        load_settings()
    assert KEY not in str(info.value)


def test_config_api_keys_empty_means_none(monkeypatch):
    monkeypatch.setenv("API_KEYS", "")
    assert load_settings().api_key_list() == []
