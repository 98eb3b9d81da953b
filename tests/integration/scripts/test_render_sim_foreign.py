"""render-sim on a tiny foreign project: a stdlib server, a build that installs nothing heavy."""

from __future__ import annotations

import base64
import hashlib
import json
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from scripts import render_sim

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PYTHON = ".".join(map(str, sys.version_info[:3]))

SERVER = '''\
"""A tiny service: /health and /live, with ways to misbehave for the tests."""
import http.server, json, signal, sys, time

mode = sys.argv[2] if len(sys.argv) > 2 else "ok"
if mode == "exit":
    print("cannot start: missing setting", flush=True)
    sys.exit(3)
if mode == "silent":
    time.sleep(3600)
if mode == "stubborn":
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
if mode == "ok":
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path not in ("/health", "/live"):
            self.send_error(404)
            return
        body = json.dumps({"status": "ok"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


http.server.ThreadingHTTPServer(("0.0.0.0", int(sys.argv[1])), Handler).serve_forever()
'''


def blueprint(build: str, start: str, extra: str = "") -> str:
    return f"""\
services:
  - type: web
    name: tiny
    runtime: python
    plan: free
    buildCommand: {build}
    startCommand: {start}
    healthCheckPath: /health
    maxShutdownDelaySeconds: 3
{extra}    envVars:
      - key: PYTHON_VERSION
        value: "{PYTHON}"
      - key: GREETING
        value: "hello"
      - key: API_KEY
        sync: false
"""


def fake_wheel(directory: Path, name: str) -> Path:
    """A minimal valid wheel called `name`: enough for pip to install it offline."""
    dist = f"{name}-0.0.1"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.0.1\n"
    files = {
        f"{name}/__init__.py": b"",
        f"{dist}.dist-info/METADATA": metadata.encode(),
        f"{dist}.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    record = [
        f"{path},sha256="
        f"{base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()},"
        f"{len(data)}"
        for path, data in files.items()
    ]
    files[f"{dist}.dist-info/RECORD"] = ("\n".join([*record, f"{dist}.dist-info/RECORD,,"])
                                         + "\n").encode()  # fmt: skip
    wheel = directory / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as zf:
        for path, data in files.items():
            zf.writestr(path, data)
    return wheel


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    def make(build: str = "pip --version", start: str = "python server.py $PORT",
             extra: str = "", wheel: str | None = None) -> Path:  # fmt: skip
        project = tmp_path / "tiny"
        project.mkdir()
        (project / "server.py").write_text(SERVER)
        (project / "render.yaml").write_text(blueprint(build, start, extra))
        if wheel:
            (project / "wheels").mkdir()
            fake_wheel(project / "wheels", wheel)
        git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
        for cmd in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "tiny service"]):
            subprocess.run([*git, *cmd], cwd=project, check=True)
        return project

    return make


def simulate(project: Path, tmp_path: Path, *flags: str) -> tuple[int, dict]:
    out = tmp_path / "report.json"
    code = render_sim.main(["--project-dir", str(project), "--json", str(out), *flags])
    return code, json.loads(out.read_text())


def statuses(report: dict) -> dict[str, str]:
    return {step["name"]: step["status"] for step in report["steps"]}


def test_foreign_project_passes_with_ws_skipped(make_project, tmp_path, capsys) -> None:
    """It also builds the committed tree: an uncommitted edit that breaks the server is ignored."""
    project = make_project()
    (project / "server.py").write_text("raise SystemExit('uncommitted edit')\n")
    code, report = simulate(project, tmp_path)
    assert code == 0, capsys.readouterr()
    assert statuses(report) == {
        "source": "ok", "blueprint": "ok", "python": "ok", "build": "ok", "installed": "ok",
        "pip check": "ok", "stand-in": "skipped", "start": "ok", "GET /health": "ok",
        "GET /live": "ok", "WS /ws/asr": "skipped", "shutdown": "ok",
    }  # fmt: skip
    ws = next(s for s in report["steps"] if s["name"] == "WS /ws/asr")
    assert "phrases.json" in ws["detail"]
    notes = "\n".join(report["notes"])
    assert "built-in list" in notes
    assert "secret API_KEY: not in your environment" in notes
    assert report["facts"]["python"].startswith(PYTHON)
    assert len(report["facts"]["commit"]) == 40
    assert "render-sim: all checks passed" in capsys.readouterr().out


def test_foreign_server_that_exits_fails_start_with_log(make_project, tmp_path) -> None:
    project = make_project(start="python server.py $PORT exit")
    code, report = simulate(project, tmp_path)
    assert code == 1
    start = next(s for s in report["steps"] if s["name"] == "start")
    assert start["status"] == "FAIL"
    assert "exited with code 3" in start["detail"]
    assert "cannot start: missing setting" in start["detail"]
    assert statuses(report)["shutdown"] == "skipped"


def test_foreign_server_that_never_listens_fails_start(make_project, tmp_path) -> None:
    project = make_project(start="python server.py $PORT silent")
    code, report = simulate(project, tmp_path, "--health-timeout", "3")
    assert code == 1
    start = next(s for s in report["steps"] if s["name"] == "start")
    assert start["status"] == "FAIL"
    assert "waited 3s for /health" in start["detail"]


def test_foreign_server_ignoring_sigterm_fails_shutdown(make_project, tmp_path) -> None:
    project = make_project(start="python server.py $PORT stubborn")
    code, report = simulate(project, tmp_path)
    assert code == 1
    assert statuses(report)["GET /health"] == "ok"
    shutdown = next(s for s in report["steps"] if s["name"] == "shutdown")
    assert shutdown["status"] == "FAIL"
    assert "SIGKILL" in shutdown["detail"]


def test_foreign_build_installing_heavy_package_fails_installed(make_project, tmp_path) -> None:
    project = make_project(build="pip install --no-index --no-deps wheels/*.whl", wheel="torch")
    code, report = simulate(project, tmp_path)
    assert code == 1
    installed = next(s for s in report["steps"] if s["name"] == "installed")
    assert installed["status"] == "FAIL"
    assert "heavy packages installed: torch" in installed["detail"]
    assert statuses(report)["shutdown"] == "ok"  # the rest still ran


def test_foreign_failing_build_stops_the_run(make_project, tmp_path) -> None:
    project = make_project(build="echo building; exit 7")
    code, report = simulate(project, tmp_path)
    assert code == 1
    build = next(s for s in report["steps"] if s["name"] == "build")
    assert "exit code 7" in build["detail"]
    assert "building" in build["detail"]
    assert statuses(report)["start"] == "skipped"


def test_foreign_worktree_includes_uncommitted_change(make_project, tmp_path) -> None:
    project = make_project()
    (project / "server.py").write_text("raise SystemExit('uncommitted edit')\n")
    code, report = simulate(project, tmp_path, "--worktree")
    assert code == 1
    assert "uncommitted edit" in next(s for s in report["steps"] if s["name"] == "start")["detail"]
    assert any("--worktree" in note for note in report["notes"])


def test_foreign_root_dir_runs_commands_there(make_project, tmp_path) -> None:
    project = make_project(extra="    rootDir: svc\n")
    (project / "svc").mkdir()
    (project / "server.py").rename(project / "svc" / "server.py")
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    subprocess.run(["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit",
                    "-qm", "move"], cwd=project, check=True)  # fmt: skip
    code, report = simulate(project, tmp_path)
    assert code == 0, report
    assert "rootDir svc" in report["steps"][1]["detail"]
