"""Figure: the wall time of each test layer, `make test` and `make test-backend` (issue 7).

Each target runs as a user runs it, from this repository, with whatever caches it has (the
stand-in Space's venv, pip's and uv's caches): warm after a first `make test-backend`. Each runs
several times in turn and the median is judged, so that one slow or one lucky run does not
decide the verdict on a machine whose other work shares the cores.
"""

from __future__ import annotations

import os
import re
import statistics
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scripts.proc import progress
from scripts.servers import log_tail, run_logged
from tools.bench.context import Context
from tools.bench.figure import Figure, Goal, at_most

ROOT = Path(__file__).resolve().parents[2]
TITLE = "Wall time of each test layer"
COMMAND = "python -m tools.bench --only tests"
TARGETS = {"test": 30.0, "test-backend": 150.0}  # issue 7's goals, seconds on 2 cores
RUNS = 3  # of each target; --quick: `make test` once
TIMEOUT_S = 3600.0
GOALS = tuple(
    f"`make {t}` ≤ {s:.0f} s wall on 2 cores, passing (issue 7)" for t, s in TARGETS.items()
)
_SUMMARY = re.compile(r"^=+ (.+ in [\d.]+s.*?) =+$", re.M)


@dataclass
class Layer:
    """One target's runs: each run's wall seconds, the worst exit code, the last summary."""

    target: str
    runs: list[float]
    code: int
    summary: str

    @property
    def seconds(self) -> float:
        return float(statistics.median(self.runs))

    @property
    def spread(self) -> str:
        if len(self.runs) == 1:
            return "1 run"
        return f"median of {len(self.runs)} runs, {min(self.runs):.0f} to {max(self.runs):.0f} s"


def summary_of(output: str) -> str:
    """pytest's last summary line ("462 passed, 30 skipped in 245.12s (0:04:05)"), or ''."""
    found = _SUMMARY.findall(output)
    return found[-1] if found else ""


def run_target(target: str, log: Path, runs: int) -> Layer:
    """Run `make target` `runs` times; stop at the first failure (its log is kept)."""
    layer = Layer(target, [], 0, "")
    for number in range(1, runs + 1):
        progress(f"tests: make {target}, run {number} of {runs} (log: {log})")
        started = time.monotonic()
        code = run_logged(
            f"make --no-print-directory {target}", cwd=ROOT, env=_env(), log=log, timeout=TIMEOUT_S
        )
        layer.runs.append(round(time.monotonic() - started, 1))
        layer.code, layer.summary = code, summary_of(log.read_text(errors="replace"))
        if code != 0:
            break
    return layer


def _env() -> dict[str, str]:
    # A make that runs this bench passes its flags down; the targets run as if typed.
    return {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MAKELEVEL", "MFLAGS"}}


def goal_for(layer: Layer) -> Goal:
    limit = TARGETS[layer.target]
    passed = "passed" if layer.code == 0 else f"FAILED (exit {layer.code})"
    shown = (
        f"{layer.seconds:.0f} s ({layer.spread}), {passed}: {layer.summary or 'no pytest summary'}"
    )
    goal = GOALS[list(TARGETS).index(layer.target)]
    if layer.code != 0:
        return Goal(goal, shown, False, "the target failed: see its log")
    return at_most(goal, layer.seconds, limit, shown, f"{layer.seconds - limit:.0f} s over")


def measure(ctx: Context) -> Figure:
    figure = Figure("tests", TITLE, COMMAND)
    targets = ["test"] if ctx.quick else list(TARGETS)
    runs = 1 if ctx.quick else RUNS
    layers = [run_target(t, ctx.workdir / f"make-{t}.log", runs) for t in targets]
    figure.rows = [["target", "wall (median)", "runs (s)", "result", "pytest's summary (last run)"]]
    for layer in layers:
        result = "passed" if layer.code == 0 else f"failed (exit {layer.code})"
        figure.rows.append([
            f"`make {layer.target}`", f"{layer.seconds:.0f} s", runs_text(layer.runs), result,
            layer.summary,
        ])  # fmt: skip
        if layer.code != 0:
            figure.notes.append(
                f"`make {layer.target}` failed; its last lines:\n"
                + log_tail(ctx.workdir / f"make-{layer.target}.log")
            )
    figure.goals = [goal_for(layer) for layer in layers]
    figure.headline = ", ".join(
        f"`make {layer.target}` {layer.seconds:.0f} s ({'passed' if layer.code == 0 else 'failed'})"
        for layer in layers
    )
    figure.numbers = {"layers": [vars(layer) | {"median_s": layer.seconds} for layer in layers]}
    figure.notes.insert(
        0,
        f"Each target run {runs} time{'s' if runs > 1 else ''} in a row, judged by the median, "
        "with the caches as they were (warm after a first run); the machine's other work "
        "shares the cores." + (" --quick: `make test` only." if ctx.quick else ""),
    )
    return figure


def runs_text(runs: Sequence[float]) -> str:
    return ", ".join(f"{seconds:.0f}" for seconds in runs)
