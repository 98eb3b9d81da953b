"""The security headers' CSP in a real browser (headless Chromium, driven over DevTools).

A test page served by the app loads a same-origin script, stylesheet and AudioWorklet
module and opens a WebSocket to /ws/asr, as the page at `/` does; its inline script is the
control: the policy must block it. The page writes what happened into #out.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import threading
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from fastapi.responses import FileResponse
from websockets.sync.client import connect

from backend.app.config import Settings
from backend.app.main import create_app
from tests.e2e.server import free_port
from tests.integration.backend.fakes import FakeEngine

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="needs chromium"),
]

ASSETS = {
    "index.html": """<!doctype html><html><head><meta charset="utf-8">
<script src="/t/watch.js"></script><link rel="stylesheet" href="/t/page.css"></head>
<body><p id="out"></p>
<script>document.body.dataset.inline = "ran";</script>
<script src="/t/page.js"></script></body></html>""",
    "watch.js": """window.notes = [];
window.note = (s) => {
  notes.push(s);
  document.getElementById("out").textContent = notes.join("|");
};
document.addEventListener(
  "securitypolicyviolation", (e) => note("blocked " + e.violatedDirective)
);
""",
    "page.js": """const color = getComputedStyle(document.body).color;
note(color === "rgb(1, 2, 3)" ? "css ok" : "no css");
note(document.body.dataset.inline ? "inline ran" : "no inline");
(async () => {
  try {
    await new AudioContext().audioWorklet.addModule("/t/worklet.js");
    note("worklet ok");
  } catch (e) { note("worklet failed " + e); }
  const ws = new WebSocket(`ws://${location.host}/ws/asr`);
  ws.onmessage = (m) => { note("ws " + JSON.parse(m.data).type); ws.close(); };
  ws.onerror = () => note("ws error");
})();
""",
    "worklet.js": """class Quiet extends AudioWorkletProcessor { process() { return true; } }
registerProcessor("quiet", Quiet);
""",
    "page.css": "body { color: rgb(1, 2, 3); }\n",
}


@pytest.fixture
def served_page(tmp_path: Path) -> Iterator[str]:
    """The app with the test page at /t/index.html, on a uvicorn in a thread; yield its URL."""
    for name, text in ASSETS.items():
        (tmp_path / name).write_text(text)
    app = create_app(settings=Settings(_env_file=None), engine=FakeEngine())

    @app.get("/t/{name}")
    def asset(name: str) -> FileResponse:
        return FileResponse(tmp_path / Path(name).name)

    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}/t/index.html"
    server.should_exit = True
    thread.join(timeout=10)


def page_notes(url: str, profile: Path, wait_for: str, timeout: float = 30) -> str:
    """Open `url` in headless Chromium and return #out once it holds `wait_for` (or at timeout)."""
    browser = subprocess.Popen(
        ["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
         f"--user-data-dir={profile}", "--remote-debugging-port=0", url],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + timeout
        port_file = profile / "DevToolsActivePort"
        while not port_file.exists() and time.monotonic() < deadline:
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
            (page,) = [t for t in json.load(answer) if t["type"] == "page"]
        text = ""
        with connect(page["webSocketDebuggerUrl"], max_size=None) as devtools:
            while wait_for not in text and time.monotonic() < deadline:
                expression = "document.getElementById('out')?.textContent || ''"
                call = {"expression": expression, "returnByValue": True}
                devtools.send(json.dumps({"id": 1, "method": "Runtime.evaluate", "params": call}))
                while (reply := json.loads(devtools.recv(timeout=10))).get("id") != 1:
                    pass
                # An error reply (the page still loading its context) means: ask again.
                text = reply.get("result", {}).get("result", {}).get("value", "") or text
                time.sleep(0.2)
        return text
    finally:
        browser.terminate()
        browser.wait(timeout=10)


@pytest.mark.slow
def test_csp_page_runs_same_origin_code_worklet_and_socket_but_no_inline_script(
    served_page: str, tmp_path: Path
):
    notes = page_notes(served_page, tmp_path / "profile", wait_for="ws ")
    assert "blocked script-src-elem" in notes  # the inline script, reported by watch.js
    assert {"css ok", "no inline", "worklet ok", "ws ready"} <= set(notes.split("|")), notes
