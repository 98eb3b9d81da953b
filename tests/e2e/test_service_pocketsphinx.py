"""The service as a real uvicorn process with pocketsphinx: real speech over WS and POST."""

from __future__ import annotations

import math
import signal
import time
from array import array
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.e2e.server import (
    fixture_bytes,
    get_json,
    post_wav,
    read_fixture,
    running_service,
    service_process,
    stream,
)

pytest.importorskip("pocketsphinx")

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.lite_asr]

START = {"type": "start", "sample_rate": 16000, "encoding": "pcm_s16le", "language": "auto"}
STOP = {"type": "stop"}
# Every test session comes from 127.0.0.1: one client, so its per-client cap must admit them.
SETTINGS = {
    "USE_LOCAL_ASR": "true",
    "LOCAL_ASR_ENGINE": "pocketsphinx",
    "MAX_CLIENT_CONNECTIONS": "8",
}


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_service(SETTINGS, tmp_path_factory.mktemp("pocketsphinx")) as url:
        yield url


def words(text: str) -> set[str]:
    return set(text.lower().split())


def test_service_pocketsphinx_health_ok(service):
    status, body = get_json(f"{service}/health")
    assert (status, body["status"], body["engine"]) == (200, "ok", "pocketsphinx")


def test_service_pocketsphinx_paced_stream_gives_partials_and_key_words(service):
    """The first stream of a fresh server: its decoder has recognised nothing before."""
    pcm, key_words = read_fixture("timer")
    session = stream(service, [START, pcm, STOP], paced=True)
    assert session.close_code == 1000
    assert session.messages[0]["type"] == "ready"
    assert session.of_type("partial"), "pocketsphinx streams: partials come before the final"
    finals = session.of_type("final")
    assert len(finals) == 1 and finals[0]["utterance"] == 1
    assert set(key_words[0]) <= words(finals[0]["text"]), finals[0]["text"]


def test_service_pocketsphinx_two_utterances_give_two_finals(service):
    pcm, key_words = read_fixture("two_utterances")
    session = stream(service, [pcm, STOP])
    finals = session.of_type("final")
    assert session.close_code == 1000
    assert [f["utterance"] for f in finals] == [1, 2], session.messages
    for final, expected in zip(finals, key_words, strict=True):
        assert set(expected) <= words(final["text"]), final["text"]


def test_service_pocketsphinx_post_wav_gives_key_words(service):
    _, key_words = read_fixture("timer")
    status, body = post_wav(service, fixture_bytes("timer"))
    assert (status, body["engine"]) == (200, "pocketsphinx")
    assert set(key_words[0]) <= words(body["text"]), body["text"]


def test_service_pocketsphinx_post_non_wav_is_415(service):
    status, body = post_wav(service, b"not audio at all")
    assert status == 415 and "WAV" in body["detail"]


def test_service_pocketsphinx_bad_session_leaves_good_one_undisturbed(service):
    pcm, key_words = read_fixture("timer")
    bad_inputs = [["{oops"], [START, bytes(3201)], [{"type": "rewind"}], [START, START]]
    with ThreadPoolExecutor(max_workers=len(bad_inputs) + 1) as pool:
        good = pool.submit(stream, service, [START, pcm, STOP], paced=True)
        bad = [pool.submit(stream, service, items) for items in bad_inputs]
        bad_codes = [future.result().close_code for future in bad]
        good_session = good.result()
    assert bad_codes == [1007, 1007, 1008, 1008]
    assert good_session.close_code == 1000
    final = good_session.of_type("final")[0]["text"]
    assert set(key_words[0]) <= words(final), final


def test_asr_client_streams_fixture_prints_final_with_key_words(service, capsys):
    """The documented example client, run against `make run`'s engine, gets the words back."""
    from tests.conftest import FIXTURES
    from tools import asr_client

    url = service.replace("http://", "ws://") + "/ws/asr"
    assert asr_client.main([str(FIXTURES / "timer.wav"), "--url", url, "--fast"]) == 0
    finals = capsys.readouterr().out.split()
    assert "timer" in finals
    assert "five" in finals


def tone(seconds: float, hz: float = 440.0) -> bytes:
    count = int(seconds * 16_000)
    return array(
        "h", (int(8000 * math.sin(2 * math.pi * hz * i / 16_000)) for i in range(count))
    ).tobytes()


def test_service_pocketsphinx_speech_after_a_tone_session_hears_like_the_first(tmp_path):
    """One worker, one stream at a time: every session gets the same decoder back."""
    pcm, key_words = read_fixture("timer")
    settings = SETTINGS | {"ENGINE_WORKERS": "1", "STREAMS_PER_WORKER": "1"}
    with running_service(settings, tmp_path) as url:
        fresh = stream(url, [START, pcm, STOP]).of_type("final")[0]["text"]
        for odd in (tone(4.0), bytes([0x70, 0x17]) * 64_000):  # a 4 s tone, then 4 s of DC
            assert stream(url, [START, odd, STOP]).close_code == 1000
            after = stream(url, [START, pcm, STOP]).of_type("final")[0]["text"]
            assert after == fresh
    assert set(key_words[0]) <= words(fresh), fresh


def test_service_pocketsphinx_sigterm_exits_promptly(tmp_path):
    """Its worker processes (and multiprocessing's resource tracker) go with it."""
    pcm, _ = read_fixture("timer")
    with service_process(SETTINGS, tmp_path, ["--timeout-graceful-shutdown", "40"]) as app:
        assert stream(app.url, [START, pcm, STOP]).close_code == 1000
        workers = children(app.process.pid)
        signalled = time.monotonic()
        app.process.send_signal(signal.SIGTERM)
        app.process.wait(30)
        exited = time.monotonic() - signalled
    assert exited < 5, app.log.read_text()
    assert len(workers) >= 2
    deadline = time.monotonic() + 5  # the resource tracker leaves once its parent is gone
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in workers if alive(pid)], [proc_stat(pid) for pid in workers]


def proc_stat(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return ""


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie waiting to be reaped does not)."""
    stat = proc_stat(pid)
    return bool(stat) and stat.rsplit(")", 1)[1].split()[0] != "Z"


def children(pid: int) -> list[int]:
    """The processes whose parent is `pid` (the engine's workers), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(entry.name))
    return found
