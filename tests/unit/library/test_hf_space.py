"""HfSpaceEngine against a fake Gradio HTTP API (httpx.MockTransport): no network, no Space."""

from __future__ import annotations

import asyncio
import io
import json
import time
import wave
from typing import Any

import httpx
import pytest

from featherweight.asr import hf_space
from featherweight.asr.base import EngineHealth, Transcript
from featherweight.asr.hf_space import HfSpaceEngine
from featherweight.errors import AudioError, EngineError, RemoteEngineError

pytestmark = pytest.mark.anyio

URL = "http://space.test/"
TAGGED = "<|en|><|NEUTRAL|><|Speech|><|woitn|>hello world"
PCM = b"\x00\x01" * 1600  # 0.1 s
HOST = "https://owner-name.hf.space"


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class FakeGradio:
    """The HTTP API of a Gradio app with one audio endpoint, recording every request.

    `answer` is the endpoint's output; `fault` replaces one route's answer with a response.
    """

    def __init__(self, answer: Any = TAGGED, prefix: str = "/gradio_api") -> None:
        self.answer = answer
        self.prefix = prefix
        self.requests: list[httpx.Request] = []
        self.faults: dict[str, httpx.Response | Exception] = {}
        self.delay = 0.0
        self.event = "complete"

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        path = request.url.path
        route = path.removeprefix(self.prefix) if path != "/config" else "/config"
        if self.delay:
            await asyncio.sleep(self.delay)
        fault = self.faults.get(route)
        if isinstance(fault, Exception):
            raise fault
        if fault is not None:
            return fault
        if request.url.host == "huggingface.co":
            return httpx.Response(200, json={"id": "owner/name", "host": HOST})
        if route == "/config":
            return httpx.Response(200, json={"version": "6.0", "api_prefix": self.prefix})
        if route == "/upload":
            return httpx.Response(200, json=["/tmp/gradio/abc/utterance.wav"])
        if route == "/call/predict":
            return httpx.Response(200, json={"event_id": "e1"})
        if route == "/call/predict/e1":
            body = f"event: heartbeat\ndata: null\n\nevent: {self.event}\n"
            body += f"data: {json.dumps([self.answer] if self.event == 'complete' else None)}\n\n"
            return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})
        return httpx.Response(404, json={"detail": "Not Found"})

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.host}{r.url.path}" for r in self.requests]

    def headers(self, header: str) -> list[str | None]:
        return [r.headers.get(header) for r in self.requests]


@pytest.fixture
def gradio() -> FakeGradio:
    return FakeGradio()


def engine_for(gradio: FakeGradio, space: str = URL, **options: Any) -> HfSpaceEngine:
    return HfSpaceEngine(space, transport=httpx.MockTransport(gradio), **options)


def uploaded_wav(request: httpx.Request) -> tuple[int, int, int, bytes]:
    body = request.read()
    wav = body[body.index(b"RIFF") : body.rindex(b"\r\n--")]
    with wave.open(io.BytesIO(wav), "rb") as w:
        return w.getframerate(), w.getnchannels(), w.getsampwidth(), w.readframes(w.getnframes())


async def test_hf_space_engine_init_makes_no_request(gradio: FakeGradio) -> None:
    engine_for(gradio)
    assert gradio.requests == []


async def test_hf_space_engine_transcribe_uploads_calls_and_reads_the_result(
    gradio: FakeGradio,
) -> None:
    transcript = await engine_for(gradio).transcribe(PCM)
    assert transcript == Transcript(text="hello world", language="en")
    assert gradio.paths() == [
        "GET space.test/config",
        "POST space.test/gradio_api/upload",
        "POST space.test/gradio_api/call/predict",
        "GET space.test/gradio_api/call/predict/e1",
    ]
    assert uploaded_wav(gradio.requests[1]) == (16000, 1, 2, PCM)
    sent = json.loads(gradio.requests[2].content)
    assert sent == {
        "data": [
            {
                "path": "/tmp/gradio/abc/utterance.wav",
                "orig_name": "utterance.wav",
                "meta": {"_type": "gradio.FileData"},
            }
        ]
    }


async def test_hf_space_engine_second_call_reuses_config_and_client(gradio: FakeGradio) -> None:
    engine = engine_for(gradio)
    await engine.transcribe(PCM)
    client = engine._client
    await engine.transcribe(PCM)
    assert engine._client is client
    assert gradio.paths().count("GET space.test/config") == 1


async def test_hf_space_engine_gradio_4_has_no_api_prefix() -> None:
    gradio = FakeGradio(prefix="")
    assert (await engine_for(gradio).transcribe(PCM)).text == "hello world"
    assert "POST space.test/upload" in gradio.paths()


async def test_hf_space_engine_api_name_without_slash_is_normalised(gradio: FakeGradio) -> None:
    await engine_for(gradio, api_name="predict").transcribe(PCM)
    assert "POST space.test/gradio_api/call/predict" in gradio.paths()


async def test_hf_space_engine_space_id_resolved_through_hub_once(gradio: FakeGradio) -> None:
    engine = engine_for(gradio, "owner/name")
    await engine.transcribe(PCM)
    await engine.transcribe(PCM)
    assert gradio.paths()[:2] == [
        "GET huggingface.co/api/spaces/owner/name",
        "GET owner-name.hf.space/config",
    ]
    assert gradio.paths().count("GET huggingface.co/api/spaces/owner/name") == 1


async def test_hf_space_engine_token_goes_to_hub_and_hf_space_host(gradio: FakeGradio) -> None:
    await engine_for(gradio, "owner/name", token="hf_secret").transcribe(PCM)
    assert gradio.requests[0].headers["authorization"] == "Bearer hf_secret"
    assert set(gradio.headers("x-hf-authorization")[1:]) == {"Bearer hf_secret"}


async def test_hf_space_engine_token_goes_to_hf_space_url(gradio: FakeGradio) -> None:
    await engine_for(gradio, "https://owner-name.hf.space", token="hf_secret").transcribe(PCM)
    assert set(gradio.headers("x-hf-authorization")) == {"Bearer hf_secret"}


@pytest.mark.parametrize(
    "space",
    ["http://space.test/", "https://evil.example/", "http://owner-name.hf.space/",
     "https://huggingface.co.evil.example/"],
)  # fmt: skip
async def test_hf_space_engine_token_never_sent_to_other_hosts(
    gradio: FakeGradio, space: str
) -> None:
    engine = engine_for(gradio, space, token="hf_secret")
    await engine.transcribe(PCM)
    assert engine.token_withheld
    assert all("hf_secret" not in str(r.headers) for r in gradio.requests)


async def test_hf_space_engine_token_to_any_host_when_opted_in(gradio: FakeGradio) -> None:
    engine = engine_for(gradio, token="hf_secret", token_to_any_host=True)
    await engine.transcribe(PCM)
    assert not engine.token_withheld
    assert set(gradio.headers("x-hf-authorization")) == {"Bearer hf_secret"}


async def test_hf_space_engine_no_token_sends_no_authorization(gradio: FakeGradio) -> None:
    await engine_for(gradio, "owner/name").transcribe(PCM)
    assert gradio.headers("authorization") == [None] * 5
    assert gradio.headers("x-hf-authorization") == [None] * 5


async def test_hf_space_engine_non_text_answer_raises_remote_error(gradio: FakeGradio) -> None:
    gradio.answer = {"not": "text"}
    with pytest.raises(RemoteEngineError, match="returned dict from /predict, not text") as info:
        await engine_for(gradio).transcribe(PCM)
    assert info.value.reason == "answered something unexpected"


async def test_hf_space_engine_error_event_raises_refused(gradio: FakeGradio) -> None:
    gradio.event = "error"
    with pytest.raises(RemoteEngineError, match="refused the request") as info:
        await engine_for(gradio).transcribe(PCM)
    assert info.value.reason == "refused the request"


async def test_hf_space_engine_html_page_raises_not_json(gradio: FakeGradio) -> None:
    gradio.faults["/upload"] = httpx.Response(200, text="<html>sleeping</html>")
    with pytest.raises(RemoteEngineError, match=r"/gradio_api/upload with text/plain.*not JSON"):
        await engine_for(gradio).transcribe(PCM)


async def test_hf_space_engine_server_error_raises_with_status(gradio: FakeGradio) -> None:
    gradio.faults["/call/predict"] = httpx.Response(502, text="Bad Gateway")
    with pytest.raises(RemoteEngineError, match="answered HTTP 502 to /gradio_api/call/predict"):
        await engine_for(gradio).transcribe(PCM)


async def test_hf_space_engine_stream_without_result_raises(gradio: FakeGradio) -> None:
    gradio.faults["/call/predict/e1"] = httpx.Response(200, text="event: heartbeat\ndata: null\n\n")
    with pytest.raises(RemoteEngineError, match="closed its event stream without a result"):
        await engine_for(gradio).transcribe(PCM)


async def test_hf_space_engine_transport_error_rereads_config_next_time(
    gradio: FakeGradio,
) -> None:
    engine = engine_for(gradio)
    gradio.faults["/upload"] = httpx.ConnectError("refused")
    with pytest.raises(RemoteEngineError, match=r"failed \(ConnectError\): refused") as info:
        await engine.transcribe(PCM)
    assert info.value.reason == "could not be reached"
    del gradio.faults["/upload"]
    await engine.transcribe(PCM)
    assert gradio.paths().count("GET space.test/config") == 2


async def test_hf_space_engine_slow_space_times_out_at_the_deadline(gradio: FakeGradio) -> None:
    gradio.delay = 5.0
    started = time.monotonic()
    with pytest.raises(RemoteEngineError, match=r"did not answer within 0\.2 s") as info:
        await engine_for(gradio).transcribe(PCM, timeout=0.2)
    assert time.monotonic() - started < 2
    assert info.value.reason == "did not answer in time"


async def test_hf_space_engine_credentials_in_url_never_in_messages(gradio: FakeGradio) -> None:
    engine = engine_for(gradio, "http://user:s3cret@space.test/")
    gradio.faults["/config"] = httpx.Response(500)
    with pytest.raises(RemoteEngineError) as info:
        await engine.transcribe(PCM)
    assert "s3cret" not in str(info.value) and "http://***@space.test/" in str(info.value)
    assert "s3cret" not in engine.label


async def test_hf_space_engine_odd_byte_count_raises_audio_error(gradio: FakeGradio) -> None:
    with pytest.raises(AudioError, match="3 bytes"):
        await engine_for(gradio).transcribe(b"\x00\x01\x02")
    assert gradio.requests == []


async def test_hf_space_health_transcribes_silence(gradio: FakeGradio) -> None:
    assert (await engine_for(gradio).health()).ok
    assert uploaded_wav(gradio.requests[1])[3] == bytes(16000)


async def test_hf_space_health_garbage_answer_is_down(gradio: FakeGradio) -> None:
    gradio.faults["/call/predict"] = httpx.Response(200, text="<html>sleeping</html>")
    health = await engine_for(gradio).health()
    assert health == EngineHealth(False, health.detail) and "not JSON" in health.detail


async def test_hf_space_health_hanging_space_is_down_within_its_deadline(
    gradio: FakeGradio, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(hf_space, "HEALTH_TIMEOUT", 0.3)
    gradio.delay = 30.0
    started = time.monotonic()
    health = await engine_for(gradio).health()
    assert time.monotonic() - started < 1.5
    assert not health.ok and "did not answer within 0.3 s" in health.detail


async def test_hf_space_engine_aclose_closes_client(gradio: FakeGradio) -> None:
    engine = engine_for(gradio)
    await engine.transcribe(PCM)
    client = engine._client
    await engine.aclose()
    assert client is not None and client.is_closed and engine._client is None


async def test_hf_space_engine_open_stream_returns_none(gradio: FakeGradio) -> None:
    assert await engine_for(gradio).open_stream() is None


@pytest.mark.parametrize("space", ["", "   "])
def test_hf_space_engine_empty_space_raises_engine_error(space: str) -> None:
    with pytest.raises(EngineError, match="needs a Space"):
        HfSpaceEngine(space)


def test_hf_space_engine_zero_timeout_raises_engine_error() -> None:
    with pytest.raises(EngineError, match="must be positive"):
        HfSpaceEngine(URL, timeout=0)
