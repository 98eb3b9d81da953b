"""One render-sim run: each step in order, timed, with the state that later steps need."""

from __future__ import annotations

import os
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path

from scripts import servers
from scripts.blueprint import WebService
from scripts.config import Config, SimProbe, SimService
from scripts.proc import ScriptError, UsageError, progress, run
from scripts.project import RENDER_YAML, Project, load_project
from scripts.pythons import choose_python, wanted_version
from scripts.render_sim.build import (
    FALLBACK_HEAVY,
    copy_source,
    disk_usage,
    downloaded_bytes,
    heavy_installed,
    make_venv,
    pip_list,
)
from scripts.render_sim.env import build_env
from scripts.render_sim.probes import (
    fill,
    loopback_only,
    probe_health,
    run_probe,
    service_env,
    service_values,
)
from scripts.render_sim.report import SKIPPED, Report, Step, human_size, run_step

HELPER_GRACE = 10.0  # seconds a declared service gets to stop after SIGTERM
BEFORE = ("source", "blueprint", "python", "build", "installed", "pip check")
AFTER = ("start", "health check")
LAST = ("shutdown",)


@dataclass(frozen=True)
class Options:
    project_dir: Path
    worktree: bool = False
    python: str | None = None
    declared: bool = True
    build_timeout: float = 1800.0
    health_timeout: float = 120.0
    verbose: bool = False


def plan_steps(config: Config, *, declared: bool) -> list[Step]:
    """The steps of a run, in order; the project's declared services and probes in between."""
    services = [Step(s.name) for s in config.services]
    probes = [Step(p.name) for p in config.probes]
    if not declared:
        for step in services + probes:
            step.detail = "--no-declared"
    return [*map(Step, BEFORE), *services, *map(Step, AFTER), *probes, *map(Step, LAST)]


class Simulation:
    """One run: the state that later steps need from earlier ones."""

    def __init__(self, options: Options, workdir: Path) -> None:
        self.options, self.workdir = options, workdir
        self.project_dir = options.project_dir.resolve()
        self.report = Report(steps=plan_steps(Config(), declared=options.declared))
        self.src = workdir / "src"
        self.venv = self.src / ".venv"  # where Render keeps it: /opt/render/project/src/.venv
        self.port = servers.free_port()
        self.commit = ""
        self.config = Config()
        self.project: Project | None = None
        self.service: WebService | None = None
        self.env: dict[str, str] = {}
        self.baseline: set[str] = set()
        self.server: servers.Server | None = None
        self.helpers: list[tuple[SimService, servers.Server, int]] = []

    def note(self, text: str) -> None:
        self.report.notes.append(text)
        progress(f"note: {text}")

    def step(self, name: str, action: Callable[[], str]) -> bool:
        return run_step(self.report.step(name), action)

    def run(self) -> Report:
        with ExitStack() as stack:
            stack.callback(self._stop_all)
            if self.step("source", self.source) and self.step("blueprint", self.blueprint):
                self._run_rest()
        for step in self.report.steps:
            if step.status == SKIPPED and not step.detail:
                step.detail = "not reached"
        return self.report

    def _run_rest(self) -> None:
        if not self.step("python", self.python):
            return
        self._start_helpers()  # they start while the build runs
        if not self.step("build", self.build):
            return
        # A heavy package or a broken set still lets the server start: report it all.
        self.step("installed", self.installed)
        self.step("pip check", self.check)
        ready = [self._wait_helper(*helper) for helper in self.helpers]
        if all(ready) and self.step("start", self.start):
            self.step("health check", self.health)
            if self.options.declared:
                for probe in self.config.probes:
                    self.step(probe.name, self._prober(probe))
            self.step("shutdown", self.shutdown)

    def _prober(self, probe: SimProbe) -> Callable[[], str]:
        return lambda: run_probe(probe, self.port, self.project_dir)

    @property
    def service_(self) -> WebService:
        assert self.service is not None, "the blueprint step runs first"
        return self.service

    @property
    def root(self) -> Path:
        return self.src / self.service_.root_dir if self.service else self.src

    def source(self) -> str:
        self.src.mkdir()
        detail = copy_source(self.project_dir, self.src, worktree=self.options.worktree)
        self.commit = run(["git", "rev-parse", "HEAD"], cwd=self.project_dir).stdout.strip()
        self.report.facts["commit"] = self.commit + (
            " + working tree" if self.options.worktree else ""
        )
        self.report.facts["source"] = detail
        if self.options.worktree:
            self.note("--worktree: building the working tree, not what Render would get")
        return detail

    def blueprint(self) -> str:
        if not (self.src / RENDER_YAML).is_file():
            tree = "working" if self.options.worktree else "committed"
            raise ScriptError(
                f"{RENDER_YAML} is not in the {tree} tree of {self.project_dir}: "
                "add and commit it, or try --worktree"
            )
        try:
            self.project = load_project(self.src)
        except UsageError as exc:
            raise ScriptError(f"cannot read the project: {exc}") from None
        self.config = self.project.config
        done = {step.name: step for step in self.report.steps}
        planned = plan_steps(self.config, declared=self.options.declared)
        self.report.steps = [done.get(step.name, step) for step in planned]
        s = self.service = self.project.web_service
        if s is None:
            raise ScriptError(
                f"{RENDER_YAML} has no Python web service: add one with `runtime: python`"
            )
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

    def python(self) -> str:
        assert self.project is not None
        wanted, notes = wanted_version(
            self.service_.python_version, self.project.python_version_file
        )
        interpreter, more = choose_python(wanted, self.options.python)
        for text in notes + more:
            self.note(text)
        self.report.facts["python"] = f"{interpreter.version_text} ({interpreter.path})"
        how = make_venv(interpreter, self.venv)
        (self.workdir / "home").mkdir(exist_ok=True)
        self.env, env_notes = build_env(
            os.environ,
            venv=self.venv,
            home=self.workdir / "home",
            pip_cache=self.workdir / "pip-cache",
            port=self.port,
            commit=self.commit,
            service_name=self.service_.name,
            blueprint_env=self.service_.env,
            secrets=self.service_.secrets,
        )
        for text in env_notes:
            self.note(text)
        self.baseline = pip_list(self.venv / "bin" / "python", self.env)
        return f"venv of Python {interpreter.version_text} for render.yaml's {wanted} ({how})"

    def _start_helpers(self) -> None:
        if not self.options.declared:
            return
        for declared in self.config.services:
            port = servers.free_port()
            command = fill(declared.command, service_values(port))
            log = self.workdir / f"service-{len(self.helpers)}.log"
            progress(f"starting {declared.name}: {command}")
            try:
                helper = servers.start(command, cwd=self.project_dir, env=os.environ, log=log)
            except ScriptError as exc:
                self.report.step(declared.name).detail = str(exc)
                self.report.step(declared.name).status = "FAIL"
                continue
            self.helpers.append((declared, helper, port))

    def _wait_helper(self, declared: SimService, helper: servers.Server, port: int) -> bool:
        def action() -> str:
            url = f"http://{servers.HOST}:{port}{declared.ready}"
            detail = servers.wait_for_http(helper, url, declared.timeout, declared.name)
            overrides = service_env(declared, port)
            for key, value in overrides.items():
                shown = self.service_.env.get(
                    key, "(secret)" if key in self.service_.secrets else "unset"
                )
                self.note(f"{key}={value} ({declared.name}) instead of render.yaml's {shown!r}")
            self.env.update(overrides)
            return detail

        return self.step(declared.name, action)

    def build(self) -> str:
        command = self.service_.build_command or ""
        progress(f"bash -c {command!r}  (in {self.root})")
        log = self.workdir / "build.log"
        code = servers.run_logged(
            command,
            cwd=self.root,
            env=self.env,
            log=log,
            timeout=self.options.build_timeout,
            echo=self.options.verbose,
        )
        if code != 0:
            tail = servers.log_tail(log)
            raise ScriptError(f"build command failed with exit code {code}; last lines:\n{tail}")
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
        found = heavy_installed(names, self.baseline, self._heavy())
        if found:
            raise ScriptError(
                f"heavy packages installed: {', '.join(found)}: take them out of "
                "the build (requirements-render.in)"
            )
        return f"{len(names)} packages, none heavy; venv {human_size(venv_bytes)}"

    def _heavy(self) -> set[str]:
        if self.project is not None and self.project.lock is not None:
            return set(self.project.heavy())
        self.note(
            f"no uv.lock in the project: heavy packages are the built-in "
            f"list ({', '.join(FALLBACK_HEAVY)})"
        )
        return set(FALLBACK_HEAVY)

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

    def start(self) -> str:
        command = self.service_.start_command or ""
        progress(f"bash -c {command!r}  (PORT={self.port})")
        log = self.workdir / "server.log"
        self.server = servers.start(command, cwd=self.root, env=self.env, log=log)
        path = self.service_.health_check_path
        timeout = self.options.health_timeout
        if path is None:
            detail = servers.wait_for_port(self.server, self.port, timeout)
        else:
            url = f"http://{servers.HOST}:{self.port}{path}"
            detail = servers.wait_for_http(self.server, url, timeout)
        if loopback_only(self.port):
            raise ScriptError(
                f"the server listens on loopback only: Render reaches it on "
                f"0.0.0.0:$PORT (uvicorn --host 0.0.0.0); {detail}"
            )
        return detail

    def health(self) -> str:
        path = self.service_.health_check_path
        if path is None:
            self.note(
                "render.yaml has no healthCheckPath: Render marks a deploy live when the port opens"
            )
            return "no healthCheckPath: the open port counts"
        detail, note = probe_health(self.port, path, self.commit)
        if note:
            self.note(note)
        return detail

    def shutdown(self) -> str:
        assert self.server is not None
        if self.server.process.poll() is not None:
            raise ScriptError(
                f"the server had already exited with code "
                f"{self.server.process.returncode}:\n{self.server.tail()}"
            )
        in_time, detail = servers.stop(self.server, self.service_.max_shutdown_delay)
        if not in_time:
            raise ScriptError(detail)
        return detail

    def _stop_all(self) -> None:
        if self.server is not None and self.server.process.returncode is None:
            servers.kill(self.server)  # the shutdown step did not run, or timed out
        for _, helper, _ in self.helpers:
            # SIGTERM first: a stand-in may have started processes of its own, which it stops.
            if helper.process.poll() is None or servers.group_alive(helper.pgid):
                servers.stop(helper, HELPER_GRACE)
