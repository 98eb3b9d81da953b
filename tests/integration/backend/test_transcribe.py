"""POST /api/transcribe: one WAV in, its transcript out, and each documented refusal."""

from __future__ import annotations

import re

from featherweight.errors import EngineError
from tests.integration.backend.fakes import FakeEngine, failing_remote, tone, wav_bytes

URL = "/api/transcribe"


def post_file(client, data: bytes, name: str = "speech.wav"):
    return client.post(URL, files={"file": (name, data, "audio/wav")})


def test_transcribe_multipart_wav_returns_text(make_client):
    response = post_file(make_client(), wav_bytes(tone(1.0)))
    assert response.status_code == 200
    assert response.json() == {
        "text": "utterance of 32000 bytes",
        "language": "en",
        "engine": "fake",
        "duration_s": 1.0,
    }


def test_transcribe_raw_wav_body_returns_text(make_client):
    body = wav_bytes(tone(0.5))
    response = make_client().post(URL, content=body, headers={"content-type": "audio/wav"})
    assert (response.status_code, response.json()["text"]) == (200, "utterance of 16000 bytes")


def test_transcribe_other_content_type_is_415(make_client):
    response = make_client().post(URL, content=b"hello", headers={"content-type": "text/plain"})
    assert response.status_code == 415
    assert "'text/plain'" in response.json()["detail"]


def test_transcribe_non_wav_file_is_415(make_client):
    response = post_file(make_client(), b"ID3\x03 an mp3, really" * 10, "song.mp3")
    assert response.status_code == 415
    assert "not a WAV" in response.json()["detail"]


def test_transcribe_truncated_wav_is_422(make_client):
    response = post_file(make_client(), wav_bytes(tone(1.0))[:1000])
    assert response.status_code == 422
    assert "truncated" in response.json()["detail"]


def test_transcribe_corrupt_wav_header_is_422(make_client):
    data = bytearray(wav_bytes(tone(0.2)))
    data[12:16] = b"junk"  # the fmt chunk's id
    response = post_file(make_client(), bytes(data))
    assert response.status_code == 422
    assert "not a readable PCM WAV" in response.json()["detail"]


def test_transcribe_wrong_sample_rate_is_422_naming_rate(make_client):
    response = post_file(make_client(), wav_bytes(tone(0.5), rate=44100))
    assert response.status_code == 422
    assert "44100" in response.json()["detail"] and "sox" in response.json()["detail"]


def test_transcribe_stereo_is_422(make_client):
    response = post_file(make_client(), wav_bytes(tone(0.5), channels=2))
    assert (response.status_code, "2 channels" in response.json()["detail"]) == (422, True)


def test_transcribe_multipart_too_large_is_413(make_client):
    response = post_file(make_client(max_upload_bytes=10_000), wav_bytes(tone(1.0)))
    assert response.status_code == 413
    assert "10000" in response.json()["detail"]


def test_transcribe_raw_body_too_large_is_413(make_client):
    client = make_client(max_upload_bytes=10_000)
    response = client.post(URL, content=wav_bytes(tone(1.0)), headers={"content-type": "audio/wav"})
    assert response.status_code == 413


def test_transcribe_chunked_body_too_large_is_413(make_client):
    """A body without Content-Length is counted as it arrives."""
    client = make_client(max_upload_bytes=10_000)
    data = wav_bytes(tone(1.0))
    chunks = (data[at : at + 4096] for at in range(0, len(data), 4096))
    response = client.post(URL, content=chunks, headers={"content-type": "audio/wav"})
    assert response.status_code == 413


def test_transcribe_form_without_file_field_is_400(make_client):
    response = make_client().post(URL, files={"audio": ("a.wav", wav_bytes(tone(0.2)))})
    assert response.status_code == 400
    assert "'file'" in response.json()["detail"]


def test_transcribe_empty_body_is_400(make_client):
    response = make_client().post(URL, content=b"", headers={"content-type": "audio/wav"})
    assert response.status_code == 400


def test_transcribe_remote_engine_failure_is_503_with_error_id_and_no_detail(make_client, caplog):
    response = post_file(make_client(failing_remote()), wav_bytes(tone(0.5)))
    detail = response.json()["detail"]
    assert response.status_code == 503
    assert re.fullmatch(
        r"the speech engine did not answer in time \(error id [0-9a-f]{8}\)", detail
    )
    assert "x/y" not in detail
    error_id = detail[-9:-1]
    assert any(error_id in r.message and "x/y" in r.message for r in caplog.records)


def test_transcribe_local_engine_failure_is_500_with_error_id(make_client, caplog):
    engine = FakeEngine(error=EngineError("model crashed"))
    response = post_file(make_client(engine), wav_bytes(tone(0.5)))
    detail = response.json()["detail"]
    assert response.status_code == 500
    assert re.fullmatch(r"the speech engine failed \(error id [0-9a-f]{8}\)", detail)
    assert any(detail[-9:-1] in r.message and "model crashed" in r.message for r in caplog.records)
