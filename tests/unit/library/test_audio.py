import io
import math
import struct
import wave
from array import array

import pytest

from featherweight.audio import Chunk, Segmenter, check_pcm, decode_wav
from featherweight.errors import AudioError

RATE = 16_000


@pytest.fixture
def make_wav():
    def make(frames=1600, *, rate=RATE, channels=1, width=2):
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as wav:
            wav.setnchannels(channels)
            wav.setsampwidth(width)
            wav.setframerate(rate)
            size = frames * channels * width
            wav.writeframes((bytes(range(256)) * (size // 256 + 1))[:size])
        return buffer.getvalue()

    return make


def tone(seconds, amplitude=10_000):
    n = int(RATE * seconds)
    return array("h", (int(amplitude * math.sin(i / 8)) for i in range(n))).tobytes()


def silence(seconds):
    return bytes(2 * int(RATE * seconds))


def segment(pcm, step=3200, **options):
    segmenter = Segmenter(**options)
    chunks = [c for i in range(0, len(pcm), step) for c in segmenter.feed(pcm[i : i + step])]
    tail = segmenter.flush()
    return [*chunks, tail] if tail else chunks


def utterances(chunks):
    """Join chunks into the audio of each utterance."""
    result, current = [], b""
    for chunk in chunks:
        current += chunk.pcm
        if chunk.ends_utterance:
            result.append(current)
            current = b""
    assert current == b"", "audio after the last utterance was never closed"
    return result


def test_decode_wav_16k_mono_returns_its_pcm(make_wav):
    pcm = decode_wav(make_wav(1600))
    assert len(pcm) == 3200
    assert pcm[:4] == bytes([0, 1, 2, 3])


@pytest.mark.parametrize(
    ("data", "detail"),
    [
        (b"ID3\x04 this is an mp3", "no RIFF header"),
        (b"", "no RIFF header"),
        (b"RIFF\x00\x00", "audio is not a readable PCM WAV file"),
    ],
)
def test_decode_wav_not_a_wav_raises_audio_error(data, detail):
    with pytest.raises(AudioError, match=detail):
        decode_wav(data)


def test_decode_wav_float_format_raises_audio_error(make_wav):
    data = bytearray(make_wav(1600, width=4))
    struct.pack_into("<H", data, 20, 3)  # format tag 3: IEEE float
    with pytest.raises(AudioError, match=r"not a readable PCM WAV file \(unknown format: 3\)"):
        decode_wav(bytes(data))


def test_decode_wav_truncated_data_raises_audio_error(make_wav):
    with pytest.raises(AudioError, match="header promises 1600 frames but it holds 1000"):
        decode_wav(make_wav(1600)[: 44 + 2000])


def test_decode_wav_other_rate_names_rate_and_fix(make_wav):
    with pytest.raises(AudioError) as info:
        decode_wav(make_wav(rate=44_100))
    assert str(info.value) == (
        "sample rate 44100 Hz is not supported: send 16000 Hz mono 16-bit PCM WAV "
        "(sox in.wav -r 16000 -c 1 -b 16 out.wav)"
    )


def test_decode_wav_several_wrong_values_names_each(make_wav):
    with pytest.raises(AudioError, match=r"^2 channels and 8-bit samples are not supported: send"):
        decode_wav(make_wav(channels=2, width=1))


def test_decode_wav_no_frames_raises_audio_error(make_wav):
    with pytest.raises(AudioError, match=r"holds no audio \(0 frames\)"):
        decode_wav(make_wav(0))


def test_check_pcm_odd_length_raises_audio_error():
    with pytest.raises(AudioError, match=r"^frame of 1001 bytes is not whole 16-bit samples"):
        check_pcm(bytes(1001))


def test_check_pcm_even_length_passes():
    check_pcm(bytes(1000))


def test_segmenter_silence_only_emits_nothing():
    assert segment(silence(3)) == []


def test_segmenter_speech_between_silences_is_one_utterance_with_pre_roll():
    # Lengths are whole 30 ms frames, so the frame boundaries fall where the signal changes.
    chunks = segment(silence(0.99) + tone(0.99) + silence(0.99), pre_roll_ms=300, silence_ms=600)
    assert chunks[-1].ends_utterance
    assert [c.ends_utterance for c in chunks].count(True) == 1
    (audio,) = utterances(chunks)
    assert audio[: 2 * 4800] == silence(0.3)  # the pre-roll, then the onset unclipped
    assert audio[2 * 4800 : 2 * 4800 + 100] == tone(0.99)[:100]
    assert len(audio) == len(silence(0.3) + tone(0.99) + silence(0.6))


@pytest.mark.parametrize("step", [1, 7, 333, 960, 4801, 100_000])
def test_segmenter_any_feed_size_gives_the_same_audio(step):
    pcm = silence(0.5) + tone(0.7) + silence(1) + tone(0.5) + silence(0.2)
    assert utterances(segment(pcm, step=step)) == utterances(segment(pcm, step=960))


def test_segmenter_long_pause_splits_utterances():
    found = utterances(segment(tone(0.5) + silence(1) + tone(0.5) + silence(1)))
    assert len(found) == 2


def test_segmenter_short_pause_keeps_one_utterance():
    found = utterances(segment(tone(0.5) + silence(0.3) + tone(0.5) + silence(1)))
    assert len(found) == 1


def test_segmenter_max_length_closes_utterance():
    found = utterances(segment(tone(3.1), max_utterance_s=0.99))
    assert len(found) == 4
    assert [len(audio) for audio in found[:3]] == [len(tone(0.99))] * 3


def test_segmenter_click_does_not_start_utterance():
    click = tone(0.03)  # one frame, shorter than min_speech_ms
    assert segment(silence(0.48) + click + silence(1), min_speech_ms=60) == []


def test_segmenter_quiet_noise_below_threshold_is_silence():
    assert segment(tone(2, amplitude=200), threshold_dbfs=-40.0) == []  # about -47 dBFS


def test_segmenter_flush_mid_utterance_closes_it_with_the_tail():
    segmenter = Segmenter()
    chunks = segmenter.feed(tone(0.51) + b"\x01\x00\x02")
    assert not any(c.ends_utterance for c in chunks)
    assert segmenter.in_utterance
    assert segmenter.flush() == Chunk(b"\x01\x00", ends_utterance=True)
    assert segmenter.flush() is None
    assert not segmenter.in_utterance
