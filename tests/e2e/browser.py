"""Drive the microphone page in headless Chromium (Debian's chromium and chromium-driver), offline.

Chromium's fake capture device plays a WAV file as the microphone. It delivers 48 kHz to the
page whatever the file's rate (the page's AudioContext runs at 44.1 kHz here), and loops the
file unless its path ends in `%noloop`; after the end it keeps delivering the quiet tail.
"""

from __future__ import annotations

import json
import os
import re
import ssl
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import trustme
from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.chrome.webdriver import WebDriver
from selenium.webdriver.support.wait import WebDriverWait

from scripts.servers import free_port, kill, start, wait_for_http
from tests.e2e.server import HOST, ROOT, service_env, uvicorn_command

CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
CHROMEDRIVER = Path(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
ARTIFACTS = ROOT / "test-artifacts"

# Headless, and nothing that reaches the network on its own (updates, sync, sign-in, search
# prefetch): every host name fails to resolve, and the tests use 127.0.0.1 only.
FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    "--use-fake-device-for-media-stream",
)
ALLOW_MICROPHONE = "--use-fake-ui-for-media-stream"  # without it, headless denies the microphone
TRUST_ANY_CERTIFICATE = "--ignore-certificate-errors"  # for a test server's own certificate

# Installed after each load: what the page showed between two looks from the test.
RECORDER = """
window.seen = { partials: [], level: 0 };
new MutationObserver(() => {
  const text = document.getElementById("partial").textContent;
  if (text) window.seen.partials.push(text);
}).observe(document.getElementById("partial"), { childList: true, subtree: true });
setInterval(() => {
  window.seen.level = Math.max(window.seen.level, document.getElementById("level").value);
}, 20);
"""

T = TypeVar("T")


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]
    if not missing:
        return None
    return (
        f"{' and '.join(missing)} not found: apt-get install chromium chromium-driver "
        "(or set CHROMIUM and CHROMEDRIVER to their paths)"
    )


def chromium_options(
    wav: Path, profile: str, extra_flags: Sequence[str]
) -> webdriver.ChromeOptions:
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    file_flags = [f"--use-file-for-fake-audio-capture={wav}", f"--user-data-dir={profile}"]
    for flag in [*FLAGS, *file_flags, *extra_flags]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return options


@dataclass
class Page:
    """The page as a person sees it: its state, status sentence, transcript and buttons."""

    driver: WebDriver

    def read(self, script: str) -> Any:
        return self.driver.execute_script(script)

    @property
    def state(self) -> str:
        return str(self.read("return document.getElementById('app').dataset.state"))

    @property
    def status(self) -> str:
        return str(self.read("return document.getElementById('status').textContent"))

    @property
    def finals(self) -> list[str]:
        return list(
            self.read(
                "return [...document.querySelectorAll('#finals li')].map(li => li.textContent)"
            )
        )

    @property
    def partial(self) -> str:
        return str(self.read("return document.getElementById('partial').textContent"))

    @property
    def seen(self) -> dict[str, Any]:
        """Every partial shown so far, and the loudest level the meter showed."""
        return dict(self.read("return window.seen"))

    def enabled(self, button: str) -> bool:
        return bool(self.driver.find_element("id", button).is_enabled())

    def click(self, button: str) -> None:
        self.driver.find_element("id", button).click()

    def wait(self, what: str, check: Callable[[Page], T], timeout: float = 60.0) -> T:
        """Poll `check` until it returns something true; fail naming `what` and what is shown,
        at once if the page reaches its failed state (unless that is what the check waits for)."""

        def settled(_: WebDriver) -> T:
            failed = self.state == "failed"  # read first: a page that failed stays so
            if (result := check(self)) or not failed:
                return result
            raise AssertionError(f"the page failed while waiting for {what}: {self.status!r}")

        try:
            return WebDriverWait(self.driver, timeout, poll_frequency=0.1).until(settled)
        except TimeoutException:
            raise AssertionError(
                f"the page did not show {what} within {timeout:g} s; it shows state "
                f"{self.state!r}, status {self.status!r}, finals {self.finals}"
            ) from None

    def wait_state(self, *states: str, timeout: float = 60.0) -> str:
        def reached(page: Page) -> str:
            state = page.state
            return state if state in states else ""

        return self.wait(f"state {' or '.join(states)}", reached, timeout)

    def console(self) -> list[dict[str, Any]]:
        return list(self.driver.get_log("browser"))  # type: ignore[no-untyped-call]

    def save(self, folder: Path) -> Path:
        """Save a screenshot, the page's HTML and the console log into `folder`."""
        folder.mkdir(parents=True, exist_ok=True)
        self.driver.save_screenshot(str(folder / "screenshot.png"))
        (folder / "page.html").write_text(self.driver.page_source)
        (folder / "console.json").write_text(json.dumps(self.console(), indent=2))
        return folder


def artifact_folder(test_name: str) -> Path:
    return ARTIFACTS / re.sub(r"[^\w.-]+", "_", test_name)


@contextmanager
def open_page(
    url: str, wav: Path, artifacts: Path, extra_flags: Sequence[str] = (ALLOW_MICROPHONE,)
) -> Iterator[Page]:
    """Open `url` in a fresh headless Chromium whose microphone plays `wav`, allowed by default.

    When the body fails, the screenshot, HTML and console log go to `artifacts`, named in the
    failure. The driver path is given, so Selenium Manager never runs (it would download).
    """
    with tempfile.TemporaryDirectory(prefix="chromium-profile-") as profile:
        options = chromium_options(wav, profile, extra_flags)
        driver = webdriver.Chrome(
            service=Service(executable_path=str(CHROMEDRIVER)), options=options
        )
        try:
            driver.get(url)
            driver.execute_script(RECORDER)
            page = Page(driver)
            try:
                yield page
            except Exception as exc:
                try:
                    exc.add_note(f"screenshot and console log of the page: {page.save(artifacts)}")
                except WebDriverException as lost:  # the browser itself is gone
                    exc.add_note(f"no screenshot of the page: {lost.msg}")
                raise
        finally:
            driver.quit()


@dataclass
class Server:
    url: str
    process: subprocess.Popen[bytes]


@contextmanager
def service_process(
    settings: Mapping[str, str], tmp: Path, *, tls: trustme.CA | None = None, timeout: float = 60.0
) -> Iterator[Server]:
    """Like server.running_service, but the test may stop or kill the process itself, and with
    `tls` it serves https with a certificate for 127.0.0.1 from that test authority."""
    port = free_port(HOST)
    command, context, scheme = uvicorn_command(port), None, "http"
    if tls is not None:
        pem = tmp / f"uvicorn-{port}.pem"
        tls.issue_cert(HOST).private_key_and_cert_chain_pem.write_to_path(pem)
        command += ["--ssl-keyfile", str(pem), "--ssl-certfile", str(pem)]
        context, scheme = ssl.create_default_context(), "https"
        tls.configure_trust(context)
    server = start(command, cwd=ROOT, env=service_env(settings), log=tmp / f"uvicorn-{port}.log")
    url = f"{scheme}://{HOST}:{port}"
    try:
        wait_for_http(server, f"{url}/live", timeout, "uvicorn", context=context)
        yield Server(url, server.process)
    finally:
        kill(server)
