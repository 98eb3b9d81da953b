"""PocketsphinxEngine on the espeak-ng fixtures: whole utterances, streams, isolation between
streams, and the worker-process engine that create_engine builds."""

import asyncio
import json
import math
import os
import random
import signal
from array import array
from pathlib import Path

import pytest

pytest.importorskip("pocketsphinx", reason="needs the lite-asr extra: uv sync --extra lite-asr")

from featherweight.asr import create_blocking_engine, create_engine
from featherweight.asr.pocketsphinx import PocketsphinxEngine
from featherweight.audio import Segmenter, decode_wav
from featherweight.errors import EngineBusyError, EngineError, EngineUnavailableError

pytestmark = pytest.mark.lite_asr

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PHRASES = json.loads((FIXTURES / "phrases.json").read_text())
RATE = 16_000


@pytest.fixture(scope="module")
def engine():
    return create_blocking_engine("pocketsphinx")


@pytest.fixture(scope="module")
def fresh_timer():
    """What a fresh decoder hears in the timer fixture, streamed as the service streams it."""
    return stream_text(PocketsphinxEngine(pool_size=1), load("timer"))


def load(name):
    return decode_wav((FIXTURES / PHRASES[name]["file"]).read_bytes())


def key_words(name, index=0):
    return PHRASES[name]["utterances"][index]["key_words"]


def speech_chunks(pcm):
    """The chunks the service feeds a stream: the Segmenter's cut of 100 ms frames."""
    segmenter = Segmenter()
    chunks = [c for i in range(0, len(pcm), 3200) for c in segmenter.feed(pcm[i : i + 3200])]
    tail = segmenter.flush()
    return [*chunks, tail] if tail else chunks


def stream_text(engine, pcm):
    """Stream `pcm` (cut as the service cuts it) as one utterance; return the final text."""
    stream = engine.open_stream()
    for chunk in speech_chunks(pcm):
        stream.feed(chunk.pcm)
    return stream.finish().text


def signal_of(kind, seconds=4.0):
    count = int(seconds * RATE)
    if kind == "noise":
        rnd = random.Random(1)
        samples = (max(-32768, min(32767, int(rnd.gauss(0, 3000)))) for _ in range(count))
    elif kind == "sine":
        samples = (int(8000 * math.sin(2 * math.pi * 440 * i / RATE)) for i in range(count))
    elif kind == "clipped":
        samples = (
            32767 if math.sin(2 * math.pi * 300 * i / RATE) > 0 else -32768 for i in range(count)
        )
    else:  # DC
        samples = (6000 for _ in range(count))
    return array("h", samples).tobytes()


def test_pocketsphinx_transcribe_fixture_hears_key_words(engine):
    transcript = engine.transcribe(load("timer"))
    assert set(key_words("timer")) <= set(transcript.text.split()), transcript.text
    assert transcript.language == "en"


def test_pocketsphinx_stream_gives_growing_partials_then_key_words(engine):
    stream = engine.open_stream()
    partials = [stream.feed(chunk.pcm[i : i + 3200]) for chunk in speech_chunks(load("timer"))
                for i in range(0, len(chunk.pcm), 3200)]  # fmt: skip
    final = stream.finish()
    assert set(key_words("timer")) <= set(final.text.split()), final.text
    heard = [p for p in partials if p]
    assert len(heard) >= 3
    assert len(heard[-1].split()) > len(heard[0].split())  # partials grow as audio arrives


@pytest.mark.parametrize("kind", ["noise", "sine", "clipped", "dc"])
def test_pocketsphinx_stream_after_odd_audio_hears_like_a_fresh_decoder(kind, fresh_timer):
    """A pooled decoder forgets what it adapted to: the next stream starts as a fresh one."""
    speech, fresh = load("timer"), fresh_timer
    engine = PocketsphinxEngine(pool_size=1)  # one decoder, reused by every stream
    stream = engine.open_stream()
    stream.feed(signal_of(kind))
    stream.finish()
    assert stream_text(engine, speech) == fresh
    assert set(key_words("timer")) <= set(fresh.split()), fresh


def test_pocketsphinx_grammar_gives_exact_text(tmp_path):
    texts = [u["text"] for entry in PHRASES.values() for u in entry["utterances"]]
    grammar = tmp_path / "phrases.jsgf"
    grammar.write_text(
        "#JSGF V1.0;\ngrammar phrases;\npublic <phrase> = " + " | ".join(texts) + ";\n"
    )
    engine = create_blocking_engine("pocketsphinx", jsgf=str(grammar))
    assert engine.transcribe(load("timer")).text == PHRASES["timer"]["utterances"][0]["text"]


def test_pocketsphinx_segmented_stream_finds_two_utterances(engine):
    stream, finals = None, []
    for chunk in speech_chunks(load("two_utterances")):
        stream = stream or engine.open_stream()
        stream.feed(chunk.pcm)
        if chunk.ends_utterance:
            finals.append(stream.finish().text)
            stream = None
    assert len(finals) == 2, finals
    for index, text in enumerate(finals):
        assert set(key_words("two_utterances", index)) <= set(text.split()), finals


def test_pocketsphinx_missing_grammar_file_is_unavailable(tmp_path):
    with pytest.raises(EngineUnavailableError, match=r"jsgf file .*missing\.jsgf' does not exist"):
        create_blocking_engine("pocketsphinx", jsgf=str(tmp_path / "missing.jsgf"))


def test_pocketsphinx_malformed_grammar_is_unavailable(tmp_path):
    grammar = tmp_path / "bad.jsgf"
    grammar.write_text("public <phrase> = ;")
    with pytest.raises(EngineUnavailableError, match="pocketsphinx cannot load its model"):
        create_blocking_engine("pocketsphinx", jsgf=str(grammar))


# -- the worker-process engine ----------------------------------------------------------------


@pytest.fixture(scope="module")
def pool():
    engine = create_engine("pocketsphinx", workers=2, streams_per_worker=1)
    yield engine
    asyncio.run(engine.aclose())


async def stream_async(engine, pcm):
    stream = await engine.open_stream()
    partials = [await stream.feed(chunk.pcm) for chunk in speech_chunks(pcm)]
    return partials, (await stream.finish()).text


def test_pocketsphinx_workers_transcribe_and_stream_the_fixtures(pool):
    async def both():
        whole = await pool.transcribe(load("timer"))
        return whole.text, await stream_async(pool, load("timer"))

    whole, (partials, final) = asyncio.run(both())
    assert set(key_words("timer")) <= set(whole.split()), whole
    assert set(key_words("timer")) <= set(final.split()), final
    assert any(partials)


def test_pocketsphinx_workers_hold_streams_per_worker_then_refuse(pool):
    async def fill():
        streams = [await pool.open_stream() for _ in range(pool.capacity)]
        with pytest.raises(EngineBusyError, match="all 2 pocketsphinx streams are in use"):
            await pool.open_stream()
        for stream in streams:
            await stream.aclose()
        again = await pool.open_stream()  # closed streams free their places
        await again.aclose()

    asyncio.run(fill())


def test_pocketsphinx_workers_timeout_stops_the_wait(pool):
    async def slow():
        with pytest.raises(EngineError, match=r"did not finish within 0\.001 s"):
            await pool.transcribe(load("timer"), timeout=0.001)
        return (await pool.transcribe(load("timer"))).text  # the worker serves on

    assert set(key_words("timer")) <= set(asyncio.run(slow()).split())


def test_pocketsphinx_worker_killed_fails_its_stream_then_recovers():
    engine = create_engine("pocketsphinx", workers=1, streams_per_worker=2)

    async def crash():
        stream = await engine.open_stream()
        await stream.feed(load("timer")[:32000])
        worker = engine._workers[0]
        for pid in list(worker._pool._processes):
            os.kill(pid, signal.SIGKILL)
        with pytest.raises(EngineError, match="worker process died"):
            await stream.feed(load("timer")[:3200])
        with pytest.raises(EngineError, match="lost when its worker process restarted"):
            await stream.finish()
        return (await engine.transcribe(load("timer"))).text

    try:
        assert set(key_words("timer")) <= set(asyncio.run(crash()).split())
    finally:
        asyncio.run(engine.aclose())


def test_pocketsphinx_workers_aclose_stops_the_processes():
    engine = create_engine("pocketsphinx", workers=1)
    processes = list(engine._workers[0]._pool._processes.values())
    asyncio.run(engine.aclose())
    assert processes and not any(process.is_alive() for process in processes)


def test_pocketsphinx_workers_bad_model_fails_at_creation(tmp_path):
    with pytest.raises(EngineUnavailableError, match="does not exist"):
        create_engine("pocketsphinx", workers=1, jsgf=str(tmp_path / "missing.jsgf"))
