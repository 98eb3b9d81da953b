"""One render-sim run: each step in order, timed, with the state that later steps need."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

from scripts import sim_server
from scripts.blueprint import WebService, load_web_service
from scripts.proc import ScriptError, progress, run
from scripts.project import RENDER_YAML, ROOT, python_version_file
from scripts.sim_build import (
    copy_source,
    disk_usage,
    downloaded_bytes,
    heavy_installed,
    heavy_names,
    pip_list,
)
from scripts.sim_env import build_env, free_port
from scripts.sim_probe import Speech
from scripts.sim_python import choose_python, wanted_version
from scripts.sim_report import SKIPPED, Report, Step, human_size, run_step
from scripts.sim_serve import ServeSteps

STEPS = (
    "source",
    "blueprint",
    "python",
    "build",
    "installed",
    "pip check",
    "stand-in",
    "start",
    "GET /health",
    "GET /live",
    "WS /ws/asr",
    "shutdown",
)


def plan_steps(*, ws: bool) -> list[Step]:
    """The steps of a run, in order; those that --no-ws turns off are already skipped."""
    steps = [Step(name) for name in STEPS]
    if not ws:
        for step in steps:
            if step.name in ("stand-in", "WS /ws/asr"):
                step.detail = "--no-ws"
    return steps


class Simulation(ServeSteps):
    """One run: the state that later steps need from earlier ones."""

    def __init__(self, args: argparse.Namespace, workdir: Path) -> None:
        self.args, self.workdir = args, workdir
        self.project = args.project_dir.resolve()
        self.strict = self.project == ROOT  # the template must pass every probe it defines
        self.report = Report(steps=plan_steps(ws=not args.no_ws))
        self.src = workdir / "src"
        self.venv = self.src / ".venv"  # where Render keeps it: /opt/render/project/src/.venv
        self.port = free_port()
        self.commit = ""
        self.overrides: dict[str, str] = {}
        self.service: WebService | None = None
        self.server = None
        self.speech: Speech | None = None
        self.speech_missing = ""  # why the WebSocket probe cannot run, once known

    def note(self, text: str) -> None:
        self.report.notes.append(text)
        progress(f"note: {text}")

    def step(self, name: str, action: Callable[[], str]) -> bool:
        return run_step(self.report.step(name), action)

    def run(self) -> Report:
        with ExitStack() as stack:
            stack.callback(self._cleanup_server)
            prepare = (
                ("source", self.source),
                ("blueprint", self.blueprint),
                ("python", self.python),
                ("build", self.build),
            )
            if all(self.step(name, action) for name, action in prepare):
                # A heavy package or a broken set still lets the server start: report it all.
                self.step("installed", self.installed)
                self.step("pip check", self.check)
                if self.start_stand_in(stack) and self.step("start", self.start):
                    self.probe_and_stop()
        for step in self.report.steps:
            if step.status == SKIPPED and not step.detail:
                step.detail = "not reached"
        return self.report

    def source(self) -> str:
        self.src.mkdir()
        detail = copy_source(self.project, self.src, worktree=self.args.worktree)
        self.commit = run(["git", "rev-parse", "HEAD"], cwd=self.project).stdout.strip()
        self.report.facts["commit"] = self.commit + (
            " + working tree" if self.args.worktree else ""
        )
        self.report.facts["source"] = detail
        if self.args.worktree:
            self.note("--worktree: building the working tree, not what Render would get")
        return detail

    def blueprint(self) -> str:
        path = self.src / RENDER_YAML
        if not path.is_file():
            tree = "working" if self.args.worktree else "committed"
            raise ScriptError(
                f"{RENDER_YAML} is not in the {tree} tree of {self.project}: "
                "add and commit it, or try --worktree"
            )
        s = self.service = load_web_service(path)
        if not s.build_command or not s.start_command:
            raise ScriptError(
                f"{RENDER_YAML}: service {s.name!r} needs buildCommand and "
                "startCommand (Render's server rejects a Python service without)"
            )
        for key in s.unresolved:
            self.note(
                f"env var {key} gets its value from Render (generateValue/fromService): "
                "left unset here"
            )
        return f"web service {s.name!r} (plan {s.plan}, rootDir {s.root_dir})"

    @property
    def root(self) -> Path:
        return self.src / self.service.root_dir if self.service else self.src

    def python(self) -> str:
        version_file = python_version_file(self.root) or python_version_file(self.src)
        wanted, notes = wanted_version(self.service.python_version, version_file)
        interpreter, more = choose_python(wanted, self.args.python)
        for text in notes + more:
            self.note(text)
        self.report.facts["python"] = f"{interpreter.version_text} ({interpreter.path})"
        run([interpreter.path, "-m", "venv", str(self.venv)], timeout=300)
        self.env = self._env()
        self.baseline = pip_list(self.venv / "bin" / "python", self.env)
        return f"venv of Python {interpreter.version_text} for render.yaml's {wanted}"

    def _env(self) -> dict[str, str]:
        (self.workdir / "home").mkdir(exist_ok=True)
        env, notes = build_env(
            os.environ,
            venv=self.venv,
            home=self.workdir / "home",
            pip_cache=self.workdir / "pip-cache",
            port=self.port,
            commit=self.commit,
            service_name=self.service.name,
            blueprint_env=self.service.env,
            secrets=self.service.secrets,
        )
        for text in notes:
            self.note(text)
        return env

    def build(self) -> str:
        command = self.service.build_command
        progress(f"bash -c {command!r}  (in {self.root})")
        log = self.workdir / "build.log"
        code = sim_server.run_logged(
            command,
            cwd=self.root,
            env=self.env,
            log=log,
            timeout=self.args.build_timeout,
            echo=self.args.verbose,
        )
        if code != 0:
            raise ScriptError(
                f"build command failed with exit code {code}; last "
                f"lines:\n{sim_server.log_tail(log)}"
            )
        return "exit 0"

    def installed(self) -> str:
        names = pip_list(self.venv / "bin" / "python", self.env)
        venv_bytes = disk_usage(self.venv)
        cache = self.workdir / "pip-cache"
        cache_bytes = disk_usage(cache) if cache.exists() else 0
        logged = downloaded_bytes((self.workdir / "build.log").read_text(errors="replace"))
        download = max(logged, cache_bytes)
        self.report.numbers.update(
            venv_bytes=venv_bytes,
            packages=len(names),
            download_bytes=download,
            pip_cache_bytes=cache_bytes,
        )
        self.report.facts["venv size"] = human_size(venv_bytes)
        self.report.facts["packages"] = f"{len(names)} ({len(names - self.baseline)} by the build)"
        self.report.facts["download size"] = (
            f"{human_size(download)} (pip's Downloading lines: {human_size(logged)}; "
            f"pip cache after the build: {human_size(cache_bytes)})"
        )
        heavy, note = heavy_names(self.src)
        if note:
            self.note(note)
        found = heavy_installed(names, self.baseline, heavy)
        if found:
            raise ScriptError(
                f"heavy packages installed: {', '.join(found)}: take them out of "
                "the build (requirements-render.in)"
            )
        return f"{len(names)} packages, none heavy; venv {human_size(venv_bytes)}"

    def check(self) -> str:
        result = run(
            [str(self.venv / "bin" / "python"), "-m", "pip", "check"],
            env=self.env,
            check=False,
            timeout=120,
        )
        if result.returncode != 0:
            raise ScriptError("pip check: " + "; ".join(result.stdout.strip().splitlines()))
        return result.stdout.strip()
