"""The microphone page at / in headless Chromium, streaming a fixture to the real service."""

from __future__ import annotations

import json
import math
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

pytest.importorskip("pocketsphinx")
pytest.importorskip("selenium")

from selenium.webdriver.common.selenium_manager import SeleniumManager
from websockets.sync.client import connect

from tests.e2e.browser import (
    ALLOW_MICROPHONE,
    TRUST_ANY_CERTIFICATE,
    artifact_folder,
    browser_missing,
    open_page,
    service_process,
)
from tests.e2e.server import FIXTURES, read_fixture, running_service

if reason := browser_missing():
    pytest.skip(reason, allow_module_level=True)

pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.lite_asr, pytest.mark.browser]

SETTINGS = {"USE_LOCAL_ASR": "true", "LOCAL_ASR_ENGINE": "pocketsphinx"}


def speech(name: str, *, loop: bool = False) -> tuple[Path, list[list[str]]]:
    """A fixture's WAV as Chromium's fake microphone takes it, and its key words."""
    phrase = json.loads((FIXTURES / "phrases.json").read_text())[name]
    wav = FIXTURES / phrase["file"]
    return (wav if loop else Path(f"{wav}%noloop")), read_fixture(name)[1]


@pytest.fixture(autouse=True)
def no_selenium_manager(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail instead of letting Selenium Manager look for (and download) a driver or browser."""

    def refuse(*args: object) -> None:
        raise AssertionError("Selenium Manager ran: give the chromedriver path to Service")

    monkeypatch.setattr(SeleniumManager, "binary_paths", refuse)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_service(SETTINGS, tmp_path_factory.mktemp("page")) as url:
        yield url


@pytest.fixture
def artifacts(request: pytest.FixtureRequest) -> Path:
    """Where a failing test leaves the page's screenshot and console log."""
    return artifact_folder(request.node.name)


def heard(key_words: list[str], text: str) -> bool:
    """Whether `text` holds every key word. The browser's audio path (resampled, and paced by
    a fake device that stutters on a busy machine) can make pocketsphinx join two words of its
    dictionary ("living room" -> "livingroom"), so words are matched with the spaces removed."""
    joined = "".join(text.lower().split())
    return all(word in joined for word in key_words)


def test_page_fixture_speech_shows_key_words_as_finals(service: str, artifacts: Path) -> None:
    wav, key_words = speech("two_utterances")
    with open_page(service, wav, artifacts) as page:
        assert (page.state, page.enabled("start"), page.enabled("stop")) == ("idle", True, False)
        page.click("start")
        page.wait_state("listening", timeout=30)
        enough = len(key_words)
        finals = page.wait("two finals", lambda p: p.finals if len(p.finals) >= enough else [], 90)
        for text, words in zip(finals, key_words, strict=True):
            assert heard(words, text), finals
        seen = page.seen
        assert seen["partials"], "no partial transcript was shown while the speech played"
        assert seen["level"] > 0.45, f"the level meter showed at most {seen['level']:.2f}"

        page.click("stop")
        page.wait_state("idle", timeout=30)
        assert page.status == "Done. Press Start to speak again."
        assert (page.enabled("start"), page.enabled("stop"), page.partial) == (True, False, "")
        assert page.finals == finals
        errors = [entry for entry in page.console() if entry["level"] == "SEVERE"]
        assert not errors, f"the console shows errors: {errors}"


def test_page_over_https_streams_over_wss(tmp_path: Path, artifacts: Path) -> None:
    """A final proves wss: the port speaks only TLS, and Chromium blocks ws: from https pages."""
    wav, key_words = speech("timer")
    flags = (ALLOW_MICROPHONE, TRUST_ANY_CERTIFICATE)
    with (
        service_process(SETTINGS, tmp_path, tls=trustme.CA()) as server,
        open_page(server.url, wav, artifacts, flags) as page,
    ):
        assert page.read("return location.protocol") == "https:"
        page.click("start")
        finals = page.wait("a final", lambda p: p.finals, timeout=90)
        assert heard(key_words[0], finals[0]), finals


def test_page_microphone_denied_says_blocked(service: str, artifacts: Path) -> None:
    wav, _ = speech("timer")
    with open_page(service, wav, artifacts, extra_flags=()) as page:
        page.click("start")
        page.wait_state("failed", timeout=30)
        assert page.status.startswith("The microphone is blocked for this page."), page.status
        assert (page.enabled("start"), page.enabled("stop")) == (True, False)


def test_page_server_busy_says_busy_and_start_tries_again(tmp_path: Path, artifacts: Path) -> None:
    wav, _ = speech("timer")
    with (
        running_service(SETTINGS | {"MAX_SESSIONS": "1"}, tmp_path) as url,
        connect(url.replace("http:", "ws:") + "/ws/asr", open_timeout=30) as held,
    ):
        assert json.loads(held.recv(timeout=30))["type"] == "ready"  # the one free place is taken
        with open_page(url, wav, artifacts) as page:
            for _ in range(2):
                page.click("start")
                page.wait_state("failed", timeout=30)
                assert page.status.startswith("The server is busy"), page.status
                assert (page.enabled("start"), page.enabled("stop")) == (True, False)


def test_page_server_error_frame_shows_its_message(tmp_path: Path, artifacts: Path) -> None:
    wav, _ = speech("timer", loop=True)
    with (
        running_service(SETTINGS | {"MAX_SESSION_S": "4"}, tmp_path) as url,
        open_page(url, wav, artifacts) as page,
    ):
        page.click("start")
        page.wait_state("listening", timeout=30)
        page.wait_state("failed", timeout=60)
        assert page.status.startswith("The server ended the session: "), page.status
        assert "4 s" in page.status, "the sentence carries the server's message"
        assert (page.enabled("start"), page.enabled("stop")) == (True, False)


def test_page_server_down_says_unreachable(tmp_path: Path, artifacts: Path) -> None:
    wav, _ = speech("timer")
    with (
        service_process(SETTINGS, tmp_path) as server,
        open_page(server.url, wav, artifacts) as page,
    ):
        server.process.kill()
        server.process.wait()
        page.click("start")
        page.wait_state("failed", timeout=30)
        assert page.status.startswith("The server could not be reached."), page.status
        assert (page.enabled("start"), page.enabled("stop")) == (True, False)


@pytest.mark.parametrize(
    ("stop_server", "sentence"),
    [
        ("terminate", "The server restarted and closed the connection."),
        ("kill", "The connection to the server was lost mid-stream."),
    ],
    ids=["sigterm", "sigkill"],
)
def test_page_server_gone_mid_stream_says_so(
    stop_server: str, sentence: str, tmp_path: Path, artifacts: Path
) -> None:
    wav, _ = speech("timer", loop=True)
    with (
        service_process(SETTINGS, tmp_path) as server,
        open_page(server.url, wav, artifacts) as page,
    ):
        page.click("start")
        page.wait("a partial transcript", lambda p: p.seen["partials"], timeout=60)
        getattr(server.process, stop_server)()  # SIGTERM, as on a redeploy, or SIGKILL
        page.wait_state("failed", timeout=30)
        assert page.status.startswith(sentence), page.status
        assert (page.enabled("start"), page.enabled("stop")) == (True, False)


# Render one second of a tone through the page's worklet in an OfflineAudioContext; measure the
# 16 kHz output after the first frame (the filter's start-up): its level relative to the input
# and its frequency (from zero crossings).
RESAMPLE = """
const [rate, frequency, done] = arguments;
(async () => {
  const context = new OfflineAudioContext(1, rate, rate);
  await context.audioWorklet.addModule("/static/pcm-worklet.js");
  const encoder = new AudioWorkletNode(context, "pcm-encoder");
  const frames = [];
  encoder.port.onmessage = (event) => frames.push(new Int16Array(event.data.pcm));
  const tone = new OscillatorNode(context, { frequency });
  tone.connect(new GainNode(context, { gain: 0.5 })).connect(encoder).connect(context.destination);
  tone.start();
  await context.startRendering();
  while (frames.length < 9) await new Promise((resolve) => setTimeout(resolve, 10));
  const samples = frames.slice(1, 9).flatMap((frame) => [...frame].map((v) => v / 32768));
  const rms = Math.sqrt(samples.reduce((sum, v) => sum + v * v, 0) / samples.length);
  let crossings = 0;
  for (let i = 1; i < samples.length; i++) crossings += (samples[i - 1] < 0) !== (samples[i] < 0);
  return { gain: rms / (0.5 / Math.SQRT2), hz: crossings / 2 / (samples.length / 16000) };
})().then(done, (error) => done({ error: String(error) }));
"""


@pytest.mark.parametrize("rate", [44100, 48000])
def test_page_worklet_resamples_speech_band_and_filters_out_above_8khz(
    rate: int, service: str, artifacts: Path
) -> None:
    wav, _ = speech("timer")
    with open_page(service, wav, artifacts) as page:
        speech_tone = page.driver.execute_async_script(RESAMPLE, rate, 1000)
        alias_tone = page.driver.execute_async_script(RESAMPLE, rate, 12000)  # would fold to 4 kHz
    assert abs(decibels(speech_tone["gain"])) < 0.5, speech_tone
    assert abs(speech_tone["hz"] - 1000) < 10, speech_tone
    assert decibels(alias_tone["gain"]) < -50, alias_tone


def decibels(gain: float) -> float:
    return 20 * math.log10(gain) if gain > 0 else -math.inf
