"""render-sim's results: timed steps, measured facts, and their table and JSON forms."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field

from scripts.proc import ScriptError, progress

OK, FAIL, SKIPPED = "ok", "FAIL", "skipped"


class SkipStepError(ScriptError):
    """The step does not apply to this project; the message says why."""


@dataclass
class Step:
    name: str
    status: str = SKIPPED
    seconds: float = 0.0
    detail: str = ""


@dataclass
class Report:
    steps: list[Step] = field(default_factory=list)
    facts: dict[str, str] = field(default_factory=dict)
    numbers: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(step.status != FAIL for step in self.steps) and any(
            step.status == OK for step in self.steps
        )

    def step(self, name: str) -> Step:
        return next(s for s in self.steps if s.name == name)


FACT_ORDER = ("venv size", "packages", "download size", "python", "commit", "source")


def human_size(n_bytes: int | None) -> str:
    """`123.4 MiB` for a byte count; `?` when it was not measured."""
    if n_bytes is None:
        return "?"
    size = float(n_bytes)
    for unit in ("B", "KiB", "MiB"):
        if size < 1024:
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.2f} GiB"


def format_table(report: Report) -> str:
    """The report for people: one line per step, then the facts and the notes."""
    width = max([len(s.name) for s in report.steps] + [len(k) for k in report.facts] + [4])
    lines = [f"{'step':<{width}}  {'status':<7}  {'time':>7}  detail"]
    for s in report.steps:
        time = f"{s.seconds:.1f}s" if s.status != SKIPPED else "-"
        lines.append(f"{s.name:<{width}}  {s.status:<7}  {time:>7}  {s.detail}".rstrip())
    lines.append("")
    keys = [k for k in FACT_ORDER if k in report.facts]
    keys += [k for k in report.facts if k not in FACT_ORDER]
    lines += [f"{key:<{width}}  {report.facts[key]}" for key in keys]
    if report.notes:
        lines += ["", "notes:", *(f"  - {note}" for note in report.notes)]
    lines += ["", "render-sim: " + ("all checks passed" if report.ok else "FAILED")]
    return "\n".join(lines) + "\n"


def format_json(report: Report) -> str:
    """The same report for machines."""
    data = {
        "ok": report.ok,
        "steps": [asdict(s) | {"seconds": round(s.seconds, 2)} for s in report.steps],
        "facts": report.facts,
        "numbers": report.numbers,
        "notes": report.notes,
    }
    return json.dumps(data, indent=2) + "\n"


def run_step(step: Step, action: Callable[[], str]) -> bool:
    """Run one step, timing it and recording ok/FAIL/skipped; True when it passed."""
    progress(f"{step.name} ...")
    started = time.monotonic()
    try:
        step.detail, step.status = action() or "", OK
    except SkipStepError as exc:
        step.detail, step.status = str(exc), SKIPPED
    except ScriptError as exc:
        step.detail, step.status = str(exc), FAIL
        progress(f"{step.name} FAILED: {exc}")
    step.seconds = time.monotonic() - started
    return step.status == OK
