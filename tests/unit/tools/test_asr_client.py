"""tools/asr_client.py: the example WebSocket client."""

from __future__ import annotations

import wave

import pytest

from scripts.proc import ScriptError
from tools import asr_client


def _wav(path, rate=16000, channels=1, width=2, frames=1600):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(channels)
        w.setsampwidth(width)
        w.setframerate(rate)
        w.writeframes(b"\0" * frames * channels * width)
    return path


def test_read_pcm_16k_mono_returns_samples(tmp_path):
    assert len(asr_client.read_pcm(_wav(tmp_path / "ok.wav"))) == 3200


def test_read_pcm_other_rate_names_rate_and_sox_fix(tmp_path):
    with pytest.raises(ScriptError, match=r"44100 Hz, 1 channel\(s\), 16-bit: .*sox"):
        asr_client.read_pcm(_wav(tmp_path / "cd.wav", rate=44100))


def test_read_pcm_not_a_wav_names_the_file(tmp_path):
    bad = tmp_path / "notes.txt"
    bad.write_text("hello")
    with pytest.raises(ScriptError, match=r"cannot read .*notes\.txt as a WAV"):
        asr_client.read_pcm(bad)


def test_main_bad_wav_exit_2_one_line(tmp_path, capsys):
    bad = tmp_path / "x.wav"
    bad.write_bytes(b"RIFF")
    assert asr_client.main([str(bad)]) == 2
    assert capsys.readouterr().err.count("\n") == 1


def test_main_nothing_listening_exit_1_says_is_service_running(tmp_path, capsys):
    wav = _wav(tmp_path / "ok.wav")
    assert asr_client.main([str(wav), "--url", "ws://127.0.0.1:1/ws/asr", "--fast"]) == 1
    err = capsys.readouterr().err
    assert "cannot connect to ws://127.0.0.1:1/ws/asr" in err
    assert "is the service running?" in err


def test_show_routes_finals_to_stdout_rest_to_stderr(capsys):
    asr_client.show({"type": "partial", "text": "hel"})
    asr_client.show({"type": "final", "text": "hello"})
    asr_client.show({"type": "error", "code": "busy", "message": "too many"})
    out, err = capsys.readouterr()
    assert out == "hello\n"
    assert "... hel" in err
    assert "error busy: too many" in err
