"""The service as on Render (remote engine, real uvicorn) when the Space is slow, saturated or
broken, and when the process gets SIGTERM."""

from __future__ import annotations

import json
import signal
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect

from tests.e2e.server import (
    FRAME_BYTES,
    fixture_bytes,
    get_json,
    post_wav,
    read_fixture,
    service_process,
    stream,
)
from tools.standin import behaving

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

STOP = {"type": "stop"}
SILENCE_FRAME = bytes(FRAME_BYTES)
# As render.yaml starts it: uvicorn's own grace period after the app has drained.
RENDER_ARGS = ["--timeout-graceful-shutdown", "40"]


@pytest.fixture
def slow_space(standin_space: str) -> Iterator[str]:
    """The stand-in taking 1.5 s per call (one call at a time, as Gradio queues them)."""
    with behaving(standin_space, delay=1.5) as url:
        yield url


def remote(space: str, **settings: str) -> dict[str, str]:
    # Every client here is 127.0.0.1: let it open the sessions each test runs at once.
    base = {"USE_LOCAL_ASR": "false", "HF_SPACE": space, "HF_TIMEOUT": "30"}
    return base | {"MAX_CLIENT_CONNECTIONS": "20", **settings}


def words(text: str) -> set[str]:
    return set(text.lower().split())


def open_session(url: str, stack: ExitStack) -> Any:
    ws_url = url.replace("http://", "ws://") + "/ws/asr"
    ws = stack.enter_context(connect(ws_url, open_timeout=10, close_timeout=5))
    assert json.loads(ws.recv(timeout=10))["type"] == "ready"
    return ws


def send_paced(ws: Any, pcm: bytes, *, paced: bool = True) -> None:
    for at in range(0, len(pcm), FRAME_BYTES):
        ws.send(pcm[at : at + FRAME_BYTES])
        if paced:
            time.sleep(0.1)


def read_all(ws: Any, timeout: float = 60.0) -> tuple[list[dict[str, Any]], int | None]:
    messages: list[dict[str, Any]] = []
    try:
        while True:
            messages.append(json.loads(ws.recv(timeout=timeout)))
    except ConnectionClosed as closed:
        return messages, closed.rcvd.code if closed.rcvd else None


def test_service_engine_call_longer_than_keepalive_still_delivers_its_final(
    standin_space, tmp_path
):
    """Pings every 1 s with 1 s to answer; the Space takes 3 s while audio keeps arriving."""
    pcm, key_words = read_fixture("timer")
    args = ["--ws-ping-interval", "1", "--ws-ping-timeout", "1"]
    with (
        behaving(standin_space, delay=3.0) as space,
        service_process(remote(space), tmp_path, args) as app,
        ExitStack() as stack,
    ):
        ws = open_session(app.url, stack)
        send_paced(ws, pcm, paced=False)
        send_paced(ws, SILENCE_FRAME * 40)  # 4 s of silence at real-time pace: past the call
        ws.send(json.dumps(STOP))
        messages, code = read_all(ws)
    assert code == 1000, (messages, app.log.read_text()[-2000:])
    finals = [m for m in messages if m["type"] == "final"]
    assert len(finals) == 1 and set(key_words[0]) <= words(finals[0]["text"])
    assert "keepalive" not in app.log.read_text()


def test_service_garbage_space_turns_health_degraded(standin_space, tmp_path):
    """The Space serves its config but answers its API with HTML: not ok, whatever /config says."""
    with (
        behaving(standin_space, mode="garbage") as space,
        service_process(remote(space), tmp_path) as app,
    ):
        status, body = get_json(f"{app.url}/health")
    assert (status, body["status"]) == (200, "degraded")
    assert "not JSON" in body["detail"]


def test_service_full_queue_refuses_at_once_with_1013(slow_space, tmp_path):
    settings = remote(slow_space, MAX_ENGINE_CALLS="1", ENGINE_QUEUE="0")
    pcm, _ = read_fixture("timer")
    with service_process(settings, tmp_path) as app, ThreadPoolExecutor(1) as pool:
        first = pool.submit(stream, app.url, [pcm, STOP])
        time.sleep(0.5)  # the first utterance is with the Space
        second = stream(app.url, [pcm, STOP])
        assert first.result().close_code == 1000
    assert (second.close_code, second.messages[-1]["code"]) == (1013, "busy")
    assert second.messages[-1]["retry_after_s"] >= 1
    assert second.stop_to_close_s < 1.0  # refused at once, not after the Space's 1.5 s


def test_service_sigterm_finishes_stopped_sessions_and_requests_then_closes_open_ones(
    standin_space, tmp_path
):
    pcm, key_words = read_fixture("timer")
    with (
        behaving(standin_space, delay=0.8) as space,
        service_process(remote(space, MAX_ENGINE_CALLS="8"), tmp_path, RENDER_ARGS) as app,
        ExitStack() as stack,
    ):
        stopped = []
        for _ in range(3):
            ws = open_session(app.url, stack)
            send_paced(ws, pcm, paced=False)
            ws.send(json.dumps(STOP))
            stopped.append(ws)
        still_open = open_session(app.url, stack)
        send_paced(still_open, pcm, paced=False)  # heard, and no stop
        with ThreadPoolExecutor(1) as pool:
            request = pool.submit(post_wav, app.url, fixture_bytes("timer"))
            time.sleep(0.5)  # everything has reached the service
            signalled = time.monotonic()
            app.process.send_signal(signal.SIGTERM)
            results = [read_all(ws) for ws in stopped]
            open_messages, open_code = read_all(still_open)
            status, body = request.result()
        app.process.wait(30)
        exited = time.monotonic() - signalled
        log = app.log.read_text()
    for messages, code in results:
        assert code == 1000, (messages, log[-2000:])
        assert set(key_words[0]) <= words(messages[-1]["text"])
    assert (status, set(key_words[0]) <= words(body["text"])) == (200, True)
    assert open_code == 1012
    assert [m["type"] for m in open_messages] == ["final", "error"]
    assert open_messages[-1]["code"] == "shutting_down"
    assert exited < 20, log[-2000:]  # 5 calls of 0.8 s at a one-at-a-time Space, then exit
    assert "Drained." in log
