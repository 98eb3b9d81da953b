"""Back-pressure and per-client limits: the engine queue, call rates, backlog, cancellation."""

from __future__ import annotations

import threading
import time

import pytest

from tests.integration.backend.fakes import (
    FakeEngine,
    SlowEngine,
    read_until_close,
    silence,
    tone,
    wav_bytes,
)
from tests.integration.backend.test_asr import FRAME, error_and_code, send_audio

URL = "/api/transcribe"
UTTERANCE = tone(0.5) + silence(0.8)  # one utterance, ended by the silence after it


def post(client, pcm: bytes = UTTERANCE):
    return client.post(URL, content=wav_bytes(pcm), headers={"content-type": "audio/wav"})


def wait_for(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.01)


def in_background(function, *args):
    """Run `function(*args)` in a thread; return a callable that joins it and gives its result."""
    result = {}
    thread = threading.Thread(target=lambda: result.setdefault("value", function(*args)))
    thread.start()

    def join():
        thread.join(30)
        return result.get("value")

    return join


def test_limits_full_queue_refuses_post_at_once_with_retry_after(make_client):
    engine = SlowEngine(delay=3.0)
    client = make_client(engine, max_engine_calls=1, engine_queue=0)
    first = in_background(post, client)
    wait_for(lambda: engine.started == 1)
    started = time.monotonic()
    response = post(client)
    assert time.monotonic() - started < 1.0
    assert response.status_code == 503 and int(response.headers["retry-after"]) >= 1
    assert "waiting already" in response.json()["detail"]
    engine.release()
    assert first().status_code == 200


def test_limits_full_queue_refuses_session_at_once_with_1013(make_client):
    engine = SlowEngine(delay=3.0)
    client = make_client(engine, max_engine_calls=1, engine_queue=0)
    first = in_background(post, client)
    wait_for(lambda: engine.started == 1)
    started = time.monotonic()
    error, code = error_and_code(client, UTTERANCE)
    assert time.monotonic() - started < 1.0
    assert (error["code"], code) == ("busy", 1013) and error["retry_after_s"] >= 1
    engine.release()
    assert first().status_code == 200


def test_limits_queue_bytes_refuse_audio_past_the_bound(make_client):
    client = make_client(engine_queue_bytes=10_000)
    response = post(client, tone(1.0))  # 32,000 bytes
    assert response.status_code == 503
    assert "holds all the audio it may" in response.json()["detail"]


def test_limits_call_waiting_past_its_deadline_is_refused(make_client):
    engine = SlowEngine(delay=5.0)
    client = make_client(engine, max_engine_calls=1, engine_deadline_s=1.0)
    first = in_background(post, client)
    wait_for(lambda: engine.started == 1)
    started = time.monotonic()
    response = post(client)
    assert 0.8 < time.monotonic() - started < 3.0
    assert response.status_code == 503 and "no engine slot came free within 1 s" in response.text
    assert first().status_code == 503  # its own call got the deadline as its timeout


def test_limits_queue_refuses_what_cannot_finish_by_the_deadline(make_client):
    """After one call took 0.6 s, a call behind a running one would need ~1.2 s: over 0.9 s."""
    engine = SlowEngine(delay=0.6)
    client = make_client(engine, max_engine_calls=1, engine_deadline_s=0.9)
    assert post(client).status_code == 200  # the queue learns the pace
    first = in_background(post, client)
    wait_for(lambda: engine.started == 2)
    response = post(client)
    assert response.status_code == 503 and "could not finish this within 0.9 s" in response.text
    assert first().status_code == 200


def test_limits_client_over_calls_per_minute_gets_429_then_1008(make_client):
    client = make_client(max_calls_per_minute=2)
    assert [post(client).status_code for _ in range(2)] == [200, 200]
    response = post(client)
    assert response.status_code == 429 and 1 <= int(response.headers["retry-after"]) <= 60
    error, code = error_and_code(client, UTTERANCE)
    assert (error["code"], code) == ("rate_limited", 1008)
    assert "2 engine calls in the last minute" in error["message"]


def test_limits_session_backlog_past_limit_closes_1013(make_client):
    """A streaming engine slower than the audio: the speech waiting for it is bounded."""
    engine = SlowEngine(delay=0.2, streaming=True)
    client = make_client(engine, max_backlog_s=1.0)
    with client.websocket_connect("/ws/asr") as ws:
        ws.receive_json()
        send_audio(ws, tone(3.0))
        messages, code = read_until_close(ws)
    assert (messages[-1]["code"], code) == ("busy", 1013)
    assert "waiting for the engine" in messages[-1]["message"]


def test_limits_client_leaving_cancels_its_engine_call(make_client):
    engine = SlowEngine(delay=30.0)
    client = make_client(engine)
    with client.websocket_connect("/ws/asr") as ws:
        ws.receive_json()
        send_audio(ws, UTTERANCE)
        wait_for(lambda: engine.started == 1)
    wait_for(lambda: engine.cancelled == 1)
    assert engine.finished == 0


def test_limits_audio_keeps_being_read_while_the_engine_works(make_client):
    """The reader takes frames during a long call; the final then comes, and stop closes 1000."""
    engine = SlowEngine(delay=1.5)
    client = make_client(engine)
    with client.websocket_connect("/ws/asr") as ws:
        ws.receive_json()
        send_audio(ws, UTTERANCE)
        wait_for(lambda: engine.started == 1)
        for _ in range(20):  # 2 s of silence frames while the call runs
            ws.send_bytes(bytes(FRAME))
        ws.send_json({"type": "stop"})
        messages, code = read_until_close(ws)
    assert (code, [m["type"] for m in messages]) == (1000, ["final"])


@pytest.mark.parametrize(
    ("settings", "limit"),
    [({}, 8), ({"max_sessions": 3}, 3)],
)
def test_limits_session_cap_defaults_to_the_engines_capacity(make_client, settings, limit):
    client = make_client(FakeEngine(), **settings)
    assert client.app.state.service.sessions.limit == limit


def test_limits_engine_capacity_sets_the_default_session_cap(make_client):
    class Pool(SlowEngine):
        capacity = 5

    assert make_client(Pool()).app.state.service.sessions.limit == 5
