"""The seed's local engine: SenseVoice through funasr (the local-asr extra: torch, CPU or CUDA)."""

from __future__ import annotations

import sys
import threading
from array import array
from pathlib import Path

from featherweight.asr import missing_extra_error
from featherweight.asr.base import EngineHealth, Transcript
from featherweight.asr.tags import strip_tags, tag_language
from featherweight.audio import check_pcm
from featherweight.errors import EngineError, EngineUnavailableError

_FIX = "download it once and pass its directory as the model instead of a hub id"


class SenseVoiceEngine:
    """Recognise whole utterances with SenseVoiceSmall; it cannot stream.

    The model loads at construction, so a missing model stops start-up instead of the first
    request. A hub id ("iic/SenseVoiceSmall" on ModelScope, "FunAudioLLM/SenseVoiceSmall" on
    Hugging Face) is downloaded on first use; a local model directory never touches the network.

    Raises:
        EngineUnavailableError: the local-asr extra is missing, or a model cannot be loaded.
    """

    name = "sensevoice"

    def __init__(
        self,
        model: str = "iic/SenseVoiceSmall",
        device: str = "cpu",
        hub: str = "ms",
        vad_model: str | None = "fsmn-vad",
        language: str = "auto",
        use_itn: bool = True,
    ) -> None:
        try:
            import numpy  # type: ignore[import-not-found, unused-ignore]
            from funasr import AutoModel  # type: ignore[import-not-found, unused-ignore]
        except ImportError as exc:
            raise missing_extra_error(self.name) from exc
        for path in (model, vad_model):
            if path and _looks_like_path(path) and not Path(path).expanduser().is_dir():
                raise EngineUnavailableError(f"model directory {path!r} does not exist: {_FIX}")
        self._numpy = numpy
        self._options = {"language": language, "use_itn": use_itn}
        self._lock = threading.Lock()  # one model, one inference at a time
        try:
            # Without disable_update funasr checks PyPI for updates, with no timeout.
            self._model = AutoModel(
                model=model, vad_model=vad_model, device=device, hub=hub, disable_update=True
            )
        except Exception as exc:  # funasr raises anything from hub, torch and config code
            raise EngineUnavailableError(_describe_load_failure(model, exc)) from exc

    def transcribe(self, pcm: bytes) -> Transcript:
        """Recognise one whole utterance of 16 kHz mono s16le PCM."""
        check_pcm(pcm)
        if not pcm:
            return Transcript("")
        samples = self._numpy.frombuffer(to_float32(pcm), dtype=self._numpy.float32)
        try:
            with self._lock:
                results = self._model.generate(input=samples, **self._options)
        except Exception as exc:
            raise EngineError(f"SenseVoice failed to transcribe: {exc}") from exc
        raw = " ".join(str(result.get("text", "")) for result in results or [])
        return Transcript(strip_tags(raw), language=tag_language(raw))

    def open_stream(self) -> None:
        """SenseVoice recognises whole utterances only."""
        return None

    def health(self) -> EngineHealth:
        """Report ready: the model is loaded in this process."""
        return EngineHealth(ok=True)


def to_float32(pcm: bytes) -> array[float]:
    """Scale s16le PCM to float32 in [-1, 1), the array funasr expects (int16 reads as garbage)."""
    samples = array("h", pcm)
    if sys.byteorder == "big":
        samples.byteswap()
    return array("f", [sample / 32768 for sample in samples])


def _looks_like_path(model: str) -> bool:
    return model.startswith(("/", "./", "../", "~")) or Path(model).is_absolute()


def _describe_load_failure(model: str, exc: Exception) -> str:
    message = str(exc)
    # Offline, a hub id retries for ~20 s, then funasr asserts "<model> is not registered".
    if message.endswith("is not registered"):
        failed = message.removesuffix("is not registered").strip() or model
        return f"SenseVoice model {failed!r} is unavailable (hub unreachable?): {_FIX}"
    return f"SenseVoice model {model!r} failed to load: {message or type(exc).__name__}"
