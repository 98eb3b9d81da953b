"""render-sim's steps against the running server: stand-in Space, start, probes, shutdown."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import ExitStack

from scripts import sim_probe, sim_server
from scripts.proc import ScriptError, progress
from scripts.sim_report import FAIL, SkipStepError


class ServeSteps:
    """The second half of a Simulation (see scripts.sim_run), which holds the shared state."""

    def start_stand_in(self, stack: ExitStack) -> bool:
        """Run the stand-in Space for the WebSocket probe when it applies; never stops the run."""
        if self.args.no_ws:
            return True

        def action() -> str:
            self.speech = sim_probe.pick_fixture(self.root / "tests" / "fixtures")
            if self.speech is None:
                self.speech_missing = (
                    "no speech fixture with key words in tests/fixtures/phrases.json"
                )
                raise SkipStepError(self.speech_missing)
            if "HF_SPACE" not in self.service.env and "HF_SPACE" not in self.service.secrets:
                raise SkipStepError("render.yaml sets no HF_SPACE: the server uses its own engine")
            from tools.standin import running_space

            try:
                url = stack.enter_context(running_space())
            except ScriptError as exc:
                if self.strict:
                    raise
                self.speech = None
                self.speech_missing = f"the stand-in Space could not start: {exc}"
                raise SkipStepError(self.speech_missing) from exc
            self.overrides["HF_SPACE"] = url
            self.env["HF_SPACE"] = url
            self.note(
                f"HF_SPACE={url} (the local stand-in Space) instead of render.yaml's "
                f"{self.service.env.get('HF_SPACE', '(secret)')!r}"
            )
            return url

        self.step("stand-in", action)
        return self.report.step("stand-in").status != FAIL

    def start(self) -> str:
        command = self.service.start_command
        progress(f"bash -c {command!r}  (PORT={self.port})")
        self.log = self.workdir / "server.log"
        self.server = sim_server.start_server(command, cwd=self.root, env=self.env, log=self.log)
        detail = sim_probe.wait_until_ready(
            self.server,
            self.port,
            self.service.health_check_path,
            self.args.health_timeout,
            self.log,
        )
        if sim_probe.loopback_only(self.port):
            raise ScriptError(
                f"the server listens on loopback only: Render reaches it on "
                f"0.0.0.0:$PORT (uvicorn --host 0.0.0.0); {detail}"
            )
        return detail

    def _probe(self, name: str, probe: Callable[[], str]) -> None:
        def action() -> str:
            try:
                return probe()
            except sim_probe.RouteMissingError as exc:
                if self.strict:
                    raise ScriptError(f"{exc}: the template's service must have it") from None
                raise SkipStepError(f"{exc}: the project has no such route") from None
            except OSError as exc:
                raise ScriptError(f"{name}: {exc}") from exc

        self.step(name, action)

    def probe_and_stop(self) -> bool:
        self._probe(
            "GET /health",
            lambda: sim_probe.probe_health(self.port, self.commit if self.strict else None),
        )
        self._probe("GET /live", lambda: sim_probe.probe_live(self.port))
        if not self.args.no_ws:
            self._probe("WS /ws/asr", self.ws)
        return self.step("shutdown", self.shutdown)

    def ws(self) -> str:
        if self.speech is None:
            reason = self.speech_missing or self.report.step("stand-in").detail
            if self.strict:
                raise ScriptError(reason)
            raise SkipStepError(reason)
        return sim_probe.probe_ws(self.port, self.speech)

    def shutdown(self) -> str:
        if self.server.poll() is not None:
            raise ScriptError(
                f"the server had already exited with code "
                f"{self.server.returncode}:\n{sim_server.log_tail(self.log)}"
            )
        in_time, detail = sim_server.stop_server(self.server, self.service.max_shutdown_delay)
        if not in_time:
            raise ScriptError(detail)
        return detail

    def _cleanup_server(self) -> None:
        if self.server is not None and self.server.returncode is None:
            sim_server.kill_server(self.server)
