"""HfSpaceEngine against the real stand-in Space (gradio + pocketsphinx) on loopback."""

from __future__ import annotations

import json
import time
import wave
from pathlib import Path

import pytest

from featherweight.asr.hf_space import HfSpaceEngine
from featherweight.errors import RemoteEngineError
from scripts.servers import free_port
from tools.standin import running_space

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
SILENCE = b"\x00\x00" * 3200  # 0.2 s: the stand-in answers at once
# pocketsphinx takes seconds per utterance on a loaded 2-core machine; give it room.
RECOGNITION_TIMEOUT = 60.0


def read_fixture(name: str) -> tuple[bytes, list[str]]:
    """The PCM of a speech fixture and the key words of its first utterance."""
    phrase = json.loads((FIXTURES / "phrases.json").read_text())[name]
    with wave.open(str(FIXTURES / phrase["file"]), "rb") as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (16_000, 1, 2)
        pcm = wav.readframes(wav.getnframes())
    return pcm, phrase["utterances"][0]["key_words"]


def test_hf_space_engine_standin_speech_gives_key_words_without_tags(standin_space: str) -> None:
    pcm, key_words = read_fixture("timer")
    engine = HfSpaceEngine(standin_space, timeout=RECOGNITION_TIMEOUT)
    try:
        transcript = engine.transcribe(pcm)
    finally:
        engine.close()
    assert "<|" not in transcript.text
    assert transcript.language == "en"
    assert set(key_words) <= set(transcript.text.split()), transcript.text


def test_hf_space_engine_standin_health_ok(standin_space: str) -> None:
    assert HfSpaceEngine(standin_space).health().ok


def test_hf_space_engine_standin_tiny_timeout_raises_remote_error(standin_space: str) -> None:
    pcm, _ = read_fixture("timer")
    with pytest.raises(RemoteEngineError, match=r"did not answer within 0\.001 s"):
        HfSpaceEngine(standin_space, timeout=0.001).transcribe(pcm)


def test_hf_space_engine_slow_standin_result_times_out() -> None:
    """The Client connects in time, but the call outlasts `timeout` and is abandoned."""
    with running_space(delay=60.0) as url:
        engine = HfSpaceEngine(url, timeout=3.0)
        started = time.monotonic()
        try:
            with pytest.raises(RemoteEngineError, match=r"did not answer within 3 s"):
                engine.transcribe(SILENCE)
        finally:
            engine.close()
        assert time.monotonic() - started < 8  # connecting and calling get 3 s each


def test_hf_space_engine_closed_port_fails_fast_and_reports_down() -> None:
    engine = HfSpaceEngine(f"http://127.0.0.1:{free_port('127.0.0.1')}/", timeout=10)
    started = time.monotonic()
    with pytest.raises(RemoteEngineError, match=r"failed \(ConnectError\)"):
        engine.transcribe(SILENCE)
    health = engine.health()
    assert time.monotonic() - started < 2
    assert not health.ok


def test_hf_space_engine_standin_stopped_then_restarted_recovers() -> None:
    """A Space that goes away fails calls and health quickly; once it is back, calls work again."""
    port = free_port("127.0.0.1")
    engine = HfSpaceEngine(f"http://127.0.0.1:{port}/", timeout=RECOGNITION_TIMEOUT)
    try:
        with running_space(port):
            assert engine.transcribe(SILENCE).text == ""
        started = time.monotonic()
        with pytest.raises(RemoteEngineError, match=f"127.0.0.1:{port}"):
            engine.transcribe(SILENCE)
        assert not engine.health().ok
        assert time.monotonic() - started < 3
        with running_space(port):
            assert engine.transcribe(SILENCE).text == ""
    finally:
        engine.close()
