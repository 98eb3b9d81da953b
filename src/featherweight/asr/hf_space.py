"""The remote engine: send each utterance to a Gradio Space and strip the tags from its text.

Production runs this on Render instead of a local model, so its cost per call decides how many
streams an instance holds. It speaks Gradio's HTTP API directly with one kept-alive httpx client
instead of going through gradio_client (~120 ms of CPU per call on threads, polling and
temporary files; ~6 ms this way, `python -m tools.engine_cpu`): three small requests on one
connection,

    POST {api}/upload                 the utterance as an in-memory WAV -> its path on the Space
    POST {api}/call/{api_name}        {"data": [FileData]}              -> {"event_id"}
    GET  {api}/call/{api_name}/{id}   server-sent events until `complete` (or `error`)

where {api} is the app's URL plus the `api_prefix` its /config names ("/gradio_api" from
Gradio 5 on, "" in Gradio 4). A gr.Audio input takes a file the Space holds (FileData), never
inline data, hence the upload. See https://www.gradio.app/guides/querying-gradio-apps-with-curl.

An `owner/name` Space id is resolved once to its *.hf.space host through the Hugging Face API.
The token goes only to Hugging Face hosts unless `token_to_any_host` is set, and URLs in
messages never carry credentials.
"""

from __future__ import annotations

import asyncio
import io
import json
import wave
from typing import Any

import httpx

from featherweight.asr.base import SAMPLE_RATE, EngineHealth, Transcript
from featherweight.asr.tags import strip_tags, tag_language
from featherweight.audio import check_pcm
from featherweight.errors import EngineError, RemoteEngineError
from featherweight.urls import is_hf_url, redact

HEALTH_TIMEOUT = 3.0
"""Seconds a health probe may take in all: Render's own health check gives up after 5 s."""
HUB_URL = "https://huggingface.co"
PROBE_PCM = bytes(SAMPLE_RATE)  # 0.5 s of silence
FILE_NAME = "utterance.wav"

UNREACHABLE, TOO_SLOW, REFUSED, ODD = (
    "could not be reached", "did not answer in time", "refused the request",
    "answered something unexpected",
)  # fmt: skip


class HfSpaceEngine:
    """Transcribe through a Gradio Space that takes audio and returns (tagged) text.

    Args:
        space: an `owner/name` Space id, resolved through the Hugging Face API, or the
            http(s) URL of any Gradio app (4 or later), used as is.
        api_name: the Space's endpoint, e.g. "/predict".
        token: a Hugging Face token for private Spaces. Without one no token is sent, not even
            one saved on this machine.
        timeout: seconds allowed for one transcription, all requests included.
        token_to_any_host: send the token to a Space URL that is not a Hugging Face host too.
        hub_url: the Hugging Face API that resolves Space ids.
        transport: an httpx transport to use instead of the network (tests).

    One instance keeps one HTTP client: use it from one event loop.
    """

    name = "hf-space"

    def __init__(
        self,
        space: str,
        api_name: str = "/predict",
        token: str | None = None,
        timeout: float = 30.0,
        *,
        token_to_any_host: bool = False,
        hub_url: str = HUB_URL,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        space = space.strip()
        if not space:
            raise EngineError(
                "the hf-space engine needs a Space: an 'owner/name' id or an http(s) URL"
            )
        if not timeout > 0:
            raise EngineError(f"the hf-space timeout must be positive seconds, not {timeout!r}")
        self.is_url = space.startswith(("http://", "https://"))
        self.space = space.rstrip("/") + "/" if self.is_url else space
        self.label = redact(self.space)  # what messages show
        self.api_name = "/" + api_name.strip("/")
        self.timeout = timeout
        self._token = token or None
        self._token_to_any_host = token_to_any_host
        self._hub_url = hub_url.rstrip("/")
        self._transport = transport
        self._client: httpx.AsyncClient | None = None
        self._api: str | None = None  # the app's URL plus its api_prefix, once known
        self._token_for_api = False
        self._resolving: asyncio.Lock | None = None

    @property
    def token_withheld(self) -> bool:
        """Whether a token was given but will not be sent: the URL is not a Hugging Face host."""
        return bool(self._token) and self.is_url and not self._may_send_token(self.space)

    async def transcribe(self, pcm: bytes, timeout: float | None = None) -> Transcript:
        """Send one utterance of 16 kHz mono s16le PCM to the Space; return its untagged text.

        `timeout` (default: the engine's) bounds the whole call.

        Raises:
            AudioError: `pcm` is not whole 16-bit samples.
            RemoteEngineError: the Space failed, timed out, was unreachable or answered oddly.
        """
        check_pcm(pcm)
        limit = self.timeout if timeout is None else timeout
        try:
            async with asyncio.timeout(limit):
                raw = await self._predict(wav_bytes(pcm))
        except TimeoutError:
            raise self._error(f"did not answer within {limit:.3g} s", TOO_SLOW) from None
        except httpx.TimeoutException as exc:
            raise self._error(f"did not answer within {limit:.3g} s ({exc})", TOO_SLOW) from None
        except httpx.HTTPStatusError as exc:
            status, url = exc.response.status_code, exc.request.url.path
            raise self._error(f"answered HTTP {status} to {url}", REFUSED) from None
        except httpx.HTTPError as exc:
            self._api = None  # it may come back elsewhere (a restart, a new Gradio): ask again
            raise self._error(f"failed ({type(exc).__name__}): {exc}", UNREACHABLE) from None
        if not isinstance(raw, str):
            raise self._error(
                f"returned {type(raw).__name__} from {self.api_name}, not text: check that the "
                "api_name points at a speech-to-text endpoint",
                ODD,
            )
        return Transcript(text=strip_tags(raw), language=tag_language(raw))

    async def open_stream(self) -> None:
        """The Space takes whole utterances only."""
        return None

    async def health(self) -> EngineHealth:
        """Transcribe half a second of silence within HEALTH_TIMEOUT; never raises."""
        try:
            await self.transcribe(PROBE_PCM, timeout=HEALTH_TIMEOUT)
        except RemoteEngineError as exc:
            return EngineHealth(ok=False, detail=str(exc))
        return EngineHealth(ok=True, detail=f"the Space {self.label!r} transcribes")

    async def aclose(self) -> None:
        """Close the HTTP client; the next call opens a new one."""
        client, self._client = self._client, None
        if client is not None:
            await client.aclose()

    async def _predict(self, wav: bytes) -> Any:
        client = self._http()
        api = await self._endpoint(client)
        headers = self._space_headers()
        upload = await client.post(
            f"{api}/upload", files={"files": (FILE_NAME, wav, "audio/wav")}, headers=headers
        )
        paths = self._json(upload)
        if not (isinstance(paths, list) and paths and isinstance(paths[0], str)):
            raise self._error(f"answered the upload with {_show(paths)}", ODD)
        data = {"path": paths[0], "orig_name": FILE_NAME, "meta": {"_type": "gradio.FileData"}}
        call = self._json(
            await client.post(f"{api}/call{self.api_name}", json={"data": [data]}, headers=headers)
        )
        if not (isinstance(call, dict) and isinstance(call.get("event_id"), str)):
            raise self._error(f"answered the call with {_show(call)}", ODD)
        result_url = f"{api}/call{self.api_name}/{call['event_id']}"
        async with client.stream("GET", result_url, headers=headers) as response:
            response.raise_for_status()
            return await self._read_result(response)

    async def _read_result(self, response: httpx.Response) -> Any:
        """The output of the `complete` event in Gradio's server-sent events."""
        event = ""
        async for line in response.aiter_lines():
            if line.startswith("event:"):
                event = line.removeprefix("event:").strip()
            elif line.startswith("data:") and event in ("complete", "error"):
                payload = line.removeprefix("data:").strip()
                try:
                    data = json.loads(payload)
                except ValueError:
                    raise self._error(f"sent a {event} event that is not JSON", ODD) from None
                if event == "error":
                    raise self._error(f"refused the request: {_show(data)}", REFUSED)
                if not isinstance(data, list) or not data:
                    raise self._error(f"completed with {_show(data)}, not a list of outputs", ODD)
                return data[0]
        raise self._error("closed its event stream without a result", ODD)

    def _http(self) -> httpx.AsyncClient:
        if self._client is None:
            # Each request gets `timeout`; transcribe() bounds the call as a whole.
            self._client = httpx.AsyncClient(
                timeout=self.timeout, follow_redirects=True, transport=self._transport
            )
        return self._client

    async def _endpoint(self, client: httpx.AsyncClient) -> str:
        """The Gradio API's base URL: the app's URL plus the api_prefix from its config."""
        self._resolving = self._resolving or asyncio.Lock()
        async with self._resolving:
            if self._api is None:
                base = self.space if self.is_url else await self._resolve(client)
                self._token_for_api = self._may_send_token(base)
                response = await client.get(f"{base}config", headers=self._space_headers())
                config = self._json(response)
                if not isinstance(config, dict):
                    raise self._error(
                        f"served a config that is not an object: {_show(config)}", ODD
                    )
                prefix = str(config.get("api_prefix") or "").strip("/")
                self._api = base + prefix if prefix else base.rstrip("/")
            return self._api

    async def _resolve(self, client: httpx.AsyncClient) -> str:
        """The *.hf.space URL of an `owner/name` id, from the Hugging Face API."""
        headers = {"authorization": f"Bearer {self._token}"} if self._token else {}
        info = self._json(
            await client.get(f"{self._hub_url}/api/spaces/{self.space}", headers=headers)
        )
        host = info.get("host") if isinstance(info, dict) else None
        if not isinstance(host, str) or not host.startswith("http"):
            raise self._error("has no host on the Hugging Face API: is it running?", UNREACHABLE)
        return host.rstrip("/") + "/"

    def _may_send_token(self, url: str) -> bool:
        return is_hf_url(url) or self._token_to_any_host

    def _space_headers(self) -> dict[str, str]:
        if self._token and self._token_for_api:
            # Hugging Face's proxy in front of *.hf.space reads this header (as gradio_client).
            return {"x-hf-authorization": f"Bearer {self._token}"}
        return {}

    def _json(self, response: httpx.Response) -> Any:
        """The JSON body of a successful response (HTTPStatusError for another status)."""
        response.raise_for_status()
        try:
            return response.json()
        except ValueError:
            kind = response.headers.get("content-type", "no content type")
            where = response.request.url.path
            raise self._error(
                f"answered {where} with {kind}, not JSON: is it awake?", ODD
            ) from None

    def _error(self, detail: str, reason: str) -> RemoteEngineError:
        return RemoteEngineError(redact(f"the Space {self.label!r} {detail}"), reason)


def _show(value: Any) -> str:
    return " ".join(repr(value).split())[:120]


def wav_bytes(pcm: bytes) -> bytes:
    """16 kHz mono s16le PCM as the bytes of a WAV file."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(pcm)
    return out.getvalue()
