"""The engine registry: each name maps to a factory that imports its engine only when called."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from featherweight.asr.base import SAMPLE_RATE, Engine, EngineHealth, Stream, Transcript
from featherweight.errors import EngineNotFoundError, EngineUnavailableError

__all__ = [
    "ENGINE_EXTRAS",
    "ENGINE_NAMES",
    "SAMPLE_RATE",
    "Engine",
    "EngineHealth",
    "Stream",
    "Transcript",
    "create_engine",
    "missing_extra_error",
]

ENGINE_EXTRAS = {"pocketsphinx": "lite-asr", "sensevoice": "local-asr"}
"""The extra that installs each local engine's runtime; the remote engine needs none."""


def _create_hf_space(**options: Any) -> Engine:
    from featherweight.asr.hf_space import HfSpaceEngine

    return HfSpaceEngine(**options)


def _create_pocketsphinx(**options: Any) -> Engine:
    from featherweight.asr.pocketsphinx import PocketsphinxEngine

    return PocketsphinxEngine(**options)


def _create_sensevoice(**options: Any) -> Engine:
    from featherweight.asr.sensevoice import SenseVoiceEngine

    return SenseVoiceEngine(**options)


_FACTORIES: dict[str, Callable[..., Engine]] = {
    "hf-space": _create_hf_space,
    "pocketsphinx": _create_pocketsphinx,
    "sensevoice": _create_sensevoice,
}

ENGINE_NAMES: tuple[str, ...] = tuple(sorted(_FACTORIES))


def missing_extra_error(name: str) -> EngineUnavailableError:
    """The error an engine raises when its extra is not installed, with the command to fix it."""
    extra = ENGINE_EXTRAS[name]
    return EngineUnavailableError(
        f"engine '{name}' needs the '{extra}' extra: uv sync --extra {extra}"
    )


def create_engine(name: str, **options: Any) -> Engine:
    """Build the engine registered as `name`, passing `options` to its constructor.

    Raises:
        EngineNotFoundError: no engine has that name.
        EngineUnavailableError: the engine's extra or model is missing.
    """
    factory = _FACTORIES.get(name)
    if factory is None:
        raise EngineNotFoundError(
            f"unknown engine {name!r}: choose one of {', '.join(ENGINE_NAMES)}"
        )
    return factory(**options)
