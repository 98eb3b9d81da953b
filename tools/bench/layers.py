"""Figure: the wall time of each test layer, `make test` and `make test-backend` (issue 7).

Each target runs as a user runs it, from this repository, with whatever caches it has (the
stand-in Space's venv, pip's and uv's caches): warm after a first `make test-backend`.
"""

from __future__ import annotations

import re
import time
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
TIMEOUT_S = 3600.0
GOALS = tuple(
    f"`make {t}` ≤ {s:.0f} s wall on 2 cores, passing (issue 7)" for t, s in TARGETS.items()
)
_SUMMARY = re.compile(r"^=+ (.+ in [\d.]+s.*?) =+$", re.M)


@dataclass
class Layer:
    target: str
    seconds: float
    code: int
    summary: str


def summary_of(output: str) -> str:
    """pytest's last summary line ("462 passed, 30 skipped in 245.12s (0:04:05)"), or ''."""
    found = _SUMMARY.findall(output)
    return found[-1] if found else ""


def run_target(target: str, log: Path) -> Layer:
    progress(f"tests: make {target} (log: {log})")
    started = time.monotonic()
    code = run_logged(
        f"make --no-print-directory {target}", cwd=ROOT, env=_env(), log=log, timeout=TIMEOUT_S
    )
    took = time.monotonic() - started
    return Layer(target, round(took, 1), code, summary_of(log.read_text(errors="replace")))


def _env() -> dict[str, str]:
    import os

    # A make that runs this bench passes its flags down; the targets run as if typed.
    return {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MAKELEVEL", "MFLAGS"}}


def goal_for(layer: Layer) -> Goal:
    limit = TARGETS[layer.target]
    passed = "passed" if layer.code == 0 else f"FAILED (exit {layer.code})"
    shown = f"{layer.seconds:.0f} s, {passed}: {layer.summary or 'no pytest summary'}"
    goal = GOALS[list(TARGETS).index(layer.target)]
    if layer.code != 0:
        return Goal(goal, shown, False, "the target failed: see its log")
    return at_most(goal, layer.seconds, limit, shown, f"{layer.seconds - limit:.0f} s over")


def measure(ctx: Context) -> Figure:
    figure = Figure("tests", TITLE, COMMAND)
    targets = ["test"] if ctx.quick else list(TARGETS)
    layers = [run_target(target, ctx.workdir / f"make-{target}.log") for target in targets]
    figure.rows = [["target", "wall", "result", "pytest's summary"]]
    for layer in layers:
        result = "passed" if layer.code == 0 else f"failed (exit {layer.code})"
        figure.rows.append(
            [f"`make {layer.target}`", f"{layer.seconds:.0f} s", result, layer.summary]
        )
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
    figure.numbers = {"layers": [vars(layer) for layer in layers]}
    figure.notes.insert(
        0,
        "Each target run once, one after the other, with the caches as they "
        "were (warm after a first run); the machine's other work shares the cores."
        + (" --quick: `make test` only." if ctx.quick else ""),
    )
    return figure
