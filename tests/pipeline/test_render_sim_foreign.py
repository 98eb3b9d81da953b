"""render-sim on small foreign projects: a stdlib server, a build that installs offline wheels,
a declared stand-in service and declared probes, and each way a deploy goes wrong.

Every run makes a real venv with `uv venv --seed`, which resolves pip from the index.
"""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from scripts.render_sim import cli
from scripts.servers import group_alive
from tests.pipeline.gitrepo import commit_all, make_repo
from tests.pipeline.projects import PYTHON, blueprint

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.slow,
    pytest.mark.network,
    pytest.mark.usefixtures("isolated_git"),
]

SERVER = '''\
"""A tiny service: /health with the deployed commit, /quote from $QUOTES_URL; argv[2] misbehaves."""
import http.server, json, os, signal, sys, time, urllib.request

mode = sys.argv[2] if len(sys.argv) > 2 else "ok"
if mode == "exit":
    print("cannot start: missing setting", flush=True)
    sys.exit(3)
signal.signal(signal.SIGTERM, signal.SIG_IGN if mode == "stubborn" else lambda *_: sys.exit(0))


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path == "/health":
            body = json.dumps({"status": "ok", "version": os.environ["RENDER_GIT_COMMIT"]})
        elif self.path == "/quote":
            body = urllib.request.urlopen(os.environ["QUOTES_URL"] + "quote").read().decode()
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())


host = "127.0.0.1" if mode == "loopback" else "0.0.0.0"
http.server.ThreadingHTTPServer((host, int(sys.argv[1])), Handler).serve_forever()
'''
STANDIN = '''\
"""The quotes API the service calls in production, replaced by a local stand-in.

With a pid file as its second argument it starts a helper of its own, in its own session (as a
stand-in that runs its app in a separate process does), and stops it on SIGTERM.
"""
import http.server, pathlib, signal, subprocess, sys

if len(sys.argv) > 2:
    helper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"],
                              start_new_session=True)
    pathlib.Path(sys.argv[2]).write_text(str(helper.pid))

    def stop(*_):
        helper.terminate()
        helper.wait()
        sys.exit(0)

    signal.signal(signal.SIGTERM, stop)


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"ready" if self.path == "/ready" else b"a stand-in quote"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
'''
PROBE = '''\
"""GET /quote from the service under test and compare it with the expected text."""
import sys, urllib.request

got = urllib.request.urlopen(sys.argv[1] + "/quote").read().decode()
if got != sys.argv[2]:
    sys.exit(f"expected {sys.argv[2]!r}, got {got!r}")
print(f"quote: {got}")
'''
ENV = """\
      - key: QUOTES_URL
        value: "https://quotes.example/"
      - key: API_TOKEN
        sync: false
"""


def fake_wheel(directory: Path, name: str) -> Path:
    """A minimal valid wheel called `name`: pip installs it with no index."""
    dist = f"{name}-0.0.1"
    metadata = f"Metadata-Version: 2.1\nName: {name}\nVersion: 0.0.1\n"
    files = {
        f"{name}/__init__.py": b"",
        f"{dist}.dist-info/METADATA": metadata.encode(),
        f"{dist}.dist-info/WHEEL": b"Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\n"
        b"Tag: py3-none-any\n",
    }
    digests = {
        path: base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
        for path, data in files.items()
    }
    record = [f"{path},sha256={digests[path]},{len(data)}" for path, data in files.items()]
    files[f"{dist}.dist-info/RECORD"] = "\n".join(
        [*record, f"{dist}.dist-info/RECORD,,", ""]
    ).encode()
    wheel = directory / f"{dist}-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        for path, data in files.items():
            archive.writestr(path, data)
    return wheel


@pytest.fixture(scope="session")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Offline wheels, made once: a harmless helper and a package named like a heavy one."""
    directory = tmp_path_factory.mktemp("wheels")
    fake_wheel(directory, "quote_helper")
    fake_wheel(directory, "torch")
    return directory


@pytest.fixture
def foreign(make_project: Callable[..., Path], wheels: Path) -> Callable[..., Path]:
    """A committed foreign project whose render.yaml runs server.py in `mode`, with a declared
    quotes stand-in and a probe that expects `expected_quote` through it."""

    def make(
        *,
        mode: str = "ok",
        build: str = "pip install --no-index --no-deps wheels/quote_helper-0.0.1-py3-none-any.whl",
        expected_quote: str = "a stand-in quote",
        root_dir: str = "",
        standin_args: str = "",
        **fields: Any,
    ) -> Path:
        python = sys.executable
        stand_in = {
            "name": "quotes stand-in",
            "command": f"{python} standin.py {{port}} {standin_args}".rstrip(),
            "ready": "/ready",
            "env": {"QUOTES_URL": "{url}"},
            "timeout": 60,
        }
        probe = {
            "name": "GET /quote",
            "command": f"{python} probe.py {{url}} '{expected_quote}'",
            "timeout": 60,
        }
        start = f"python server.py $PORT {mode}"
        extra = "    maxShutdownDelaySeconds: 3" + (
            f"\n    rootDir: {root_dir}" if root_dir else ""
        )
        root = make_project(
            render_yaml=blueprint(build=build, start=start, env=ENV, extra=extra),
            config={"sim": {"services": [stand_in], "probes": [probe]}},
            files={
                "src/quotebot/__init__.py": "",
                f"{root_dir or '.'}/server.py": SERVER,
                "standin.py": STANDIN,
                "probe.py": PROBE,
            },
            **fields,
        )
        shutil.copytree(wheels, root / root_dir / "wheels")
        make_repo(root)
        commit_all(root, "A small foreign service")
        return root

    return make


def simulate(root: Path, tmp_path: Path, *flags: str) -> tuple[int, dict[str, Any]]:
    out = tmp_path / "report.json"
    code = cli.main(["--project-dir", str(root), "--json", str(out), *flags])
    return code, json.loads(out.read_text())


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {step["name"]: step["status"] for step in report["steps"]}


def step(report: dict[str, Any], name: str) -> dict[str, Any]:
    return next(s for s in report["steps"] if s["name"] == name)


def test_render_sim_foreign_service_passes_every_step_with_its_stand_in(
    foreign: Callable[..., Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The committed tree is built: an uncommitted edit that breaks the server is ignored."""
    root = foreign()
    (root / "server.py").write_text("raise SystemExit('uncommitted edit')\n")

    code, report = simulate(root, tmp_path)

    assert code == 0, json.dumps(report, indent=2)
    assert statuses(report) == {
        "source": "ok", "blueprint": "ok", "python": "ok", "build": "ok", "installed": "ok",
        "pip check": "ok", "quotes stand-in": "ok", "start": "ok", "health check": "ok",
        "GET /quote": "ok", "shutdown": "ok",
    }  # fmt: skip
    assert step(report, "GET /quote")["detail"] == "quote: a stand-in quote"
    assert step(report, "health check")["detail"].startswith('200 {"status": "ok", "version"')
    notes = "\n".join(report["notes"])
    assert "QUOTES_URL=http://127.0.0.1:" in notes
    assert "instead of render.yaml's 'https://quotes.example/'" in notes
    assert "secret API_TOKEN: not in your environment, left unset" in notes
    assert report["facts"]["python"].startswith(PYTHON)
    assert len(report["facts"]["commit"]) == 40
    assert report["numbers"]["packages"] >= 2
    assert "render-sim: all checks passed" in capsys.readouterr().out


def test_render_sim_foreign_stand_in_stops_what_it_started(
    foreign: Callable[..., Path], tmp_path: Path
) -> None:
    """A declared service gets SIGTERM, so a process it started in a session of its own ends."""
    pid_file = tmp_path / "helper.pid"
    root = foreign(standin_args=str(pid_file))

    code, report = simulate(root, tmp_path)

    assert code == 0, json.dumps(report, indent=2)
    helper = int(pid_file.read_text())
    assert not group_alive(helper), f"the stand-in's own helper {helper} outlived render-sim"


def test_render_sim_foreign_failing_probe_fails_and_still_shuts_down(
    foreign: Callable[..., Path], tmp_path: Path
) -> None:
    root = foreign(expected_quote="another quote")

    code, report = simulate(root, tmp_path)

    assert code == 1
    probe = step(report, "GET /quote")
    assert probe["status"] == "FAIL"
    assert probe["detail"].endswith(
        "exited with code 1: expected 'another quote', got 'a stand-in quote'"
    )
    assert statuses(report)["shutdown"] == "ok"


def test_render_sim_foreign_no_declared_runs_the_generic_steps_only(
    foreign: Callable[..., Path], tmp_path: Path
) -> None:
    """Without the stand-in, QUOTES_URL stays the real one, and the failing probe never runs.

    The service lives in svc/ (rootDir): the build and start commands run there.
    """
    root = foreign(expected_quote="another quote", root_dir="svc")

    code, report = simulate(root, tmp_path, "--no-declared")

    assert code == 0, json.dumps(report, indent=2)
    assert step(report, "blueprint")["detail"] == "web service 'quotebot' (plan free, rootDir svc)"
    assert step(report, "quotes stand-in") == {
        "name": "quotes stand-in", "status": "skipped", "seconds": 0.0, "detail": "--no-declared"
    }  # fmt: skip
    assert step(report, "GET /quote")["status"] == "skipped"
    assert statuses(report)["health check"] == "ok"


def test_render_sim_foreign_failing_build_stops_the_run(
    foreign: Callable[..., Path], tmp_path: Path
) -> None:
    root = foreign(build="echo building; exit 7")

    code, report = simulate(root, tmp_path, "--no-declared")

    assert code == 1
    build = step(report, "build")
    assert build["status"] == "FAIL"
    assert build["detail"] == "build command failed with exit code 7; last lines:\n    building"
    assert step(report, "start") | {"seconds": 0} == {
        "name": "start", "status": "skipped", "seconds": 0, "detail": "not reached"
    }  # fmt: skip


def test_render_sim_foreign_build_installing_a_heavy_package_fails_installed(
    foreign: Callable[..., Path], tmp_path: Path
) -> None:
    """torch is heavy here because only the project's `ml` extra reaches it in uv.lock."""
    root = foreign(
        build="pip install --no-index --no-deps wheels/torch-0.0.1-py3-none-any.whl",
        extras={"ml": ["torch>=2"]},
    )

    code, report = simulate(root, tmp_path, "--no-declared")

    assert code == 1
    installed = step(report, "installed")
    assert installed["status"] == "FAIL"
    assert installed["detail"] == (
        "heavy packages installed: torch: take them out of the build (requirements-render.in)"
    )
    assert statuses(report)["shutdown"] == "ok"  # the rest still ran


def test_render_sim_foreign_server_that_exits_fails_start_with_its_log(
    foreign: Callable[..., Path], tmp_path: Path
) -> None:
    """--worktree builds the uncommitted edit that makes the server exit."""
    root = foreign()
    (root / "render.yaml").write_text(
        (root / "render.yaml").read_text().replace("$PORT ok", "$PORT exit")
    )

    code, report = simulate(root, tmp_path, "--worktree", "--no-declared")

    assert code == 1
    start = step(report, "start")
    assert start["status"] == "FAIL"
    assert start["detail"].startswith("the server exited with code 3; last lines of its log:")
    assert "cannot start: missing setting" in start["detail"]
    assert statuses(report)["shutdown"] == "skipped"
    assert any(note.startswith("--worktree: building the working tree") for note in report["notes"])


def test_render_sim_foreign_server_ignoring_sigterm_fails_shutdown(
    foreign: Callable[..., Path], tmp_path: Path
) -> None:
    root = foreign(mode="stubborn")

    code, report = simulate(root, tmp_path, "--no-declared")

    assert code == 1
    assert statuses(report)["health check"] == "ok"
    shutdown = step(report, "shutdown")
    assert shutdown["status"] == "FAIL"
    assert shutdown["detail"] == (
        "still running 3s after SIGTERM (maxShutdownDelaySeconds): killed with SIGKILL, "
        "as Render would"
    )


def test_render_sim_foreign_server_on_loopback_only_fails_start(
    foreign: Callable[..., Path], tmp_path: Path
) -> None:
    root = foreign(mode="loopback")

    code, report = simulate(root, tmp_path, "--no-declared")

    assert code == 1
    start = step(report, "start")
    assert start["status"] == "FAIL"
    assert start["detail"].startswith(
        "the server listens on loopback only: Render reaches it on 0.0.0.0:$PORT"
    )
