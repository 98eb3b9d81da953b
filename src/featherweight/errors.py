"""Errors raised by the library, under one root so callers can catch them all.

FeatherweightError
├── AudioError              input audio that cannot be used (not WAV, wrong format, ...)
└── EngineError             a speech engine could not do its work
    ├── EngineNotFoundError     no engine by that name
    ├── EngineUnavailableError  the engine's extra or model is missing
    └── RemoteEngineError       the remote Space failed, timed out or was unreachable
"""


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


class RemoteEngineError(EngineError):
    """The remote engine failed, timed out, or could not be reached."""
