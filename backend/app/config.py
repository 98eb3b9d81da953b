"""Service settings from environment variables (and an optional .env file), checked strictly."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

TRUE_WORDS = frozenset({"true", "1"})
FALSE_WORDS = frozenset({"false", "0"})
PLACEHOLDER_TOKEN = "changethis"
MIN_API_KEY_CHARS = 16
ORIGIN = re.compile(r"https?://[a-z0-9.-]+(:[0-9]{1,5})?|https?://\[[0-9a-f:.]+\](:[0-9]{1,5})?")


class ConfigError(Exception):
    """Settings that cannot start the service; the message is one line naming the variable."""


class Settings(BaseSettings):
    """Every setting the service reads; the environment variable is the field name in capitals."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", frozen=True)

    # Engine selection: a local engine in-process, or the remote Space (Render).
    use_local_asr: bool = False
    local_asr_engine: Literal["sensevoice", "pocketsphinx"] = "sensevoice"
    sensevoice_model: str | None = None  # hub id or local directory; None: the engine's default
    sensevoice_device: str = "cpu"
    sensevoice_hub: Literal["ms", "hf"] = "ms"
    hf_space: str = "hz6666/SenseVoiceSmall"
    hf_space_api: str = "/predict"
    hf_token: SecretStr | None = None
    hf_timeout: float = Field(default=30.0, gt=0)

    # Limits: each bounds what one client can make the service hold or wait for.
    max_frame_bytes: int = Field(default=64_000, gt=0)  # one WebSocket frame: 2 s of audio
    max_session_s: float = Field(default=300.0, gt=0)  # audio and wall-clock time per session
    max_upload_bytes: int = Field(default=10 * 1024 * 1024, gt=0)  # POST /api/transcribe
    # Concurrent WebSocket sessions; unset: what the engine holds (pocketsphinx: its workers
    # times streams per worker; the remote engine: 200; SenseVoice: 8).
    max_sessions: int | None = Field(default=None, gt=0)
    max_engine_calls: int = Field(default=2, gt=0)  # whole-utterance engine calls at once
    idle_timeout_s: float = Field(default=30.0, gt=0)  # longest wait for a client message

    # Segmentation: frames quieter than the threshold are silence; an utterance ends after
    # `silence_ms` of it, or at `max_utterance_s`.
    silence_threshold_dbfs: float = Field(default=-40.0, lt=0)
    silence_ms: int = Field(default=600, gt=0)
    max_utterance_s: float = Field(default=15.0, gt=0)

    # Health: the outcome of the engine's calls within HEALTH_CACHE_S, or, when there were
    # none, one real probe (bounded by HEALTH_TIMEOUT_S) whose answer stands that long.
    health_cache_s: float = Field(default=60.0, ge=0)
    health_timeout_s: float = Field(default=3.0, gt=0)

    # Edges (docs/SERVICE.md "Access and abuse limits"): who may call, how much one client
    # address may use, and how long a request may take to arrive.
    allowed_origins: str | None = None  # comma-separated, or *; unset: see effective_origins()
    api_keys: SecretStr | None = None  # comma-separated; a secret: never in render.yaml
    max_client_connections: int = Field(default=3, gt=0)  # WebSocket + API requests at once
    max_client_audio_s_per_min: float = Field(default=120.0, gt=0)  # averaged over a minute
    request_header_timeout_s: float = Field(default=10.0, gt=0)  # connection to full headers
    upload_timeout_s: float = Field(default=120.0, gt=0)  # reading one POST body
    render_external_url: str | None = None  # set by Render: https://<name>.onrender.com

    render_git_commit: str | None = None  # set by Render: the deployed commit

    # --- Capacity, back-pressure, per-client limits and shutdown (svc-core) -----------------
    # pocketsphinx runs in worker processes: 0 means one per usable core.
    engine_workers: int = Field(default=0, ge=0)
    # Streams one pocketsphinx worker holds at once (~90 MiB each); unset: the measured default.
    streams_per_worker: int | None = Field(default=None, gt=0)
    # Whole-utterance engine calls (every remote call, every POST) may wait in a queue of this
    # length, holding at most this much audio, for at most ENGINE_DEADLINE_S in all (wait and
    # call; unset: HF_TIMEOUT). Beyond that they are refused at once with a retry hint.
    engine_queue: int = Field(default=32, ge=0)
    engine_queue_bytes: int = Field(default=32 * 1024 * 1024, gt=0)
    engine_deadline_s: float | None = Field(default=None, gt=0)
    # Per client address (as the app sees it): engine calls per minute, and per session the
    # utterances it may send and the seconds of speech it may have waiting for the engine.
    max_calls_per_minute: int = Field(default=60, gt=0)
    max_utterances_per_session: int = Field(default=120, gt=0)
    max_backlog_s: float = Field(default=20.0, gt=0)
    # On SIGTERM: seconds to finish finals and requests in hand before closing with 1012.
    # Keep it below uvicorn's --timeout-graceful-shutdown and Render's maxShutdownDelaySeconds.
    shutdown_grace_s: float = Field(default=30.0, ge=0)
    # Send HF_TOKEN to an HF_SPACE URL that is not a Hugging Face host (https on
    # huggingface.co or *.hf.space); off, such a Space gets no token.
    hf_token_any_host: bool = False

    @field_validator("use_local_asr", mode="before")
    @classmethod
    def _parse_strict_bool(cls, value: object) -> object:
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in TRUE_WORDS | FALSE_WORDS:
            return word in TRUE_WORDS
        raise ValueError(f"USE_LOCAL_ASR={value!r} is not valid: use true or false (or 1 or 0)")

    @field_validator("hf_token", mode="before")
    @classmethod
    def _check_token(cls, value: object) -> object:
        # Render sets an empty value for a `sync: false` secret left blank: a public Space.
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if value == PLACEHOLDER_TOKEN:
            message = "HF_TOKEN is the placeholder 'changethis': set a real token or unset it"
            raise ValueError(message)
        return value

    @field_validator("allowed_origins", mode="before")
    @classmethod
    def _check_origins(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        entries = [entry.strip().rstrip("/").lower() for entry in str(value).split(",")]
        for entry in entries:
            if entry != "*" and not ORIGIN.fullmatch(entry):
                message = (
                    f"ALLOWED_ORIGINS holds {entry!r}, which is not an origin: list origins "
                    "like https://app.example.com (scheme and host, no path), or *"
                )
                raise ValueError(message)
        return ",".join(entries)

    @field_validator("api_keys", mode="before")
    @classmethod
    def _check_api_keys(cls, value: object) -> object:
        if isinstance(value, SecretStr):
            value = value.get_secret_value()
        # Render sets an empty value for a `sync: false` secret left blank: no keys.
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        for key in str(value).split(","):
            if key.strip() == PLACEHOLDER_TOKEN:
                raise ValueError("API_KEYS holds the placeholder 'changethis': set real keys")
            if len(key.strip()) < MIN_API_KEY_CHARS:
                message = (
                    f"API_KEYS holds a key of {len(key.strip())} characters: use at least "
                    f"{MIN_API_KEY_CHARS}, e.g. python -c 'import secrets; "
                    "print(secrets.token_urlsafe(32))'"
                )
                raise ValueError(message)
        return value

    def effective_origins(self) -> frozenset[str] | None:
        """The origins browsers may call from; None means any. Besides these, a page served by
        the service itself is always admitted (its Origin names the host it was fetched from).

        Unset ALLOWED_ORIGINS means the service's own origin on Render (RENDER_EXTERNAL_URL),
        and any origin elsewhere (development).
        """
        if self.allowed_origins is not None:
            entries = frozenset(self.allowed_origins.split(","))
            return None if "*" in entries else entries
        if self.render_external_url:
            return frozenset({self.render_external_url.strip().rstrip("/").lower()})
        return None

    def api_key_list(self) -> list[str]:
        """The API keys clients may present; empty when the service needs none."""
        if self.api_keys is None:
            return []
        return [key.strip() for key in self.api_keys.get_secret_value().split(",")]


def describe(error: ValidationError) -> str:
    """Turn a ValidationError into one line: `NAME='value' is not valid: why` per bad field."""
    lines = []
    for item in error.errors(include_url=False):
        own = item.get("ctx", {}).get("error")
        if isinstance(own, ValueError):
            lines.append(str(own))
            continue
        name = str(item["loc"][0]).upper() if item["loc"] else "settings"
        lines.append(f"{name}={item['input']!r} is not valid: {item['msg']}")
    return "; ".join(lines)


def load_settings() -> Settings:
    """Read the settings, raising ConfigError with one line when any value is bad."""
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError(describe(exc)) from None


@lru_cache
def get_settings() -> Settings:
    """The process's settings, read once; tests replace them with `app.dependency_overrides`."""
    return load_settings()
