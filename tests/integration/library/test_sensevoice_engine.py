"""SenseVoiceEngine on the espeak-ng fixtures, with a real funasr and a local model directory.

Runs only where the local-asr extra is installed (`uv sync --extra local-asr`) and the
environment variable SENSEVOICE_MODEL_DIR names a downloaded SenseVoiceSmall directory
(ModelScope `iic/SenseVoiceSmall` or Hugging Face `FunAudioLLM/SenseVoiceSmall`); set
SENSEVOICE_VAD_DIR to a downloaded fsmn-vad directory as well, or the tests run without voice
activity detection (the fixtures are short). No test here downloads a model.
"""

import json
import os
from pathlib import Path

import pytest

pytest.importorskip("funasr", reason="needs the local-asr extra: uv sync --extra local-asr")

from featherweight.asr import create_engine
from featherweight.audio import decode_wav

# Read at import: the autouse clean_environ fixture removes SENSEVOICE_* before each test.
MODEL_DIR = os.environ.get("SENSEVOICE_MODEL_DIR", "")
VAD_DIR = os.environ.get("SENSEVOICE_VAD_DIR") or None

pytestmark = [
    pytest.mark.local_asr,
    pytest.mark.slow,
    pytest.mark.skipif(
        not (MODEL_DIR and Path(MODEL_DIR).is_dir()),
        reason="set SENSEVOICE_MODEL_DIR to a SenseVoiceSmall model directory",
    ),
]

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
PHRASES = json.loads((FIXTURES / "phrases.json").read_text())


@pytest.fixture(scope="module")
def engine():
    # Without inverse text normalisation "five" stays a word instead of becoming "5".
    return create_engine("sensevoice", model=MODEL_DIR, vad_model=VAD_DIR, use_itn=False)


def test_sensevoice_transcribe_fixture_hears_key_words(engine):
    entry = PHRASES["timer"]
    transcript = engine.transcribe(decode_wav((FIXTURES / entry["file"]).read_bytes()))
    words = set(transcript.text.lower().replace(".", " ").replace(",", " ").split())
    assert set(entry["utterances"][0]["key_words"]) <= words, transcript.text
    assert transcript.language == "en"
    assert "<|" not in transcript.text


def test_sensevoice_open_stream_is_none(engine):
    assert engine.open_stream() is None
