"""The draining shutdown, started the way the SIGTERM handler starts it (tests have no signals)."""

from __future__ import annotations

import time

from tests.integration.backend.fakes import FakeEngine, SlowEngine, read_until_close, tone
from tests.integration.backend.test_asr import send_audio
from tests.integration.backend.test_limits import UTTERANCE, in_background, post, wait_for


def start_drain(client):
    """Begin draining in the app's event loop; return the future of its end."""
    return client.portal.start_task_soon(client.app.state.service.drain.run)


def stopped_session(client):
    """A session that sends one utterance and stop, then reads until the close."""
    with client.websocket_connect("/ws/asr") as ws:
        ws.receive_json()
        send_audio(ws, UTTERANCE)
        ws.send_json({"type": "stop"})
        return read_until_close(ws)


def test_drain_stopped_session_still_gets_its_final_and_1000(make_client):
    engine = SlowEngine(delay=1.0)
    client = make_client(engine)
    session = in_background(stopped_session, client)
    wait_for(lambda: engine.started == 1)
    time.sleep(0.3)  # the reader takes `stop` while the engine works
    drained = start_drain(client)
    messages, code = session()
    assert (code, [m["type"] for m in messages]) == (1000, ["final"])
    drained.result(10)


def test_drain_open_session_gets_finals_then_1012(make_client):
    client = make_client(FakeEngine(), idle_timeout_s=30)
    with client.websocket_connect("/ws/asr") as ws:
        ws.receive_json()
        send_audio(ws, tone(1.0))  # mid-utterance, no stop
        time.sleep(0.2)
        drained = start_drain(client)
        messages, code = read_until_close(ws)
    assert code == 1012
    assert [m["type"] for m in messages] == ["final", "error"]
    assert messages[-1]["code"] == "shutting_down"
    drained.result(10)


def test_drain_in_flight_post_finishes(make_client):
    engine = SlowEngine(delay=1.0)
    client = make_client(engine)
    request = in_background(post, client)
    wait_for(lambda: engine.started == 1)
    drained = start_drain(client)
    assert request().status_code == 200
    drained.result(10)


def test_drain_refuses_new_sessions_with_1012_and_posts_with_503(make_client):
    engine = SlowEngine(delay=2.0)
    client = make_client(engine)
    request = in_background(post, client)  # keeps the drain going while we knock
    wait_for(lambda: engine.started == 1)
    drained = start_drain(client)
    wait_for(lambda: client.app.state.service.drain.draining)
    with client.websocket_connect("/ws/asr") as ws:
        messages, code = read_until_close(ws)
    assert (messages[-1]["code"], code) == ("shutting_down", 1012)
    response = post(client)
    assert response.status_code == 503 and response.headers["retry-after"] == "1"
    engine.release()
    assert request().status_code == 200
    drained.result(10)


def test_drain_grace_over_cancels_what_is_left(make_client):
    engine = SlowEngine(delay=30.0)
    client = make_client(engine, shutdown_grace_s=0.5)
    session = in_background(stopped_session, client)
    request = in_background(post, client)
    wait_for(lambda: engine.started == 2)
    started = time.monotonic()
    drained = start_drain(client)
    messages, code = session()
    assert (code, [m["code"] for m in messages]) == (1012, ["shutting_down"])
    assert request().status_code == 503
    drained.result(10)
    assert time.monotonic() - started < 5
    assert engine.cancelled == 2
