"""A small offline engine: pocketsphinx and the English model inside its wheel (lite-asr)."""

from __future__ import annotations

import builtins
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from featherweight.asr import missing_extra_error
from featherweight.asr.base import EngineHealth, Transcript
from featherweight.audio import check_pcm
from featherweight.errors import EngineError, EngineUnavailableError


def require_runtime() -> None:
    """Raise EngineUnavailableError, naming the extra, unless pocketsphinx can be imported."""
    try:
        import pocketsphinx  # type: ignore[import-untyped]  # noqa: F401
    except ImportError as exc:
        raise missing_extra_error("pocketsphinx") from exc


EN_US_CMNINIT = "41.00,-5.29,-0.12,5.09,2.48,-4.07,-1.37,-1.78,-5.08,-2.05,-6.45,-1.42,1.17"


class PocketsphinxEngine:
    """Recognise English with pocketsphinx, whole utterances or streamed with partial results.

    A decoder is not thread-safe, takes ~0.3 s to create and ~90 MiB to hold, so each call or
    stream borrows one from a small pool: idle decoders are reused, a new one is created when
    all are busy, and at most `pool_size` idle ones are kept. A borrowed decoder starts from the
    state of a fresh one: its feature extraction (the running cepstral mean and the noise
    estimate, which adapt to whatever it heard last) is reset first.

    Its C extension never releases the GIL: threads do not make it faster. The async form that
    `featherweight.asr.create_engine` builds runs it in worker processes instead.

    Args:
        lm: an n-gram language model file, replacing the general English one.
        jsgf: a JSGF grammar file; with `lm` or `jsgf` only those phrases are recognised.
        dict: a pronunciation dictionary file covering the words of `lm` or `jsgf`.
        pool_size: how many idle decoders to keep.
        fwdflat: run the second, flat-lexicon search pass at the end of each utterance. It
            costs ~0.1-0.2 s of CPU per utterance, all of it after the client stops, and on the
            spoken phrases of `python -m tools.ps_options` it heard no more words.

    Raises:
        EngineUnavailableError: the lite-asr extra is missing or a model file cannot be loaded.
    """

    name = "pocketsphinx"

    def __init__(
        self,
        *,
        lm: str | None = None,
        jsgf: str | None = None,
        dict: str | None = None,  # pocketsphinx's own name for the option
        pool_size: int = 2,
        fwdflat: bool = False,
    ) -> None:
        try:
            from pocketsphinx import Decoder
        except ImportError as exc:
            raise missing_extra_error(self.name) from exc
        self._config: builtins.dict[str, Any] = {}
        for option, path in {"lm": lm, "jsgf": jsgf, "dict": dict}.items():
            # Checked here because pocketsphinx 5.1 segfaults on a missing file once another
            # decoder exists in the process.
            if path is not None and not Path(path).is_file():
                raise EngineUnavailableError(f"pocketsphinx {option} file {path!r} does not exist")
            if path is not None:
                self._config[option] = str(path)
        self._config["loglevel"] = "FATAL"  # it logs every step to stderr otherwise
        # Streaming normalises with a running cepstral mean that starts from `cmninit`; the
        # Python default (40,3,-1) makes a fresh decoder mishear most words of its first
        # utterance, the English model's own value (its feat.params) far fewer.
        self._config["cmninit"] = EN_US_CMNINIT
        self._config["fwdflat"] = fwdflat
        self._decoder_class = Decoder
        self._pool_size = pool_size
        self._idle: list[Any] = []
        self._lock = threading.Lock()
        self._release(self._acquire())  # load the model now, so a bad path fails at start-up

    def transcribe(self, pcm: bytes) -> Transcript:
        """Recognise one whole utterance of 16 kHz mono s16le PCM."""
        check_pcm(pcm)
        decoder = self._acquire()
        try:
            decoder.start_utt()
            decoder.process_raw(pcm, False, True)
            decoder.end_utt()
        except RuntimeError as exc:  # the decoder is mid-utterance: drop it, not pool it
            raise EngineError(f"pocketsphinx failed to decode: {exc}") from exc
        text = _text(decoder)
        self._release(decoder)
        return Transcript(text, language="en")

    def open_stream(self) -> PocketsphinxStream:
        """Start recognising one utterance incrementally."""
        return PocketsphinxStream(self._acquire(), self._release)

    def health(self) -> EngineHealth:
        """Report ready: the model is inside the process."""
        return EngineHealth(ok=True)

    def _acquire(self) -> Any:
        with self._lock:
            decoder = self._idle.pop() if self._idle else None
        if decoder is not None:
            # A reused decoder's cepstral mean and noise estimate have adapted to the last audio
            # it heard (noise, a tone, DC): reset them, or its next utterance is misheard.
            decoder.reinit_feat()
            return decoder
        try:
            return self._decoder_class(**self._config)
        except (RuntimeError, ValueError) as exc:
            raise EngineUnavailableError(
                f"pocketsphinx cannot load its model with {self._config}: {exc}"
            ) from exc

    def _release(self, decoder: Any) -> None:
        with self._lock:
            if len(self._idle) < self._pool_size:
                self._idle.append(decoder)


class PocketsphinxStream:
    """One utterance fed in pieces; `feed` returns the current best guess."""

    def __init__(self, decoder: Any, release: Callable[[Any], None]) -> None:
        self._decoder = decoder
        self._release = release
        decoder.start_utt()

    def feed(self, pcm: bytes) -> str | None:
        """Add PCM and return the partial hypothesis, or None while there is none."""
        check_pcm(pcm)
        if self._decoder is None:
            raise EngineError("this stream is finished: open a new one for the next utterance")
        try:
            self._decoder.process_raw(pcm, False, False)
        except RuntimeError as exc:
            raise EngineError(f"pocketsphinx failed to decode: {exc}") from exc
        return _text(self._decoder) or None

    def finish(self) -> Transcript:
        """End the utterance, return its transcript and give the decoder back to the pool."""
        decoder, self._decoder = self._decoder, None
        if decoder is None:
            raise EngineError("this stream is already finished")
        try:
            decoder.end_utt()
        except RuntimeError as exc:
            raise EngineError(f"pocketsphinx failed to decode: {exc}") from exc
        text = _text(decoder)
        self._release(decoder)
        return Transcript(text, language="en")


def _text(decoder: Any) -> str:
    hypothesis = decoder.hyp()
    return hypothesis.hypstr if hypothesis is not None else ""
