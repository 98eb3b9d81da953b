"""GET /live and GET /health against a fake engine."""

from __future__ import annotations

import time

from featherweight.asr.base import EngineHealth
from tests.integration.backend.conftest import MakeClient
from tests.integration.backend.fakes import FakeEngine, failing_remote, tone, wav_bytes

WAV = {"content-type": "audio/wav"}


def test_live_always_ok(make_client: MakeClient) -> None:
    response = make_client(FakeEngine(health=EngineHealth(False, "down"))).get("/live")
    assert (response.status_code, response.json()) == (200, {"status": "ok"})


def test_health_ok_engine_reports_engine_and_version(make_client: MakeClient) -> None:
    response = make_client(render_git_commit="abc123").get("/health")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "engine": "fake", "version": "abc123"}


def test_health_engine_down_is_degraded_with_200(make_client: MakeClient) -> None:
    engine = FakeEngine(health=EngineHealth(False, "the Space 'x/y' answered HTTP 503"))
    response = make_client(engine).get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["detail"] == "the Space 'x/y' answered HTTP 503"


def test_health_slow_engine_is_degraded_within_timeout(make_client: MakeClient) -> None:
    engine = FakeEngine(health_delay=10.0)
    client = make_client(engine, health_timeout_s=0.3)
    started = time.monotonic()
    response = client.get("/health")
    elapsed = time.monotonic() - started
    engine.release.set()
    assert elapsed < 2.0
    assert response.json()["status"] == "degraded"
    assert "longer than 0.3 s" in response.json()["detail"]


def test_health_engine_raising_is_degraded(make_client: MakeClient) -> None:
    class Broken(FakeEngine):
        def health(self) -> EngineHealth:
            raise RuntimeError("no")

    response = make_client(Broken()).get("/health")
    assert (response.status_code, response.json()["status"]) == (200, "degraded")
    assert "RuntimeError: no" in response.json()["detail"]


def test_health_repeated_probes_within_cache_check_engine_once(make_client: MakeClient) -> None:
    engine = FakeEngine()
    client = make_client(engine, health_cache_s=60.0)
    for _ in range(3):
        client.get("/health")
    assert engine.health_calls == 1


def test_health_cache_zero_checks_engine_every_time(make_client: MakeClient) -> None:
    engine = FakeEngine()
    client = make_client(engine, health_cache_s=0.0)
    for _ in range(3):
        client.get("/health")
    assert engine.health_calls == 3


def test_health_failed_recent_call_is_degraded_without_a_probe(make_client: MakeClient) -> None:
    engine = failing_remote()
    client = make_client(engine)
    response = client.post("/api/transcribe", content=wav_bytes(tone(0.5)), headers=WAV)
    assert response.status_code == 503
    body = client.get("/health").json()
    assert body["status"] == "degraded" and engine.health_calls == 0
    assert body["detail"].startswith("1 of the last 1 engine calls failed; the latest, 0 s ago:")
    assert "did not answer within 30 s" in body["detail"]


def test_health_successful_recent_call_is_ok_without_a_probe(make_client: MakeClient) -> None:
    engine = FakeEngine(health=EngineHealth(False, "a probe would say this"))
    client = make_client(engine)
    response = client.post("/api/transcribe", content=wav_bytes(tone(0.5)), headers=WAV)
    assert response.status_code == 200
    assert client.get("/health").json()["status"] == "ok"
    assert engine.health_calls == 0


def test_health_probe_outcome_stands_for_the_window(make_client: MakeClient) -> None:
    engine = FakeEngine(health=EngineHealth(False, "the Space answers HTML"))
    client = make_client(engine, health_cache_s=60.0)
    bodies = [client.get("/health").json() for _ in range(3)]
    assert engine.health_calls == 1
    assert {b["detail"] for b in bodies} == {"the Space answers HTML"}
