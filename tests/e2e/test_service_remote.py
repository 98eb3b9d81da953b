"""The service with the remote engine, as on Render: the stand-in Space, then a dead one."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.e2e.server import (
    fixture_bytes,
    free_port,
    get_json,
    post_wav,
    read_fixture,
    running_service,
    stream,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

STOP = {"type": "stop"}


@pytest.fixture(scope="module")
def service(standin_space: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    settings = {"USE_LOCAL_ASR": "false", "HF_SPACE": standin_space, "HF_TIMEOUT": "30"}
    with running_service(settings, tmp_path_factory.mktemp("remote")) as url:
        yield url


@pytest.fixture(scope="module")
def dead_space_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    closed = f"http://127.0.0.1:{free_port()}/"  # nothing listens there
    settings = {"USE_LOCAL_ASR": "false", "HF_SPACE": closed, "HF_TIMEOUT": "5"}
    with running_service(settings, tmp_path_factory.mktemp("dead")) as url:
        yield url


def words(text: str) -> set[str]:
    return set(text.lower().split())


def test_service_remote_health_ok(service):
    status, body = get_json(f"{service}/health")
    assert (status, body["status"], body["engine"]) == (200, "ok", "hf-space")


def test_service_remote_stream_gives_final_with_key_words(service):
    pcm, key_words = read_fixture("timer")
    session = stream(service, [pcm, STOP])
    assert session.close_code == 1000
    assert not session.of_type("partial")  # the Space takes whole utterances
    finals = session.of_type("final")
    assert len(finals) == 1 and "<|" not in finals[0]["text"]
    assert set(key_words[0]) <= words(finals[0]["text"]), finals[0]["text"]


def test_service_remote_post_gives_key_words(service):
    _, key_words = read_fixture("timer")
    status, body = post_wav(service, fixture_bytes("timer"))
    assert (status, body["engine"], body["language"]) == (200, "hf-space", "en")
    assert set(key_words[0]) <= words(body["text"]), body["text"]


def test_service_remote_dead_space_health_degraded_with_200(dead_space_service):
    started = time.monotonic()
    status, body = get_json(f"{dead_space_service}/health")
    assert time.monotonic() - started < 5.0  # inside Render's health-check timeout
    assert (status, body["status"], body["engine"]) == (200, "degraded", "hf-space")
    assert "127.0.0.1" in body["detail"]


def test_service_remote_dead_space_stream_errors_with_1011(dead_space_service):
    pcm, _ = read_fixture("timer")
    session = stream(dead_space_service, [pcm, STOP])
    assert session.close_code == 1011
    error = session.messages[-1]
    assert (error["type"], error["code"]) == ("error", "engine_error")


def test_service_remote_dead_space_post_is_503(dead_space_service):
    status, body = post_wav(dead_space_service, fixture_bytes("timer"))
    assert status == 503 and body["detail"].startswith("the speech engine could not be reached")
