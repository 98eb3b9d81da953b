"""The remote engine: send each utterance to a Gradio Space and strip the tags from its text.

Production runs this on Render instead of a local model. gradio_client's own behaviour shapes the
code: `predict()` has no timeout, so calls go through `submit(...).result(timeout=...)`; creating a
Client contacts the Space (and the Hugging Face API for an `owner/name` id), so it happens lazily,
under a deadline, and again after a transport failure; and its errors come from httpx, httpx2
(huggingface_hub), websockets and plain ValueError/KeyError, so the boundary catches them all.

The Client reports analytics unless both `analytics_enabled=False` (passed here) and
`GRADIO_ANALYTICS_ENABLED=False` in the environment (the backend's config sets it; the library
reads and writes no environment).
"""

from __future__ import annotations

import inspect
import tempfile
import threading
import wave
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from featherweight.asr.base import SAMPLE_RATE, EngineHealth, Stream, Transcript
from featherweight.asr.tags import strip_tags, tag_language
from featherweight.audio import check_pcm
from featherweight.errors import EngineError, RemoteEngineError

HEALTH_TIMEOUT = 3.0
"""Seconds a health check may take in all: Render's own health check gives up after 5 s."""

T = TypeVar("T")


class HfSpaceEngine:
    """Transcribe through a Gradio Space that takes audio and returns (tagged) text.

    Args:
        space: an `owner/name` Space id, resolved through the Hugging Face API, or the
            http(s) URL of any Gradio app, used as is.
        api_name: the Space's endpoint, e.g. "/predict".
        token: a Hugging Face token for private Spaces. Without one no token is sent, not even
            one saved on this machine.
        timeout: seconds allowed to connect, and then to get each transcription.
    """

    name = "hf-space"

    def __init__(
        self,
        space: str,
        api_name: str = "/predict",
        token: str | None = None,
        timeout: float = 30.0,
    ) -> None:
        space = space.strip()
        if not space:
            raise EngineError(
                "the hf-space engine needs a Space: an 'owner/name' id or an http(s) URL"
            )
        if not timeout > 0:
            raise EngineError(f"the hf-space timeout must be positive seconds, not {timeout!r}")
        is_url = space.startswith(("http://", "https://"))
        self.space = space.rstrip("/") + "/" if is_url else space
        self.api_name = api_name if api_name.startswith("/") else f"/{api_name}"
        self.timeout = timeout
        self._token = token or None
        self._client: Any = None
        self._base_url: str | None = self.space if is_url else None
        self._lock = threading.Lock()

    def transcribe(self, pcm: bytes) -> Transcript:
        """Send one utterance of 16 kHz mono s16le PCM to the Space; return its untagged text.

        Raises:
            AudioError: `pcm` is not whole 16-bit samples.
            RemoteEngineError: the Space failed, timed out, was unreachable or answered oddly.
        """
        check_pcm(pcm)
        with tempfile.TemporaryDirectory(prefix="featherweight-") as tmp:
            path = Path(tmp) / "utterance.wav"
            write_wav(path, pcm)
            raw = self._predict(path)
        if not isinstance(raw, str):
            raise RemoteEngineError(
                f"the Space {self.space!r} returned {type(raw).__name__} from {self.api_name}, "
                "not text: check that the api_name points at a speech-to-text endpoint"
            )
        return Transcript(text=strip_tags(raw), language=tag_language(raw))

    def open_stream(self) -> Stream | None:
        """The Space takes whole utterances only."""
        return None

    def health(self) -> EngineHealth:
        """Check within about 3 s that the Space serves its config; never raises."""
        try:
            status = call_with_deadline(self._probe, HEALTH_TIMEOUT + 0.5)
        except Exception as exc:
            return EngineHealth(ok=False, detail=self._failure(exc, HEALTH_TIMEOUT))
        if status != 200:
            return EngineHealth(ok=False, detail=f"the Space {self.space!r} answered HTTP {status}")
        return EngineHealth(ok=True, detail=f"the Space {self.space!r} answers")

    def close(self) -> None:
        """Drop the Client and stop its background heartbeat; the next call reconnects."""
        with self._lock:
            client, self._client = self._client, None
        if client is not None:
            client.close()

    def _predict(self, path: Path) -> Any:
        from gradio_client import handle_file

        client = None
        try:
            client = self._connected()
            job = client.submit(handle_file(str(path)), api_name=self.api_name)
            # No job.cancel() on timeout: it may warn and post to the Space without a deadline.
            return job.result(timeout=self.timeout)
        except Exception as exc:
            if client is not None and not _space_answered(exc):
                self._discard(client)
            raise RemoteEngineError(self._failure(exc, self.timeout)) from exc

    def _connected(self) -> Any:
        with self._lock:
            if self._client is None:
                self._client = call_with_deadline(self._connect, self.timeout)
                self._base_url = self._client.src
            return self._client

    def _connect(self) -> Any:
        from gradio_client import Client

        options: dict[str, Any] = {
            # False, not None: None makes huggingface_hub send the token saved on this machine
            # (or in HF_TOKEN) to whatever URL was configured.
            "token": self._token or False,
            "verbose": False,
            "download_files": False,
            "httpx_kwargs": {"timeout": self.timeout},
        }
        if "analytics_enabled" in inspect.signature(Client).parameters:
            options["analytics_enabled"] = False
        return Client(self.space, **options)

    def _discard(self, client: Any) -> None:
        with self._lock:
            if self._client is client:
                self._client = None
        client.close()

    def _probe(self) -> int:
        import httpx

        base = self._base_url or self._resolve()
        headers = {"x-hf-authorization": f"Bearer {self._token}"} if self._token else {}
        return httpx.get(f"{base}config", headers=headers, timeout=HEALTH_TIMEOUT).status_code

    def _resolve(self) -> str:
        """The URL behind an `owner/name` id, from the Hugging Face API (as gradio_client does)."""
        import huggingface_hub

        host = huggingface_hub.space_info(self.space, token=self._token or False).host
        if not host:
            raise ValueError("the Hugging Face API gave no host for it; is it running?")
        self._base_url = host.rstrip("/") + "/"
        return self._base_url

    def _failure(self, exc: BaseException, timeout: float) -> str:
        # httpx, httpx2 and requests name their timeouts *Timeout*; only some subclass TimeoutError.
        if isinstance(exc, TimeoutError) or "Timeout" in type(exc).__name__:
            return f"the Space {self.space!r} did not answer within {timeout:g} s"
        detail = " ".join(str(exc).split())[:300] or "no detail"
        if _space_answered(exc):
            return f"the Space {self.space!r} refused the request: {detail}"
        return f"the Space {self.space!r} failed ({type(exc).__name__}): {detail}"


def _space_answered(exc: BaseException) -> bool:
    """Whether the Space itself rejected the call, so the connection is still good."""
    return type(exc).__name__ in {"AppError", "ValidationError", "AuthenticationError"}


def write_wav(path: Path, pcm: bytes) -> None:
    """Write 16 kHz mono s16le PCM as a WAV file."""
    with wave.open(str(path), "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(SAMPLE_RATE)
        out.writeframes(pcm)


def call_with_deadline(fn: Callable[[], T], timeout: float) -> T:
    """Run `fn` in a daemon thread; raise TimeoutError if it has not returned after `timeout` s.

    For calls with no timeout of their own (Client creation, hub look-ups). A call that misses
    the deadline finishes in the background and its result is dropped.
    """
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:
            outcome["error"] = exc

    thread = threading.Thread(target=target, name="hf-space-call", daemon=True)
    thread.start()
    thread.join(timeout)
    if thread.is_alive():
        raise TimeoutError(f"no answer within {timeout:g} s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
