"""Figure: `make render-reqs` (pip-compile) against `uv pip compile` on the same inputs, warm.

Both compile requirements-render.in with uv.lock's pins as constraints, for CPython 3.11 on
x86_64 Linux, hashed, isolated from pip's and uv's configuration, from PyPI. render-reqs writes
to a temporary file here (its --output), so the committed file is never touched; it still
seeds pip-compile with the committed file, as `make render-reqs` does.
"""

from __future__ import annotations

import re
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from scripts import lockfile
from scripts.pipenv import PYPI_INDEX, isolated_pip_env
from scripts.proc import ScriptError, run
from scripts.project import load_project
from scripts.pythons import find_uv
from scripts.requirements import RENDER_IN, requirement_lines
from tools.bench.context import Context
from tools.bench.figure import Figure, Goal, at_most

ROOT = Path(__file__).resolve().parents[2]
TITLE = "render-reqs (pip-compile) against uv pip compile"
COMMAND = "python -m tools.bench --only compile"
GOALS = (
    "`make render-reqs` ≤ 10 s warm (issue 7)",
    "the same pins as `uv pip compile`",
    "byte-identical to the committed requirements-render.txt (issue 7)",
)
PLATFORM = "x86_64-unknown-linux-gnu"
PYTHON_MINOR = "3.11"
RENDER_REQS_GOAL_S = 10.0  # issue 7: `make render-reqs` <= 10 s warm
TIMEOUT_S = 900.0
_HASH = re.compile(r"--hash=(\S+)")


def render_reqs_command(output: Path) -> list[str]:
    return [sys.executable, "-m", "scripts.render_reqs", "--output", str(output)]


def uv_command(uv: str, constraints: Path, output: Path) -> list[str]:
    return [
        uv,
        "pip",
        "compile",
        "--no-config",
        "--quiet",
        "--python-platform",
        PLATFORM,
        "--python-version",
        PYTHON_MINOR,
        "--generate-hashes",
        "--index-url",
        PYPI_INDEX,
        "--constraints",
        str(constraints),
        RENDER_IN,
        "--output-file",
        str(output),
    ]


def pins_of(text: str) -> dict[str, tuple[str, frozenset[str]]]:
    """name -> (version, hashes) of a compiled, hashed requirements file."""
    found: dict[str, tuple[str, frozenset[str]]] = {}
    for line in requirement_lines(text):
        if line.startswith("-"):
            continue
        requirement = Requirement(line.split(" --hash", 1)[0].split(";", 1)[0])
        exact = [spec.version for spec in requirement.specifier if spec.operator == "=="]
        version = exact[0] if exact else str(requirement.specifier)
        found[canonicalize_name(requirement.name)] = (version, frozenset(_HASH.findall(line)))
    return found


def differences(ours: str, theirs: str) -> tuple[list[str], list[str]]:
    """(pins that differ, pins whose hash sets differ) between two compiled files."""
    a, b = pins_of(ours), pins_of(theirs)
    pins = sorted(
        f"{name}: {a[name][0] if name in a else '-'} / {b[name][0] if name in b else '-'}"
        for name in a.keys() | b.keys()
        if (a.get(name) or ("",))[0] != (b.get(name) or ("",))[0]
    )
    hashes = sorted(name for name in a.keys() & b.keys() if a[name][1] != b[name][1])
    return pins, hashes


def timed(command: Sequence[str], env: dict[str, str]) -> float:
    started = time.monotonic()
    run(command, cwd=ROOT, env=env, timeout=TIMEOUT_S)
    return time.monotonic() - started


def measure(ctx: Context) -> Figure:
    figure = Figure("compile", TITLE, COMMAND)
    uv = find_uv()
    if uv is None:
        raise ScriptError("uv not found: run `make install` or put uv on PATH")
    project = load_project(ROOT)
    work = ctx.workdir / "compile"
    work.mkdir()
    constraints = work / "uv-lock-constraints.txt"
    constraints.write_text(lockfile.constraints_text(project.require_lock(), project.name))
    ours_out, uv_out = work / "render-reqs.txt", work / "uv.txt"
    runs = int(ctx.pick(2, 1))
    env = isolated_pip_env()
    commands = {
        "render-reqs": render_reqs_command(ours_out),
        "uv": uv_command(uv, constraints, uv_out),
    }
    if not ctx.quick:
        for command in commands.values():
            timed(command, env)  # warm the caches; not counted
    seconds = {
        name: [timed(command, env) for _ in range(runs)] for name, command in commands.items()
    }
    ours, theirs = ours_out.read_text(), uv_out.read_text()
    pins, hashes = differences(ours, theirs)
    committed = (ROOT / "requirements-render.txt").read_bytes() == ours.encode()
    ours_s, uv_s = (statistics.median(seconds[name]) for name in ("render-reqs", "uv"))
    count = len(pins_of(ours))
    figure.rows = [
        ["compiler", "wall, warm (median)", "runs", "pins"],
        [
            "`make render-reqs` (pip-compile, seeded)",
            f"{ours_s:.1f} s",
            fmt_runs(seconds["render-reqs"]),
            str(count),
        ],
        ["`uv pip compile`", f"{uv_s:.1f} s", fmt_runs(seconds["uv"]), str(len(pins_of(theirs)))],
    ]
    same = "identical" if not pins else f"{len(pins)} differ: {'; '.join(pins)}"
    figure.headline = f"`make render-reqs` {ours_s:.1f} s, `uv pip compile` {uv_s:.1f} s warm; " + (
        "the same pins" if not pins else f"{len(pins)} pins differ"
    )
    figure.goals = [
        at_most(
            GOALS[0],
            ours_s,
            RENDER_REQS_GOAL_S,
            f"{ours_s:.1f} s",
            f"{ours_s - RENDER_REQS_GOAL_S:.1f} s over; uv took {uv_s:.1f} s",
        ),
        Goal(
            GOALS[1],
            same,
            not pins,
            "" if not pins else "the two resolvers chose different versions",
        ),
        Goal(
            GOALS[2],
            "yes" if committed else "no",
            committed,
            "" if committed else "run `make render-reqs` and commit the file",
        ),
    ]
    figure.numbers = {
        "render_reqs_s": [round(s, 2) for s in seconds["render-reqs"]],
        "uv_s": [round(s, 2) for s in seconds["uv"]],
        "speedup": round(ours_s / uv_s, 1) if uv_s else 0.0,
        "pins": count,
        "pin_differences": pins,
        "hash_differences": hashes,
    }
    figure.notes = [
        f"uv was {ours_s / uv_s:.0f}x faster." if uv_s else "",
        "Hashes: "
        + (
            "the same for every pin."
            if not hashes
            else f"differ for {', '.join(hashes)} (pip-compile seeded from the committed "
            "file keeps the hashes it had; uv lists every file on the index)."
        ),
        (
            "Warm: each command ran once before the timed runs."
            if not ctx.quick
            else "--quick: one run each, with whatever the caches held (not warmed first)."
        ),
        f"uv: `uv pip compile --no-config --python-platform {PLATFORM} --python-version "
        f"{PYTHON_MINOR} --generate-hashes --index-url {PYPI_INDEX} --constraints "
        f"<uv.lock's pins> {RENDER_IN}`. Both need PyPI.",
    ]
    figure.notes = [note for note in figure.notes if note]
    return figure


def fmt_runs(values: Sequence[float]) -> str:
    return ", ".join(f"{v:.1f}" for v in values)
