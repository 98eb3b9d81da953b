"""SenseVoiceEngine against a fake funasr (and a minimal numpy stand-in): no torch, no model."""

import sys
import types
from array import array

import pytest

from featherweight.asr.base import Transcript
from featherweight.asr.sensevoice import SenseVoiceEngine, to_float32
from featherweight.errors import AudioError, EngineError, EngineUnavailableError

TAGGED = "<|en|><|NEUTRAL|><|Speech|><|woitn|>set a timer for five minutes"


@pytest.fixture
def fake_funasr(monkeypatch):
    """Install a fake funasr whose AutoModel records its calls; returns the recorder."""
    calls = types.SimpleNamespace(init=None, generate=[], results=[{"key": "k", "text": TAGGED}])
    calls.error = None

    class AutoModel:
        def __init__(self, **kwargs):
            calls.init = kwargs
            if calls.error is not None:
                raise calls.error

        def generate(self, **kwargs):
            calls.generate.append(kwargs)
            if isinstance(calls.results, Exception):
                raise calls.results
            return calls.results

    numpy = types.ModuleType("numpy")
    numpy.float32 = "float32"
    numpy.frombuffer = lambda buffer, dtype: (dtype, list(buffer))
    funasr = types.ModuleType("funasr")
    funasr.AutoModel = AutoModel
    monkeypatch.setitem(sys.modules, "funasr", funasr)
    monkeypatch.setitem(sys.modules, "numpy", numpy)
    return calls


def test_sensevoice_defaults_load_model_without_update_check(fake_funasr):
    SenseVoiceEngine()
    assert fake_funasr.init == {
        "model": "iic/SenseVoiceSmall",
        "vad_model": "fsmn-vad",
        "device": "cpu",
        "hub": "ms",
        "disable_update": True,
    }


def test_sensevoice_offline_hub_reports_model_unavailable(fake_funasr):
    fake_funasr.error = AssertionError("iic/SenseVoiceSmall is not registered")
    with pytest.raises(EngineUnavailableError) as info:
        SenseVoiceEngine()
    assert str(info.value) == (
        "SenseVoice model 'iic/SenseVoiceSmall' is unavailable (hub unreachable?): "
        "download it once and pass its directory as the model instead of a hub id"
    )


def test_sensevoice_other_load_failure_keeps_cause(fake_funasr):
    fake_funasr.error = RuntimeError("CUDA is not available")
    with pytest.raises(EngineUnavailableError, match="failed to load: CUDA is not available"):
        SenseVoiceEngine(device="cuda")


def test_sensevoice_missing_model_directory_fails_before_loading(fake_funasr, tmp_path):
    missing = tmp_path / "SenseVoiceSmall"
    with pytest.raises(EngineUnavailableError, match=r"model directory .* does not exist"):
        SenseVoiceEngine(model=str(missing))
    assert fake_funasr.init is None


def test_sensevoice_transcribe_sends_float32_and_strips_tags(fake_funasr):
    engine = SenseVoiceEngine()
    pcm = array("h", [0, 16384, -32768, 32767]).tobytes()
    assert engine.transcribe(pcm) == Transcript("set a timer for five minutes", language="en")
    (call,) = fake_funasr.generate
    assert call["input"] == ("float32", [0.0, 0.5, -1.0, 32767 / 32768])
    assert call["language"] == "auto"
    assert call["use_itn"] is True


def test_sensevoice_no_speech_returns_empty_transcript(fake_funasr):
    fake_funasr.results = []
    assert SenseVoiceEngine().transcribe(bytes(3200)) == Transcript("", language=None)


def test_sensevoice_inference_failure_raises_engine_error(fake_funasr):
    fake_funasr.results = RuntimeError("out of memory")
    with pytest.raises(EngineError, match="SenseVoice failed to transcribe: out of memory"):
        SenseVoiceEngine().transcribe(bytes(3200))


def test_sensevoice_odd_pcm_raises_audio_error(fake_funasr):
    with pytest.raises(AudioError):
        SenseVoiceEngine().transcribe(bytes(3))


def test_sensevoice_open_stream_returns_none(fake_funasr):
    assert SenseVoiceEngine().open_stream() is None


def test_to_float32_scales_into_unit_range():
    floats = to_float32(array("h", [-32768, -1, 0, 1, 32767]).tobytes())
    assert floats.typecode == "f"
    assert list(floats) == pytest.approx([-1.0, -1 / 32768, 0.0, 1 / 32768, 32767 / 32768])
