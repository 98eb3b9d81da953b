"""Featherweight: streaming speech-to-text engines and the audio handling around them.

The library takes arguments, returns values and raises its own errors: it reads no
environment variables and imports no heavy engine until that engine is created.
"""

from featherweight.asr import ENGINE_NAMES, create_engine
from featherweight.asr.base import SAMPLE_RATE, Engine, EngineHealth, Stream, Transcript
from featherweight.audio import Chunk, Segmenter, check_pcm, decode_wav
from featherweight.errors import (
    AudioError,
    EngineError,
    EngineNotFoundError,
    EngineUnavailableError,
    FeatherweightError,
    RemoteEngineError,
)

__all__ = [
    "ENGINE_NAMES",
    "SAMPLE_RATE",
    "AudioError",
    "Chunk",
    "Engine",
    "EngineError",
    "EngineHealth",
    "EngineNotFoundError",
    "EngineUnavailableError",
    "FeatherweightError",
    "RemoteEngineError",
    "Segmenter",
    "Stream",
    "Transcript",
    "check_pcm",
    "create_engine",
    "decode_wav",
]
