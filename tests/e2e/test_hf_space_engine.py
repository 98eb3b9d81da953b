"""HfSpaceEngine against the real stand-in Space (gradio + pocketsphinx) on loopback."""

from __future__ import annotations

import asyncio
import json
import time
import wave
from pathlib import Path

import pytest

from featherweight.asr.base import EngineHealth, Transcript
from featherweight.asr.hf_space import HfSpaceEngine
from featherweight.errors import RemoteEngineError
from scripts.servers import free_port
from tools.standin import behaving, running_space

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


def transcribe(engine: HfSpaceEngine, pcm: bytes) -> Transcript:
    """One call on a loop of its own (the engine's client is made for it, and closed after)."""

    async def call() -> Transcript:
        try:
            return await engine.transcribe(pcm)
        finally:
            await engine.aclose()

    return asyncio.run(call())


def health(engine: HfSpaceEngine) -> EngineHealth:
    async def check() -> EngineHealth:
        try:
            return await engine.health()
        finally:
            await engine.aclose()

    return asyncio.run(check())


def test_hf_space_engine_standin_speech_gives_key_words_without_tags(standin_space: str) -> None:
    pcm, key_words = read_fixture("timer")
    transcript = transcribe(HfSpaceEngine(standin_space, timeout=RECOGNITION_TIMEOUT), pcm)
    assert "<|" not in transcript.text
    assert transcript.language == "en"
    assert set(key_words) <= set(transcript.text.split()), transcript.text


def test_hf_space_engine_standin_health_ok(standin_space: str) -> None:
    assert health(HfSpaceEngine(standin_space)).ok


def test_hf_space_engine_standin_tiny_timeout_raises_remote_error(standin_space: str) -> None:
    pcm, _ = read_fixture("timer")
    with pytest.raises(RemoteEngineError, match=r"did not answer within 0\.001 s"):
        transcribe(HfSpaceEngine(standin_space, timeout=0.001), pcm)


def test_hf_space_engine_slow_standin_result_times_out(standin_space: str) -> None:
    """The call outlasts `timeout`: it is given up at the deadline, not after the Space."""
    with behaving(standin_space, delay=3.0) as url:
        started = time.monotonic()
        with pytest.raises(RemoteEngineError, match=r"did not answer within 1 s"):
            transcribe(HfSpaceEngine(url, timeout=1.0), SILENCE)
        assert time.monotonic() - started < 2.5


def test_hf_space_engine_garbage_standin_fails_and_reports_down(standin_space: str) -> None:
    """A Space that serves its config but answers its API with an HTML page is not up."""
    with behaving(standin_space, mode="garbage") as url:
        with pytest.raises(RemoteEngineError, match="not JSON") as info:
            transcribe(HfSpaceEngine(url), SILENCE)
        assert info.value.reason == "answered something unexpected"
        assert not health(HfSpaceEngine(url)).ok


def test_hf_space_engine_closed_port_fails_fast_and_reports_down() -> None:
    engine = HfSpaceEngine(f"http://127.0.0.1:{free_port('127.0.0.1')}/", timeout=10)
    started = time.monotonic()
    with pytest.raises(RemoteEngineError, match=r"failed \(ConnectError\)"):
        transcribe(engine, SILENCE)
    state = health(engine)
    assert time.monotonic() - started < 2
    assert not state.ok


def test_hf_space_engine_standin_stopped_then_restarted_recovers() -> None:
    """A Space that goes away fails calls and health quickly; once it is back, calls work again."""
    port = free_port("127.0.0.1")

    async def scenario() -> None:
        engine = HfSpaceEngine(f"http://127.0.0.1:{port}/", timeout=RECOGNITION_TIMEOUT)
        try:
            with running_space(port):
                assert (await engine.transcribe(SILENCE)).text == ""
            started = time.monotonic()
            with pytest.raises(RemoteEngineError, match=f"127.0.0.1:{port}"):
                await engine.transcribe(SILENCE)
            assert not (await engine.health()).ok
            assert time.monotonic() - started < 3
            with running_space(port):
                assert (await engine.transcribe(SILENCE)).text == ""
        finally:
            await engine.aclose()

    asyncio.run(scenario())
