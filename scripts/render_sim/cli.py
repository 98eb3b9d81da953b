"""Replay render.yaml as Render would: build and start a clean copy of the tree, then probe it."""

from __future__ import annotations

import argparse
import shutil
import signal
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from types import FrameType

from scripts.config import WHERE
from scripts.proc import progress
from scripts.project import ROOT
from scripts.render_sim.report import format_json, format_table
from scripts.render_sim.run import Options, Simulation

EPILOG = f"""\
examples:
  make render-sim                                    # the committed tree of this repository
  make render-sim SIM_ARGS="--worktree --no-declared"  # uncommitted changes, generic steps only
  python -m scripts.render_sim --project-dir ../my-service --json report.json

The generic steps run for every project. The stand-in services and probes a project declares
in pyproject.toml ({WHERE} sim.services and sim.probes; see docs/TEMPLATE.md)
run after them, from the project directory and its development environment.
Secrets (sync: false in render.yaml) are taken from your environment when set.
"""
BUILD_TIMEOUT = 1800.0
HEALTH_TIMEOUT = 120.0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.render_sim",
        description=__doc__,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--project-dir",
        type=Path,
        default=ROOT,
        help="git repository whose render.yaml to replay (default: this one)",
    )
    parser.add_argument(
        "--worktree",
        action="store_true",
        help="use the working tree (tracked and untracked, not ignored files) "
        "instead of the committed tree",
    )
    parser.add_argument(
        "--python",
        metavar="PATH",
        help="interpreter for the venv instead of the version render.yaml names",
    )
    parser.add_argument(
        "--no-declared",
        action="store_true",
        help="skip the services and probes the project declares; run the generic steps only",
    )
    parser.add_argument(
        "--json",
        metavar="PATH",
        help="also write the report as JSON to PATH ('-': stdout, table to stderr)",
    )
    parser.add_argument(
        "--keep",
        action="store_true",
        help="keep the temporary copy, venv and logs, and print where they are",
    )
    parser.add_argument(
        "--build-timeout",
        type=float,
        default=BUILD_TIMEOUT,
        metavar="S",
        help=f"seconds the build command may take (default {BUILD_TIMEOUT:g})",
    )
    parser.add_argument(
        "--health-timeout",
        type=float,
        default=HEALTH_TIMEOUT,
        metavar="S",
        help=f"seconds to wait for the health check (default {HEALTH_TIMEOUT:g})",
    )
    parser.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="stream the build's output instead of keeping it in build.log",
    )
    return parser


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    project: Path = args.project_dir
    if not (project / ".git").exists():
        print(f"error: --project-dir {project} is not the top of a git repository", file=sys.stderr)
        return 2
    options = Options(
        project_dir=project,
        worktree=args.worktree,
        python=args.python,
        declared=not args.no_declared,
        build_timeout=args.build_timeout,
        health_timeout=args.health_timeout,
        verbose=args.verbose,
    )
    workdir = Path(tempfile.mkdtemp(prefix="render-sim-"))
    # SIGTERM unwinds like Ctrl-C, so the server, the stand-ins and the temp dir are cleaned up.
    previous = signal.signal(signal.SIGTERM, _exit_on_signal)
    try:
        report = Simulation(options, workdir).run()
    finally:
        signal.signal(signal.SIGTERM, previous)
        if args.keep:
            progress(f"kept {workdir} (src/, src/.venv, build.log, server.log)")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    table = format_table(report)
    if args.json == "-":
        sys.stdout.write(format_json(report))
        sys.stderr.write(table)
    else:
        sys.stdout.write(table)
        if args.json:
            Path(args.json).write_text(format_json(report))
    return 0 if report.ok else 1
