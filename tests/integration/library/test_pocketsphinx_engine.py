"""PocketsphinxEngine on the espeak-ng fixtures: whole utterances, streams, and the Segmenter."""

import json
from pathlib import Path

import pytest

pytest.importorskip("pocketsphinx", reason="needs the lite-asr extra: uv sync --extra lite-asr")

from featherweight.asr import create_engine
from featherweight.audio import Segmenter, decode_wav

pytestmark = pytest.mark.lite_asr

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PHRASES = json.loads((FIXTURES / "phrases.json").read_text())


@pytest.fixture(scope="module")
def engine():
    return create_engine("pocketsphinx")


def load(name):
    return decode_wav((FIXTURES / PHRASES[name]["file"]).read_bytes())


def key_words(name, index=0):
    return PHRASES[name]["utterances"][index]["key_words"]


def test_pocketsphinx_transcribe_fixture_hears_key_words(engine):
    transcript = engine.transcribe(load("timer"))
    assert set(key_words("timer")) <= set(transcript.text.split()), transcript.text
    assert transcript.language == "en"


def test_pocketsphinx_stream_gives_growing_partials_then_key_words(engine):
    pcm = load("timer")
    stream = engine.open_stream()
    partials = [stream.feed(pcm[i : i + 3200]) for i in range(0, len(pcm), 3200)]
    final = stream.finish()
    assert set(key_words("timer")) <= set(final.text.split()), final.text
    heard = [p for p in partials if p]
    assert len(heard) >= 3
    assert len(heard[-1].split()) > len(heard[0].split())  # partials grow as audio arrives


def test_pocketsphinx_grammar_gives_exact_text(tmp_path):
    texts = [u["text"] for entry in PHRASES.values() for u in entry["utterances"]]
    grammar = tmp_path / "phrases.jsgf"
    grammar.write_text(
        "#JSGF V1.0;\ngrammar phrases;\npublic <phrase> = " + " | ".join(texts) + ";\n"
    )
    engine = create_engine("pocketsphinx", jsgf=str(grammar))
    assert engine.transcribe(load("timer")).text == PHRASES["timer"]["utterances"][0]["text"]


def test_pocketsphinx_segmented_stream_finds_two_utterances(engine):
    pcm = load("two_utterances")
    segmenter, stream, finals = Segmenter(), None, []
    chunks = [c for i in range(0, len(pcm), 3200) for c in segmenter.feed(pcm[i : i + 3200])]
    tail = segmenter.flush()
    for chunk in [*chunks, tail] if tail else chunks:
        stream = stream or engine.open_stream()
        stream.feed(chunk.pcm)
        if chunk.ends_utterance:
            finals.append(stream.finish().text)
            stream = None
    assert len(finals) == 2, finals
    for index, text in enumerate(finals):
        assert set(key_words("two_utterances", index)) <= set(text.split()), finals


def test_pocketsphinx_missing_grammar_file_is_unavailable(tmp_path):
    from featherweight.errors import EngineUnavailableError

    with pytest.raises(EngineUnavailableError, match=r"jsgf file .*missing\.jsgf' does not exist"):
        create_engine("pocketsphinx", jsgf=str(tmp_path / "missing.jsgf"))


def test_pocketsphinx_malformed_grammar_is_unavailable(tmp_path):
    from featherweight.errors import EngineUnavailableError

    grammar = tmp_path / "bad.jsgf"
    grammar.write_text("public <phrase> = ;")
    with pytest.raises(EngineUnavailableError, match="pocketsphinx cannot load its model"):
        create_engine("pocketsphinx", jsgf=str(grammar))
