"""Build, compile and run the stand-in Space: a real Gradio app on loopback for the remote engine.

The stand-in (tests/standin_space/app.py) answers like `hz6666/SenseVoiceSmall` and recognises
speech for real with pocketsphinx. gradio pins FastAPI/Starlette/pydantic ranges that can clash
with the backend's, so it gets its own venv, built once from the hashed requirements.txt and
keyed by that file's hash, and runs as its own process.
"""

from __future__ import annotations

import argparse
import fcntl
import hashlib
import json
import os
import shutil
import signal
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from scripts.pipenv import PYPI_INDEX, isolated_pip_env
from scripts.proc import ScriptError, progress, run
from scripts.servers import Server, free_port, serving

ROOT = Path(__file__).resolve().parent.parent

STANDIN_DIR = ROOT / "tests" / "standin_space"
APP = STANDIN_DIR / "app.py"
REQUIREMENTS_IN = STANDIN_DIR / "requirements.in"
REQUIREMENTS_TXT = STANDIN_DIR / "requirements.txt"
DEFAULT_CACHE = ROOT / ".cache" / "standin-space"
PYTHON_VERSION = "3.11"
PLATFORM = "x86_64-unknown-linux-gnu"
COMPILE_COMMAND = "python -m tools.standin compile"
HOST = "127.0.0.1"
STARTUP_TIMEOUT = 90.0
STOP_TIMEOUT = 10.0
INSTALL_TIMEOUT = 1800.0
COMPLETE_MARKER = ".complete"

EPILOG = """\
examples:
  python -m tools.standin ensure            # build the venv once; print its python
  python -m tools.standin serve --port 7860 # run on http://127.0.0.1:7860/ until Ctrl-C
  python -m tools.standin compile           # re-pin requirements.txt after editing the .in

In tests: `with running_space() as url: await HfSpaceEngine(url).transcribe(pcm)`.
"""


@dataclass(frozen=True)
class SpaceProcess:
    """A running stand-in: its server process (with its log) and base URL."""

    server: Server
    url: str


def find_uv(explicit: str | None = None, root: Path = ROOT) -> str | None:
    """The uv to use: `explicit`, else uv on PATH, else the project-local .tools/bin/uv."""
    if explicit:
        return explicit
    local = root / ".tools" / "bin" / "uv"
    return shutil.which("uv") or (str(local) if local.is_file() else None)


def requirements_key(requirements: Path) -> str:
    """A short digest of the requirements file: a changed file gets a fresh venv."""
    return hashlib.sha256(requirements.read_bytes()).hexdigest()[:16]


def venv_python(env_dir: Path) -> Path:
    return env_dir / "bin" / "python"


def install_commands(env_dir: Path, requirements: Path, uv: str | None) -> list[list[str]]:
    """The commands that create the venv and install the hashed requirements into it."""
    python = str(venv_python(env_dir))
    if uv:
        return [
            [uv, "venv", "--no-config", "--python", PYTHON_VERSION, str(env_dir)],
            [uv, "pip", "install", "--no-config", "--python", python, "--index-url", PYPI_INDEX,
             "--require-hashes", "-r", str(requirements)],
        ]  # fmt: skip
    return [
        [f"python{PYTHON_VERSION}", "-m", "venv", str(env_dir)],
        [python, "-m", "pip", "install", "--index-url", PYPI_INDEX,
         "--require-hashes", "-r", str(requirements)],
    ]  # fmt: skip


def compile_command(uv: str, requirements_in: str, output: str) -> list[str]:
    """`uv pip compile` for CPython 3.11 on x86_64 Linux, hashed, with no index URL in the file."""
    return [
        uv, "pip", "compile", "--no-config", "--quiet",
        "--python-version", PYTHON_VERSION, "--python-platform", PLATFORM,
        "--index-url", PYPI_INDEX, "--no-emit-index-url", "--generate-hashes",
        "--custom-compile-command", COMPILE_COMMAND,
        str(requirements_in), "--output-file", str(output),
    ]  # fmt: skip


def env_ready(cache_dir: Path = DEFAULT_CACHE, requirements: Path = REQUIREMENTS_TXT) -> bool:
    """Whether the stand-in's venv for this requirements.txt is built already."""
    env_dir = cache_dir / requirements_key(requirements)
    return (env_dir / COMPLETE_MARKER).is_file() and venv_python(env_dir).exists()


def ensure_env(
    cache_dir: Path = DEFAULT_CACHE,
    *,
    requirements: Path = REQUIREMENTS_TXT,
    uv: str | None = None,
) -> Path:
    """Create the stand-in's venv unless it exists for this requirements.txt; return its python.

    Installs with pip's and uv's configuration ignored, as Render does, so this machine's
    constraint files and extra indexes cannot change what gets installed.
    """
    env_dir = cache_dir / requirements_key(requirements)
    python = venv_python(env_dir)
    cache_dir.mkdir(parents=True, exist_ok=True)
    # Test sessions running side by side must not build into the same directory.
    with (cache_dir / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if env_ready(cache_dir, requirements):
            return python
        shutil.rmtree(env_dir, ignore_errors=True)  # a half-built env from an interrupted run
        env = isolated_pip_env()
        for cmd in install_commands(env_dir, requirements, find_uv(uv)):
            progress(" ".join(cmd))
            run(cmd, env=env, capture=False, timeout=INSTALL_TIMEOUT)
        (env_dir / COMPLETE_MARKER).write_text(requirements.read_text())
        for stale in cache_dir.iterdir():  # envs for older requirements are ~300 MiB each
            if stale.is_dir() and stale != env_dir:
                shutil.rmtree(stale, ignore_errors=True)
    return python


def compile_requirements(uv: str | None = None) -> Path:
    """Re-pin requirements.txt from requirements.in, isolated from pip and uv configuration."""
    found = find_uv(uv)
    if found is None:
        raise ScriptError("uv not found: run `make install` or put uv on PATH")
    run(compile_command(found, REQUIREMENTS_IN.name, REQUIREMENTS_TXT.name), cwd=STANDIN_DIR,
        env=isolated_pip_env(), timeout=600)  # fmt: skip
    return REQUIREMENTS_TXT


def space_env(base: Mapping[str, str] | None = None) -> dict[str, str]:
    """The stand-in's environment: no analytics, no hub calls, nothing from our venv."""
    env = {
        k: v
        for k, v in (os.environ if base is None else base).items()
        if k not in {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}
    }
    env.update(
        GRADIO_ANALYTICS_ENABLED="False",
        HF_HUB_OFFLINE="1",
        HF_HUB_DISABLE_TELEMETRY="1",
        PYTHONUNBUFFERED="1",
    )
    return env


@contextmanager
def space_process(
    port: int = 0,
    *,
    python: Path | None = None,
    startup_timeout: float = STARTUP_TIMEOUT,
    delay: float = 0.0,
    mode: str = "normal",
) -> Iterator[SpaceProcess]:
    """Start the stand-in, wait until it answers, yield it, and stop it on exit.

    Raises:
        ScriptError: it exited or did not answer within `startup_timeout`; the message ends
            with the tail of its log.
    """
    python = python or ensure_env()
    port = port or free_port(HOST)
    url = f"http://{HOST}:{port}/"
    cmd = [str(python), str(APP), "--host", HOST, "--port", str(port), "--delay", str(delay),
           "--mode", mode]  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="standin-space-") as tmp:
        log = Path(tmp) / "space.log"
        with serving(
            cmd, cwd=Path(tmp), env=space_env(), log=log, ready_url=url + "config",
            timeout=startup_timeout, grace=STOP_TIMEOUT, what="the stand-in Space",
        ) as server:  # fmt: skip
            yield SpaceProcess(server, url)


@contextmanager
def running_space(
    port: int = 0,
    *,
    python: Path | None = None,
    startup_timeout: float = STARTUP_TIMEOUT,
    delay: float = 0.0,
    mode: str = "normal",
) -> Iterator[str]:
    """Run the stand-in Space on 127.0.0.1 (a free port when `port` is 0); yield its base URL.

    `python` defaults to the venv from ensure_env(); `delay` makes every call sleep first,
    to play a slow Space; `mode` is the app's --mode (normal, instant, garbage).
    """
    with space_process(
        port, python=python, startup_timeout=startup_timeout, delay=delay, mode=mode
    ) as space:
        yield space.url


def set_behaviour(url: str, *, mode: str = "normal", delay: float = 0.0) -> None:
    """Make the running stand-in at `url` act in `mode`, sleeping `delay` s per call."""
    body = json.dumps({"mode": mode, "delay": delay}).encode()
    request = urllib.request.Request(f"{url}stand-in/behaviour", body, method="POST")
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # loopback: no proxy
    try:
        with opener.open(request, timeout=10) as reply:
            reply.read()
    except (urllib.error.URLError, OSError) as exc:
        raise ScriptError(f"the stand-in at {url} did not take mode={mode!r} ({exc})") from exc


@contextmanager
def behaving(url: str, *, mode: str = "normal", delay: float = 0.0) -> Iterator[str]:
    """Let the running stand-in at `url` act in `mode` (and sleep `delay`) inside the block."""
    set_behaviour(url, mode=mode, delay=delay)
    try:
        yield url
    finally:
        set_behaviour(url)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.standin",
        description=__doc__.splitlines()[0],
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--uv", help="path to uv (default: uv on PATH, then .tools/bin/uv)")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        default=DEFAULT_CACHE,
        help=f"where venvs are kept (default: {DEFAULT_CACHE.relative_to(ROOT)})",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands.add_parser("ensure", help="build the stand-in's venv if needed; print its python")
    commands.add_parser(
        "compile", help="re-pin requirements.txt (with hashes) from requirements.in"
    )
    serve = commands.add_parser("serve", help="run the stand-in Space until Ctrl-C")
    serve.add_argument("--port", type=int, default=7860, help="port on 127.0.0.1 (0: any free one)")
    serve.add_argument("--delay", type=float, default=0.0, help="seconds each call sleeps first")
    serve.add_argument(
        "--mode",
        choices=("normal", "instant", "garbage"),
        default="normal",
        help="normal: recognise; instant: fixed answer at once; garbage: HTML for API calls",
    )
    return parser


def serve(python: Path, port: int, delay: float, mode: str = "normal") -> int:
    # SIGTERM (a process manager, `kill`) would skip the clean-up that stops the Space.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(0))
    with space_process(port, python=python, delay=delay, mode=mode) as space:
        print(space.url, flush=True)
        progress("serving the stand-in Space; Ctrl-C stops it")
        try:
            code = space.server.process.wait()
        except KeyboardInterrupt:
            return 0
        raise ScriptError(f"the stand-in Space exited with code {code}:\n{space.server.tail()}")


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if args.command == "compile":
            print(compile_requirements(args.uv))
            return 0
        started = time.monotonic()
        python = ensure_env(args.cache_dir, uv=args.uv)
        progress(f"stand-in venv ready in {time.monotonic() - started:.1f} s")
        if args.command == "ensure":
            print(python)
            return 0
        return serve(python, args.port, args.delay, args.mode)
    except ScriptError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    raise SystemExit(main())
