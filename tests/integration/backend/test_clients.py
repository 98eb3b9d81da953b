"""Per-client caps: connections and audio seconds a minute, keyed on the client's address."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from backend.app.clients import SWEEP_AT, ClientLimitError, Clients
from backend.app.config import Settings
from backend.app.main import create_app
from tests.integration.backend.fakes import FakeEngine, read_until_close, silence, tone, wav_bytes

FRAME = 3200


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


def test_clients_connection_cap_is_per_address():
    clients = Clients(max_connections=2, audio_s_per_min=60)
    clients.open("a"), clients.open("a"), clients.open("b")
    with pytest.raises(ClientLimitError) as info:
        clients.open("a")
    assert info.value.code == "too_many_connections"
    clients.close("a")
    clients.open("a")


def test_clients_audio_budget_refills_at_its_rate(clock):
    clients = Clients(max_connections=1, audio_s_per_min=60, clock=clock)
    clients.charge_audio("a", 60)
    with pytest.raises(ClientLimitError) as info:
        clients.charge_audio("a", 0.1)
    assert (info.value.code, info.value.retry_after) == ("rate_limited", 1)
    clock.now += 10
    clients.charge_audio("a", 10)  # earned back 10 s in 10 s
    with pytest.raises(ClientLimitError):
        clients.check_audio("a")
    clients.charge_audio("b", 1)  # another address has its own budget


def test_clients_one_long_upload_goes_through_then_waits_it_off(clock):
    clients = Clients(max_connections=1, audio_s_per_min=60, clock=clock)
    clients.charge_audio("a", 300)  # one 5-minute file
    with pytest.raises(ClientLimitError) as info:
        clients.check_audio("a")
    assert info.value.retry_after == 241
    clock.now += 241
    clients.check_audio("a")


def test_clients_sweep_forgets_idle_refilled_clients_only(clock):
    clients = Clients(max_connections=1, audio_s_per_min=60, clock=clock)
    clients.open("busy")
    clients.charge_audio("spent", 30)
    for n in range(SWEEP_AT):
        clients.check_audio(f"idle-{n}")
    clients.check_audio("newcomer")
    assert {"busy", "spent", "newcomer"} <= set(clients.accounts)
    assert "idle-0" not in clients.accounts and len(clients.accounts) < 10


@pytest.fixture
def app_at() -> Iterator:
    """Factory: TestClients of one app, each with its own client address."""
    entered: list[TestClient] = []

    def make(address: str, app=None, **settings) -> TestClient:
        if app is None:
            settings.setdefault("idle_timeout_s", 5.0)
            app = create_app(settings=Settings(_env_file=None, **settings), engine=FakeEngine())
        client = TestClient(app, client=(address, 40000))
        if not entered:
            client.__enter__()  # the first one runs the lifespan
            entered.append(client)
        return client

    yield make
    for client in entered:
        client.__exit__(None, None, None)


def test_gate_connection_cap_refuses_the_next_session_with_1008(app_at):
    first = app_at("203.0.113.7", max_client_connections=2)
    other = app_at("198.51.100.2", first.app)
    with first.websocket_connect("/ws/asr") as one, first.websocket_connect("/ws/asr") as two:
        assert one.receive_json()["type"] == two.receive_json()["type"] == "ready"
        with first.websocket_connect("/ws/asr") as three:
            refused = three.receive_json()
            assert read_until_close(three) == ([], 1008)
        assert refused["code"] == "too_many_connections"
        assert first.post("/api/transcribe", content=b"").status_code == 429
        with other.websocket_connect("/ws/asr") as elsewhere:
            assert elsewhere.receive_json()["type"] == "ready"
    with first.websocket_connect("/ws/asr") as again:  # both closed: places are free again
        assert again.receive_json()["type"] == "ready"


def test_asr_client_over_audio_budget_gets_finals_then_rate_limited(app_at):
    client = app_at("203.0.113.7", max_client_audio_s_per_min=3.0)
    with client.websocket_connect("/ws/asr") as ws:
        ws.receive_json()
        audio = tone(0.6) + silence(0.8) + tone(3.0)  # the budget ends mid-utterance
        for at in range(0, len(audio), FRAME):
            ws.send_bytes(audio[at : at + FRAME])
        messages, code = read_until_close(ws)
    assert code == 1008
    assert [m["type"] for m in messages] == ["final", "final", "error"]
    assert messages[-1]["code"] == "rate_limited"
    assert "more than 3 s of audio a minute" in messages[-1]["message"]


def test_transcribe_client_over_audio_budget_is_429_with_retry_after(app_at):
    client = app_at("203.0.113.7", max_client_audio_s_per_min=1.0)
    other = app_at("198.51.100.2", client.app)
    files = {"file": ("a.wav", wav_bytes(tone(2.0)))}
    assert client.post("/api/transcribe", files=files).status_code == 200
    refused = client.post("/api/transcribe", files=files)
    assert refused.status_code == 429
    assert int(refused.headers["retry-after"]) >= 60
    assert other.post("/api/transcribe", files=files).status_code == 200
