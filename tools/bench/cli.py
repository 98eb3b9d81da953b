"""Measure the service's figures side by side in one run and write docs/bench/REPORT.md and
report.json: cold start, per-frame cost, streams per engine, compile time, download size,
keepalive closes, and (on its own) the test layers' wall time."""

from __future__ import annotations

import argparse
import shutil
import sys
import time
import traceback
from collections.abc import Sequence
from contextlib import ExitStack
from pathlib import Path
from types import ModuleType

from scripts.proc import ScriptError, progress
from tools.bench import (
    coldstart,
    compile_reqs,
    download,
    frames,
    keepalive,
    layers,
    local_engine,
    remote_engine,
    report,
)
from tools.bench.context import Context
from tools.bench.figure import Figure, unmeasured
from tools.bench.machine import busy_note, describe, load, now

ROOT = Path(__file__).resolve().parents[2]
DOCS_OUT = ROOT / "docs" / "bench"
QUICK_OUT = ROOT / ".cache" / "bench"
WORKDIR = ROOT / ".cache" / "bench-work"
MARKER = ".bench-workdir"
# In report order; keepalive counts the load runs before it, so it runs after them.
FIGURES: dict[str, ModuleType] = {
    "coldstart": coldstart,
    "frames": frames,
    "pocketsphinx": local_engine,
    "remote": remote_engine,
    "compile": compile_reqs,
    "download": download,
    "keepalive": keepalive,
    "tests": layers,
}
SEPARATE = ("tests",)  # minutes of their own: `make bench-tests`, not `make bench`

EPILOG = f"""\
examples:
  make bench                                 # every figure but the tests' (~12 min on 2 cores)
  make bench-tests                           # = python -m tools.bench --only tests
  python -m tools.bench --only pocketsphinx  # rerun one figure into the report
  python -m tools.bench --quick              # a ~2 min smoke run, written to .cache/bench/

figures:
{chr(10).join(f"  {key:<13} {module.TITLE}" for key, module in FIGURES.items())}

It needs the dev environment with the lite-asr extra (`make sync`), a python3.11 for the lean
venv (render.yaml's Python), and PyPI: the lean venv is built from it with an empty pip cache,
render-reqs and uv pip compile resolve against it, and the stand-in Space's venv is built from
it on first use. The figures measured replace theirs in the report; the others (the tests'
after `make bench`) keep their last values. Every figure records its own date and load.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.bench",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--only",
        action="append",
        choices=list(FIGURES),
        metavar="NAME",
        help="measure only this figure (repeatable); the report keeps the others",
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help=f"short smoke runs of each figure (~2 min); writes to {QUICK_OUT.relative_to(ROOT)}/",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help=f"where to write REPORT.md and report.json (default: {DOCS_OUT.relative_to(ROOT)}/)",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=WORKDIR,
        help=f"emptied first; the run's venvs and logs (default: {WORKDIR.relative_to(ROOT)}/)",
    )
    return parser


def fresh_workdir(path: Path) -> None:
    """Empty `path` for a run, refusing a non-empty directory that an earlier run did not make."""
    if path.is_dir() and any(path.iterdir()) and not (path / MARKER).is_file():
        raise ScriptError(
            f"--workdir {path} is not empty and was not made by the bench: "
            "give a new or empty directory"
        )
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    (path / MARKER).write_text("made by python -m tools.bench; emptied by its next run\n")


def run_figure(ctx: Context, key: str, module: ModuleType) -> Figure:
    """Measure one figure; a failure becomes a figure that says why it could not be measured."""
    started, at, load_at_start = time.monotonic(), now(), load()
    progress(f"{key}: {module.TITLE}")
    error = None
    try:
        figure: Figure = module.measure(ctx)
    except ScriptError as exc:
        error = str(exc)
    except Exception as exc:  # a bug in the bench: keep the other figures, show the traceback
        traceback.print_exc()
        error = f"{type(exc).__name__}: {exc}"
    if error is not None:
        progress(f"{key}: could not be measured: {error}")
        figure = Figure(
            key,
            module.TITLE,
            module.COMMAND,
            error=error,
            goals=unmeasured(module.GOALS, error.splitlines()[0]),
        )
    figure.measured_at, figure.load_at_start = at, load_at_start
    figure.seconds, figure.quick = round(time.monotonic() - started, 1), ctx.quick
    return figure


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    keys = (
        [key for key in FIGURES if key in args.only]
        if args.only
        else [key for key in FIGURES if key not in SEPARATE]
    )
    out: Path = args.out or (QUICK_OUT if args.quick else DOCS_OUT)
    machine = describe()
    progress(
        f"bench: {', '.join(keys)} on {machine.usable_cores} cores, load {machine.load_at_start}"
    )
    note = busy_note(machine.load_at_start)
    if note:
        progress(f"warning: {note}")
    workdir: Path = args.workdir
    try:
        fresh_workdir(workdir)
    except ScriptError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    started = time.monotonic()
    with ExitStack() as stack:
        ctx = Context(args.quick, workdir, stack)
        figures = [run_figure(ctx, key, FIGURES[key]) for key in keys]
    shown = " ".join(["python -m tools.bench", *(argv if argv is not None else sys.argv[1:])])
    run = {
        "date": machine.date,
        "command": shown,
        "quick": args.quick,
        "figures": keys,
        "seconds": round(time.monotonic() - started, 1),
    }
    previous = report.load(out / report.JSON)  # figures not run now keep their last values
    data = report.build(machine.to_json(), run, figures, previous, list(FIGURES))
    markdown, json_path = report.write(data, out)
    for figure in figures:
        for goal in figure.goals:
            print(f"{figure.key}: {goal.goal}: {goal.measured}: {goal.verdict}")
    print(f"wrote {markdown} and {json_path} (logs in {workdir})")
    return 1 if any(figure.error for figure in figures) else 0
