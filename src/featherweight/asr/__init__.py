"""The engine registry: each name maps to a factory that imports its engine only when called."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from featherweight.asr.base import (
    SAMPLE_RATE,
    BlockingEngine,
    BlockingStream,
    Engine,
    EngineHealth,
    Stream,
    Transcript,
)
from featherweight.errors import EngineNotFoundError, EngineUnavailableError

__all__ = [
    "ENGINE_EXTRAS",
    "ENGINE_NAMES",
    "SAMPLE_RATE",
    "BlockingEngine",
    "BlockingStream",
    "Engine",
    "EngineHealth",
    "Stream",
    "Transcript",
    "create_blocking_engine",
    "create_engine",
    "missing_extra_error",
]

ENGINE_EXTRAS = {"pocketsphinx": "lite-asr", "sensevoice": "local-asr"}
"""The extra that installs each local engine's runtime; the remote engine needs none."""

POCKETSPHINX_STREAMS_PER_WORKER = 3
"""Streams one pocketsphinx worker process holds at once: what one core keeps up with in real
time with p95 stop-to-final under 1 s (docs/SERVICE.md, `python -m tools.loadgen`)."""


def missing_extra_error(name: str) -> EngineUnavailableError:
    """The error an engine raises when its extra is not installed, with the command to fix it."""
    extra = ENGINE_EXTRAS[name]
    return EngineUnavailableError(
        f"engine '{name}' needs the '{extra}' extra: uv sync --extra {extra}"
    )


def _blocking_pocketsphinx(**options: Any) -> BlockingEngine:
    from featherweight.asr.pocketsphinx import PocketsphinxEngine

    return PocketsphinxEngine(**options)


def _blocking_sensevoice(**options: Any) -> BlockingEngine:
    from featherweight.asr.sensevoice import SenseVoiceEngine

    return SenseVoiceEngine(**options)


_BLOCKING: dict[str, Callable[..., BlockingEngine]] = {
    "pocketsphinx": _blocking_pocketsphinx,
    "sensevoice": _blocking_sensevoice,
}


def _create_hf_space(**options: Any) -> Engine:
    from featherweight.asr.hf_space import HfSpaceEngine

    return HfSpaceEngine(**options)


def _create_pocketsphinx(
    *, workers: int | None = None, streams_per_worker: int | None = None, **options: Any
) -> Engine:
    """pocketsphinx never releases the GIL: by default one worker process per usable core.

    `workers=0` runs it in a thread of this process instead (one call at a time).
    """
    from featherweight.asr.pocketsphinx import require_runtime
    from featherweight.asr.threaded import ThreadedEngine
    from featherweight.asr.workers import ProcessPoolEngine, usable_cores

    require_runtime()  # here, not once per worker process
    if workers == 0:
        return ThreadedEngine(_blocking_pocketsphinx(**options))
    return ProcessPoolEngine(
        "pocketsphinx",
        _blocking_pocketsphinx,
        options,
        workers=workers or usable_cores(),
        streams_per_worker=streams_per_worker or POCKETSPHINX_STREAMS_PER_WORKER,
    )


def _create_sensevoice(**options: Any) -> Engine:
    from featherweight.asr.threaded import ThreadedEngine

    return ThreadedEngine(_blocking_sensevoice(**options))  # torch releases the GIL


_FACTORIES: dict[str, Callable[..., Engine]] = {
    "hf-space": _create_hf_space,
    "pocketsphinx": _create_pocketsphinx,
    "sensevoice": _create_sensevoice,
}

ENGINE_NAMES: tuple[str, ...] = tuple(sorted(_FACTORIES))


def _unknown(name: str, choices: tuple[str, ...]) -> EngineNotFoundError:
    return EngineNotFoundError(f"unknown engine {name!r}: choose one of {', '.join(choices)}")


def create_engine(name: str, **options: Any) -> Engine:
    """Build the async engine registered as `name`, passing `options` to its constructor.

    Local engines load their model here (this call blocks); pocketsphinx also takes `workers`
    (processes; default one per usable core, 0 for a thread) and `streams_per_worker`.

    Raises:
        EngineNotFoundError: no engine has that name.
        EngineUnavailableError: the engine's extra or model is missing.
    """
    factory = _FACTORIES.get(name)
    if factory is None:
        raise _unknown(name, ENGINE_NAMES)
    return factory(**options)


def create_blocking_engine(name: str, **options: Any) -> BlockingEngine:
    """Build a local engine with plain blocking calls, for scripts and worker processes.

    Raises:
        EngineNotFoundError: no local engine has that name (hf-space is async only).
        EngineUnavailableError: the engine's extra or model is missing.
    """
    factory = _BLOCKING.get(name)
    if factory is None:
        raise _unknown(name, tuple(sorted(_BLOCKING)))
    return factory(**options)
