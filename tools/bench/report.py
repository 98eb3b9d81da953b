"""The bench's report: one JSON document (the source), rendered to markdown.

A run replaces the figures it measured in the existing report and keeps the others (`--only`,
or the tests' figure after `make bench`); every figure carries its own date and load average,
so a figure measured apart from the rest says so.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tools.bench.figure import Figure, Goal
from tools.bench.machine import busy_note

FORMAT = 1
MARKDOWN = "REPORT.md"
JSON = "report.json"
VERDICT = {True: "met", False: "**not met**", None: "not measured"}


def build(
    machine: Mapping[str, Any],
    run: Mapping[str, Any],
    figures: Sequence[Figure],
    previous: Mapping[str, Any] | None,
    order: Sequence[str],
) -> dict[str, Any]:
    """The report's JSON: this run's figures over `previous`'s, in `order`."""
    kept = dict((previous or {}).get("figures", {})) if previous else {}
    kept.update({figure.key: figure.to_json() for figure in figures})
    ordered = {key: kept[key] for key in order if key in kept}
    ordered.update({key: value for key, value in kept.items() if key not in ordered})
    return {"format": FORMAT, "machine": dict(machine), "run": dict(run), "figures": ordered}


def load(path: Path) -> dict[str, Any] | None:
    """A report written before, or None when there is none (or it is of another format)."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and data.get("format") == FORMAT else None


def write(report: Mapping[str, Any], out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    (out / JSON).write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    (out / MARKDOWN).write_text(render(report))
    return out / MARKDOWN, out / JSON


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", "<br>")


def table(rows: Sequence[Sequence[str]]) -> list[str]:
    if not rows:
        return []
    lines = ["| " + " | ".join(cell(str(c)) for c in rows[0]) + " |"]
    lines.append("|" + "---|" * len(rows[0]))
    lines += ["| " + " | ".join(cell(str(c)) for c in row) + " |" for row in rows[1:]]
    return lines


def verdict(goal: Goal) -> str:
    text = VERDICT[goal.met]
    return f"{text}: {goal.gap}" if goal.gap else text


def machine_line(machine: Mapping[str, Any]) -> str:
    load = ", ".join(f"{x:g}" for x in machine["load_at_start"])
    return (
        f"{machine['cores']} cores ({machine['usable_cores']} usable), {machine['cpu_model']}, "
        f"{machine['memory_gib']:g} GiB; Linux {machine['kernel']}; Python {machine['python']}; "
        f"load average at start {load}; commit {machine['commit']}"
    )


def render(report: Mapping[str, Any]) -> str:
    """The markdown report."""
    machine, run = report["machine"], report["run"]
    figures = [Figure.from_json(data) for data in report["figures"].values()]
    lines = [
        "# Bench report",
        "",
        "Written by `make bench` (`python -m tools.bench`): do not edit, rerun it. How it "
        "measures and how to rerun one figure: `python -m tools.bench --help` and "
        'docs/SERVICE.md, "Capacity and scaling".',
        "",
        f"- Last run: {run['date']}, `{run['command']}` ({', '.join(run['figures'])}), "
        f"{run['seconds'] / 60:.1f} min"
        + (" (**--quick**: short smoke runs, not the figures)" if run.get("quick") else "")
        + "; each figure below gives its own date and load average",
        f"- Machine: {machine_line(machine)}",
    ]
    note = busy_note(tuple(machine["load_at_start"]))
    if note:
        lines.append(f"- **Busy machine:** {note}.")
    lines += ["", "## Summary", ""]
    lines += [
        f"{n}. **{f.title}:** {f.headline or headline_of_error(f)}"
        for n, f in enumerate(figures, start=1)
    ]
    goals = [[f.title, g.goal, g.measured, verdict(g)] for f in figures for g in f.goals]
    if goals:
        lines += ["", "## Goals", "", *table([["figure", "goal", "measured", "verdict"], *goals])]
    for number, figure in enumerate(figures, start=1):
        lines += ["", f"## {number}. {figure.title}", "", *figure_lines(figure)]
    return "\n".join(lines) + "\n"


def headline_of_error(figure: Figure) -> str:
    first = (figure.error or "no figure").splitlines()[0]
    return f"could not be measured ({first})"


def figure_lines(figure: Figure) -> list[str]:
    load = ", ".join(f"{x:g}" for x in figure.load_at_start)
    lines = [
        f"_Measured {figure.measured_at} in {figure.seconds:.0f} s"
        + (" by a --quick run (short smoke runs, not the figure)" if figure.quick else "")
        + f", load average at start {load}; rerun: `{figure.command}`._",
        "",
    ]
    note = busy_note(figure.load_at_start)
    if note:
        lines += [f"**Busy machine:** {note}.", ""]
    if figure.error:
        lines += [f"**Could not be measured:** {figure.error}", ""]
    lines += table(figure.rows)
    if figure.rows:
        lines.append("")
    lines += [
        f"- {n}"
        if "\n" not in n
        else f"- {n.splitlines()[0]}\n\n```\n" + "\n".join(n.splitlines()[1:]) + "\n```"
        for n in figure.notes
    ]
    return lines
