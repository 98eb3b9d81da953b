"""Errors raised by the library, under one root so callers can catch them all.

FeatherweightError
├── AudioError              input audio that cannot be used (not WAV, wrong format, ...)
└── EngineError             a speech engine could not do its work
    ├── EngineNotFoundError     no engine by that name
    ├── EngineUnavailableError  the engine's extra or model is missing
    ├── EngineBusyError         no room for more work right now; try again later
    └── RemoteEngineError       the remote Space failed, timed out or was unreachable
"""

from __future__ import annotations


class FeatherweightError(Exception):
    """Root of every error the library raises."""


class AudioError(FeatherweightError):
    """Audio that cannot be decoded or does not have the required format."""


class EngineError(FeatherweightError):
    """A speech engine could not load or transcribe."""


class EngineNotFoundError(EngineError):
    """No engine is registered under the requested name."""


class EngineUnavailableError(EngineError):
    """The engine exists but its runtime (an extra) or its model is missing."""


class EngineBusyError(EngineError):
    """The engine is at capacity; `retry_after` is a hint in seconds."""

    def __init__(self, message: str, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after

    def __reduce__(self) -> tuple[type[EngineBusyError], tuple[str, float]]:
        return type(self), (str(self), self.retry_after)  # crosses process boundaries intact


class RemoteEngineError(EngineError):
    """The remote engine failed, timed out, or could not be reached.

    The message names the Space (its URL without credentials) and the detail, for the log;
    `reason` is a short phrase that is safe to show a client ("did not answer in time").
    """

    def __init__(self, message: str, reason: str = "failed") -> None:
        super().__init__(message)
        self.reason = reason

    def __reduce__(self) -> tuple[type[RemoteEngineError], tuple[str, str]]:
        return type(self), (str(self), self.reason)
