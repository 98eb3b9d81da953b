"""Get client audio into the 16 kHz mono 16-bit PCM that engines take, cut into utterances."""

from __future__ import annotations

import io
import math
import sys
import wave
from array import array
from collections import deque
from dataclasses import dataclass

from featherweight.asr.base import SAMPLE_RATE
from featherweight.errors import AudioError

SAMPLE_WIDTH = 2
CHANNELS = 1
_FIX = f"send {SAMPLE_RATE} Hz mono 16-bit PCM WAV (sox in.wav -r {SAMPLE_RATE} -c 1 -b 16 out.wav)"


def decode_wav(data: bytes) -> bytes:
    """Return the PCM inside a 16 kHz mono 16-bit WAV file.

    Other rates, channel counts and sample widths are refused rather than converted:
    resampling well needs numpy, which production does not install, and clients can
    convert with one sox command (the error message gives it).

    Raises:
        AudioError: the bytes are not a readable PCM WAV, hold no audio, or have another format.
    """
    try:
        with wave.open(io.BytesIO(data), "rb") as wav:
            rate, channels, width = wav.getframerate(), wav.getnchannels(), wav.getsampwidth()
            frames = wav.getnframes()
            pcm = wav.readframes(frames)
    except (wave.Error, EOFError, ValueError) as exc:
        reason = "no RIFF header" if not data.startswith(b"RIFF") else str(exc) or "truncated"
        raise AudioError(f"audio is not a readable PCM WAV file ({reason}): {_FIX}") from exc
    wrong = []
    if rate != SAMPLE_RATE:
        wrong.append(f"sample rate {rate} Hz")
    if channels != CHANNELS:
        wrong.append(f"{channels} channels")
    if width != SAMPLE_WIDTH:
        wrong.append(f"{width * 8}-bit samples")
    if wrong:
        verb = "is" if len(wrong) == 1 else "are"
        raise AudioError(f"{' and '.join(wrong)} {verb} not supported: {_FIX}")
    if frames == 0:
        raise AudioError(f"WAV file holds no audio (0 frames): {_FIX}")
    if len(pcm) != frames * SAMPLE_WIDTH:
        raise AudioError(
            f"WAV file is truncated: its header promises {frames} frames but it holds "
            f"{len(pcm) // SAMPLE_WIDTH}: send the complete file"
        )
    return pcm


def check_pcm(pcm: bytes) -> None:
    """Raise AudioError unless `pcm` is a whole number of 16-bit samples."""
    if len(pcm) % SAMPLE_WIDTH:
        raise AudioError(
            f"frame of {len(pcm)} bytes is not whole 16-bit samples: "
            "send pcm_s16le with an even number of bytes per frame"
        )


@dataclass(frozen=True)
class Chunk:
    """Speech audio to feed an engine; `ends_utterance` closes the utterance after it."""

    pcm: bytes
    ends_utterance: bool


class Segmenter:
    """Cut a 16 kHz s16le stream into utterances by frame energy, dropping silence between them.

    A frame is speech when its RMS level reaches `threshold_dbfs`. An utterance starts after
    `min_speech_ms` of speech (with `pre_roll_ms` of the audio before it, so onsets are not
    clipped) and ends after `silence_ms` without speech or at `max_utterance_s`.
    """

    def __init__(
        self,
        *,
        sample_rate: int = SAMPLE_RATE,
        frame_ms: int = 30,
        threshold_dbfs: float = -40.0,
        min_speech_ms: int = 60,
        silence_ms: int = 600,
        pre_roll_ms: int = 300,
        max_utterance_s: float = 15.0,
    ) -> None:
        samples = sample_rate * frame_ms // 1000
        self._frame_bytes = samples * SAMPLE_WIDTH
        # Compare sums of squares, not RMS, to skip a sqrt per frame.
        self._threshold = samples * (32768 * 10 ** (threshold_dbfs / 20)) ** 2
        self._start_frames = max(1, math.ceil(min_speech_ms / frame_ms))
        self._silence_frames = max(1, math.ceil(silence_ms / frame_ms))
        self._max_frames = max(1, int(max_utterance_s * 1000 / frame_ms))
        self._pre_roll: deque[bytes] = deque(maxlen=self._start_frames + pre_roll_ms // frame_ms)
        self._pending = b""
        self._in_speech = False
        self._loud_run = self._quiet_run = self._length = 0

    @property
    def in_utterance(self) -> bool:
        """Whether an utterance has started and not yet ended."""
        return self._in_speech

    def feed(self, pcm: bytes) -> list[Chunk]:
        """Add audio of any length; return the speech chunks it completes, in order."""
        data = self._pending + pcm
        whole = len(data) - len(data) % self._frame_bytes
        self._pending = data[whole:]
        chunks: list[Chunk] = []
        out: list[bytes] = []
        for start in range(0, whole, self._frame_bytes):
            frame = data[start : start + self._frame_bytes]
            if self._is_loud(frame):
                self._loud_run, self._quiet_run = self._loud_run + 1, 0
            else:
                self._loud_run, self._quiet_run = 0, self._quiet_run + 1
            if not self._in_speech:
                self._pre_roll.append(frame)
                if self._loud_run >= self._start_frames:
                    self._in_speech, self._length = True, len(self._pre_roll)
                    out.extend(self._pre_roll)
                    self._pre_roll.clear()
                continue
            out.append(frame)
            self._length += 1
            if self._quiet_run >= self._silence_frames or self._length >= self._max_frames:
                chunks.append(Chunk(b"".join(out), ends_utterance=True))
                out.clear()
                self._in_speech = False
                self._loud_run = self._quiet_run = 0
        if out:
            chunks.append(Chunk(b"".join(out), ends_utterance=False))
        return chunks

    def flush(self) -> Chunk | None:
        """End the stream: close an open utterance with the buffered audio, and reset."""
        tail = self._pending[: len(self._pending) - len(self._pending) % SAMPLE_WIDTH]
        chunk = Chunk(tail, ends_utterance=True) if self._in_speech else None
        self._pending = b""
        self._pre_roll.clear()
        self._in_speech = False
        self._loud_run = self._quiet_run = self._length = 0
        return chunk

    def _is_loud(self, frame: bytes) -> bool:
        samples = array("h", frame)
        if sys.byteorder == "big":
            samples.byteswap()
        return sum(x * x for x in samples) >= self._threshold
