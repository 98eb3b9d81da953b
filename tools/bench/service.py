"""Serve the service under test as Render would: render.yaml's start command, on a free port.

The bench's clients all come from 127.0.0.1, so the per-client caps (connections, audio seconds
and engine calls per minute) are lifted for the service under test (tools.loadgen.server_env);
otherwise the bench would measure those caps, not the service.
"""

from __future__ import annotations

import shlex
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from scripts.proc import ScriptError
from scripts.project import load_project
from scripts.servers import free_port, serving

ROOT = Path(__file__).resolve().parents[2]
SERVICE_APP = "backend.app.main:app"
HOST = "127.0.0.1"
STARTUP_TIMEOUT = 90.0
STOP_GRACE = 45.0  # render.yaml's maxShutdownDelaySeconds
LIFTED_CAPS = "MAX_CLIENT_CONNECTIONS, MAX_CLIENT_AUDIO_S_PER_MIN and MAX_CALLS_PER_MINUTE"


@dataclass(frozen=True)
class Served:
    url: str
    pid: int
    log: Path


def render_start_command(root: Path = ROOT) -> str:
    """render.yaml's start command, as written."""
    service = load_project(root).web_service
    if service is None or not service.start_command:
        raise ScriptError(f"{root / 'render.yaml'} has no Python web service with a startCommand")
    return service.start_command


def start_command(app: str = SERVICE_APP, python: str = sys.executable) -> str:
    """render.yaml's start command serving `app`, run by `python -m uvicorn` (no PATH needed)."""
    command = render_start_command()
    words = command.split(" ", 1)
    if words[0] != "uvicorn" or SERVICE_APP not in command:
        raise ScriptError(
            f"render.yaml's startCommand {command!r} does not run uvicorn with {SERVICE_APP}: "
            "update tools/bench/service.py"
        )
    return f"{shlex.quote(python)} -m uvicorn {words[1].replace(SERVICE_APP, app)}"


@contextmanager
def serve(
    env: Mapping[str, str], workdir: Path, name: str, app: str = SERVICE_APP
) -> Iterator[Served]:
    """Run `app` with render.yaml's start command until the block ends; yield its URL and pid."""
    port = free_port()
    url = f"http://{HOST}:{port}"
    with serving(
        start_command(app),
        cwd=ROOT,
        env=dict(env) | {"PORT": str(port)},
        log=workdir / f"{name}.log",
        ready_url=f"{url}/live",
        timeout=STARTUP_TIMEOUT,
        grace=STOP_GRACE,
        what=name,
    ) as server:
        yield Served(url, server.process.pid, server.log)
