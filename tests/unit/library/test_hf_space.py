"""HfSpaceEngine against a fake gradio_client.Client; health() against loopback servers only."""

from __future__ import annotations

import http.server
import socket
import threading
import time
import wave
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any, ClassVar

import gradio_client
import httpx
import httpx2
import pytest
import websockets.exceptions
from gradio_client import exceptions as gradio_errors
from gradio_client import utils as gradio_utils

from featherweight.asr import hf_space
from featherweight.asr.base import EngineHealth, Transcript
from featherweight.asr.hf_space import HfSpaceEngine, call_with_deadline
from featherweight.errors import AudioError, EngineError, RemoteEngineError

URL = "http://127.0.0.1:9/"  # never contacted: the Client is fake
TAGGED = "<|en|><|NEUTRAL|><|Speech|><|woitn|>hello world"
PCM = b"\x00\x01" * 1600  # 0.1 s


class FakeJob:
    def __init__(self, client: FakeClient) -> None:
        self.client = client

    def result(self, timeout: float | None = None) -> Any:
        self.client.result_timeouts.append(timeout)
        if self.client.result_error is not None:
            raise self.client.result_error
        return self.client.answer


class FakeClient:
    """Records how the engine builds and calls it; `answer`/`result_error` set the outcome."""

    instances: list[FakeClient]
    init_error: BaseException | None = None
    init_delay: float = 0.0
    answer: Any = TAGGED
    result_error: BaseException | None = None

    def __init__(self, src: str, **kwargs: Any) -> None:
        if self.init_delay:
            time.sleep(self.init_delay)
        if self.init_error is not None:
            raise self.init_error
        self.src = src if src.startswith("http") else "https://owner-space.hf.space/"
        self.kwargs = kwargs
        self.calls: list[tuple[tuple[Any, ...], str | None]] = []
        self.wavs: list[tuple[int, int, int, int]] = []
        self.result_timeouts: list[float | None] = []
        self.closed = False
        type(self).instances.append(self)

    def submit(self, *args: Any, api_name: str | None = None) -> FakeJob:
        self.calls.append((args, api_name))
        with wave.open(args[0]["path"], "rb") as wav:
            self.wavs.append(
                (wav.getframerate(), wav.getnchannels(), wav.getsampwidth(), wav.getnframes())
            )
        return FakeJob(self)

    def close(self) -> None:
        self.closed = True


@pytest.fixture
def fake_client(monkeypatch: pytest.MonkeyPatch) -> type[FakeClient]:
    """A fresh FakeClient class patched in as gradio_client.Client."""
    cls = type("FakeClientForTest", (FakeClient,), {"instances": []})
    monkeypatch.setattr(gradio_client, "Client", cls)
    return cls


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def make_http_server() -> Iterator[Callable[[int], str]]:
    """Start loopback HTTP servers that answer every GET with the given status; yield their URL."""
    servers: list[http.server.HTTPServer] = []

    def make(status: int) -> str:
        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/"

    yield make
    for server in servers:
        server.shutdown()
        server.server_close()


def test_hf_space_engine_init_creates_no_client(fake_client: type[FakeClient]) -> None:
    HfSpaceEngine(URL)
    assert fake_client.instances == []


def test_hf_space_engine_url_used_directly_with_trailing_slash(
    fake_client: type[FakeClient],
) -> None:
    HfSpaceEngine("http://127.0.0.1:9/app").transcribe(PCM)
    assert fake_client.instances[0].src == "http://127.0.0.1:9/app/"


def test_hf_space_engine_name_left_to_client_for_hub_resolution(
    fake_client: type[FakeClient],
) -> None:
    HfSpaceEngine("hz6666/SenseVoiceSmall").transcribe(PCM)
    assert fake_client.instances[0].src == "https://owner-space.hf.space/"


def test_hf_space_engine_token_given_passed_as_token_kwarg(fake_client: type[FakeClient]) -> None:
    HfSpaceEngine(URL, token="hf_secret").transcribe(PCM)
    assert fake_client.instances[0].kwargs["token"] == "hf_secret"


def test_hf_space_engine_no_token_sends_none_from_machine(fake_client: type[FakeClient]) -> None:
    """False, not None: None would make huggingface_hub send a locally saved token."""
    HfSpaceEngine(URL).transcribe(PCM)
    assert fake_client.instances[0].kwargs["token"] is False


def test_hf_space_engine_client_options_quiet_and_bounded(fake_client: type[FakeClient]) -> None:
    HfSpaceEngine(URL, timeout=7.5).transcribe(PCM)
    kwargs = fake_client.instances[0].kwargs
    assert kwargs["verbose"] is False
    assert kwargs["download_files"] is False
    assert kwargs["httpx_kwargs"] == {"timeout": 7.5}


def test_hf_space_engine_client_accepting_analytics_gets_it_off(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, Any] = {}

    class Client(FakeClient):
        instances: ClassVar[list[FakeClient]] = []

        def __init__(self, src: str, *, analytics_enabled: bool = True, **kwargs: Any) -> None:
            seen["analytics_enabled"] = analytics_enabled
            super().__init__(src, **kwargs)

    monkeypatch.setattr(gradio_client, "Client", Client)
    HfSpaceEngine(URL).transcribe(PCM)
    assert seen == {"analytics_enabled": False}


def test_hf_space_engine_transcribe_passes_timeout_to_result(
    fake_client: type[FakeClient],
) -> None:
    HfSpaceEngine(URL, timeout=12.0).transcribe(PCM)
    assert fake_client.instances[0].result_timeouts == [12.0]


@pytest.mark.parametrize("api_name", ["/predict", "predict"])
def test_hf_space_engine_api_name_sent_with_leading_slash(
    fake_client: type[FakeClient], api_name: str
) -> None:
    HfSpaceEngine(URL, api_name=api_name).transcribe(PCM)
    assert fake_client.instances[0].calls[0][1] == "/predict"


def test_hf_space_engine_transcribe_uploads_16k_mono_s16_wav(
    fake_client: type[FakeClient],
) -> None:
    HfSpaceEngine(URL).transcribe(PCM)
    assert fake_client.instances[0].wavs == [(16_000, 1, 2, 1600)]


def test_hf_space_engine_tagged_answer_stripped_with_language(
    fake_client: type[FakeClient],
) -> None:
    assert HfSpaceEngine(URL).transcribe(PCM) == Transcript(text="hello world", language="en")


def test_hf_space_engine_second_call_reuses_client(fake_client: type[FakeClient]) -> None:
    engine = HfSpaceEngine(URL)
    engine.transcribe(PCM)
    engine.transcribe(PCM)
    assert len(fake_client.instances) == 1


def test_hf_space_engine_non_text_answer_raises_remote_error(
    fake_client: type[FakeClient],
) -> None:
    fake_client.answer = {"path": "/tmp/x.wav"}
    with pytest.raises(RemoteEngineError, match=r"returned dict from /predict, not text"):
        HfSpaceEngine(URL).transcribe(PCM)


def test_hf_space_engine_odd_byte_count_raises_audio_error(fake_client: type[FakeClient]) -> None:
    with pytest.raises(AudioError, match="3 bytes"):
        HfSpaceEngine(URL).transcribe(b"\x00\x01\x02")


TRANSPORT_ERRORS = [
    httpx.ConnectError("[Errno 111] Connection refused"),
    httpx.ReadError("connection reset"),
    httpx.RemoteProtocolError("peer closed connection"),
    httpx2.ConnectError("Name or service not known"),
    websockets.exceptions.InvalidURI("ws://x", "bad"),
    websockets.exceptions.ConnectionClosedError(None, None),
    gradio_utils.QueueError("Queue is full! Please try again."),
    gradio_utils.TooManyRequestsError("Too many requests"),
    gradio_utils.InvalidAPIEndpointError(),
    ConnectionResetError(104, "Connection reset by peer"),
    OSError("network unreachable"),
    ValueError("Could not fetch config for http://127.0.0.1:9/"),
    KeyError("msg"),
]


@pytest.mark.parametrize("error", TRANSPORT_ERRORS, ids=lambda e: type(e).__name__)
def test_hf_space_engine_error_from_result_raises_remote_error_naming_space(
    fake_client: type[FakeClient], error: Exception
) -> None:
    fake_client.result_error = error
    with pytest.raises(RemoteEngineError, match=r"^the Space 'http://127\.0\.0\.1:9/' failed \("):
        HfSpaceEngine(URL).transcribe(PCM)


@pytest.mark.parametrize("error", TRANSPORT_ERRORS, ids=lambda e: type(e).__name__)
def test_hf_space_engine_error_from_client_creation_raises_remote_error(
    fake_client: type[FakeClient], error: Exception
) -> None:
    fake_client.init_error = error
    with pytest.raises(RemoteEngineError, match=r"hz6666/SenseVoiceSmall"):
        HfSpaceEngine("hz6666/SenseVoiceSmall").transcribe(PCM)


@pytest.mark.parametrize(
    "error",
    [TimeoutError(), httpx.ReadTimeout("timed out"), httpx2.ConnectTimeout("timed out")],
    ids=lambda e: type(e).__name__,
)
def test_hf_space_engine_timeout_raises_remote_error_saying_so(
    fake_client: type[FakeClient], error: Exception
) -> None:
    fake_client.result_error = error
    with pytest.raises(RemoteEngineError, match=r"did not answer within 2\.5 s"):
        HfSpaceEngine(URL, timeout=2.5).transcribe(PCM)


def test_hf_space_engine_hanging_client_creation_stopped_at_timeout(
    fake_client: type[FakeClient],
) -> None:
    fake_client.init_delay = 1.0
    started = time.monotonic()
    with pytest.raises(RemoteEngineError, match=r"did not answer within 0\.1 s"):
        HfSpaceEngine(URL, timeout=0.1).transcribe(PCM)
    assert time.monotonic() - started < 0.8


def test_hf_space_engine_transport_error_recreates_client(fake_client: type[FakeClient]) -> None:
    engine = HfSpaceEngine(URL)
    fake_client.result_error = httpx.ReadError("connection reset")
    with pytest.raises(RemoteEngineError):
        engine.transcribe(PCM)
    fake_client.result_error = None
    assert engine.transcribe(PCM).text == "hello world"
    assert len(fake_client.instances) == 2
    assert fake_client.instances[0].closed


def test_hf_space_engine_app_error_keeps_client_and_says_refused(
    fake_client: type[FakeClient],
) -> None:
    engine = HfSpaceEngine(URL)
    fake_client.result_error = gradio_errors.AppError("audio too long")
    with pytest.raises(RemoteEngineError, match="refused the request: audio too long"):
        engine.transcribe(PCM)
    fake_client.result_error = None
    engine.transcribe(PCM)
    assert len(fake_client.instances) == 1


def test_hf_space_engine_close_closes_client(fake_client: type[FakeClient]) -> None:
    engine = HfSpaceEngine(URL)
    engine.transcribe(PCM)
    engine.close()
    assert fake_client.instances[0].closed


def test_hf_space_engine_open_stream_returns_none() -> None:
    assert HfSpaceEngine(URL).open_stream() is None


@pytest.mark.parametrize("space", ["", "   "])
def test_hf_space_engine_empty_space_raises_engine_error(space: str) -> None:
    with pytest.raises(EngineError, match="needs a Space"):
        HfSpaceEngine(space)


def test_hf_space_engine_zero_timeout_raises_engine_error() -> None:
    with pytest.raises(EngineError, match="timeout must be positive"):
        HfSpaceEngine(URL, timeout=0)


def test_hf_space_health_closed_port_reports_down_quickly() -> None:
    url = f"http://127.0.0.1:{closed_port()}/"
    started = time.monotonic()
    health = HfSpaceEngine(url).health()
    assert time.monotonic() - started < 4
    assert not health.ok
    assert url in health.detail
    assert "ConnectError" in health.detail


def test_hf_space_health_answering_space_reports_ok(
    make_http_server: Callable[[int], str],
) -> None:
    assert HfSpaceEngine(make_http_server(200)).health().ok


def test_hf_space_health_server_error_reports_status(
    make_http_server: Callable[[int], str],
) -> None:
    url = make_http_server(503)
    assert HfSpaceEngine(url).health() == EngineHealth(
        ok=False, detail=f"the Space {url!r} answered HTTP 503"
    )


def test_hf_space_health_name_resolved_through_hub_then_probed(
    monkeypatch: pytest.MonkeyPatch, make_http_server: Callable[[int], str]
) -> None:
    url = make_http_server(200)
    import huggingface_hub

    monkeypatch.setattr(huggingface_hub, "space_info", lambda *a, **k: SimpleNamespace(host=url))
    assert HfSpaceEngine("owner/space").health().ok


def test_hf_space_health_hub_error_reports_down_without_raising(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import huggingface_hub

    def unreachable(*args: Any, **kwargs: Any) -> None:
        raise httpx2.ConnectError("Name or service not known")

    monkeypatch.setattr(huggingface_hub, "space_info", unreachable)
    health = HfSpaceEngine("owner/space").health()
    assert not health.ok
    assert health.detail == (
        "the Space 'owner/space' failed (ConnectError): Name or service not known"
    )


def test_hf_space_health_hanging_probe_reports_down_within_deadline(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(hf_space, "HEALTH_TIMEOUT", 0.1)
    release = threading.Event()
    monkeypatch.setattr(HfSpaceEngine, "_probe", lambda self: release.wait(5))
    started = time.monotonic()
    health = HfSpaceEngine(URL).health()
    release.set()
    assert time.monotonic() - started < 1
    assert health == EngineHealth(ok=False, detail=f"the Space {URL!r} did not answer within 0.1 s")


def test_call_with_deadline_error_reraised_in_caller() -> None:
    def fail() -> None:
        raise LookupError("boom")

    with pytest.raises(LookupError, match="boom"):
        call_with_deadline(fail, 1.0)
