"""Compile requirements-render.txt for Render: pinned to uv.lock's versions, hashed, reproducible.

pip-compile runs from the dev environment under the Python minor version that Render will use,
isolated from any pip configuration, with every version in uv.lock passed as a constraint. The
output records a fingerprint of its inputs so `make render-reqs-check` can tell, offline,
whether it is current. The committed file seeds the output, so pip-compile reuses its hashes
instead of downloading every file again; the result is the same bytes.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from scripts import lockfile
from scripts.pipenv import isolated_pip_env
from scripts.proc import ScriptError, UsageError, guarded, progress, run
from scripts.project import ROOT, Project, load_project
from scripts.pythons import minor_of
from scripts.requirements import (
    COMMAND,
    COMPILE_FLAGS,
    RENDER_IN,
    RENDER_TXT,
    fingerprint,
    finish_output,
    parse_pins,
)

CONSTRAINTS_NAME = "uv-lock-constraints.txt"
TIMEOUT_S = 900


def target_minor(project: Project, current: tuple[int, ...]) -> str:
    """Render's Python minor; ScriptError when this interpreter (version_info) is another."""
    version, source = project.render_python()
    want = minor_of(version)
    have = f"{current[0]}.{current[1]}"
    if want != have:
        raise ScriptError(
            f"{source} names Python {want} but this is {have}: "
            f"run `uv run --python {want} python -m scripts.render_reqs`"
        )
    return want


def check_platform(platform: str) -> None:
    """ScriptError unless `platform` (sys.platform) is Linux: pins and hashes depend on it."""
    if platform != "linux":
        raise ScriptError(
            f"Render builds on Linux but this is {platform}: run `{COMMAND}` on Linux "
            "(a container will do)"
        )


def compile_command(in_name: str, constraints: Path, output: Path) -> list[str]:
    """The pip-compile command line, run from the project root."""
    return [
        sys.executable, "-m", "piptools", "compile", *COMPILE_FLAGS,
        "--constraint", str(constraints), "--output-file", str(output), in_name,
    ]  # fmt: skip


def compile_requirements(project: Project, python_minor: str) -> str:
    """Run pip-compile on the project's .in with uv.lock's constraints; return the final text."""
    lock = project.require_lock()
    in_text = project.render_in or ""
    with tempfile.TemporaryDirectory(prefix="render-reqs-") as tmp:
        constraints = Path(tmp) / CONSTRAINTS_NAME
        constraints.write_text(lockfile.constraints_text(lock, project.name))
        output = Path(tmp) / RENDER_TXT
        if project.render_txt is not None:
            shutil.copyfile(project.root / RENDER_TXT, output)  # its hashes are reused
        env = isolated_pip_env()
        env["CUSTOM_COMPILE_COMMAND"] = COMMAND
        run(
            compile_command(RENDER_IN, constraints, output),
            cwd=project.root,
            env=env,
            timeout=TIMEOUT_S,
        )
        raw = output.read_text()
    return finish_output(raw, str(constraints), fingerprint(in_text, python_minor))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.render_reqs",
        description=__doc__.splitlines()[0] if __doc__ else None,
        epilog="example: make render-reqs  (= uv run python -m scripts.render_reqs)",
    )
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="project directory (default: this repository)"
    )
    parser.add_argument("--output", type=Path, help=f"where to write (default: ROOT/{RENDER_TXT})")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return guarded("error", lambda: compile_project(args.root, args.output))


def compile_project(root: Path, output_arg: Path | None) -> int:
    """Compile the render file of the project at `root`; print what happened."""
    project = load_project(root)
    if project.render_in is None:
        raise UsageError(f"{project.root / RENDER_IN} not found: create it (see the docs)")
    output: Path = output_arg or project.root / RENDER_TXT
    minor = target_minor(project, tuple(sys.version_info[:2]))
    check_platform(sys.platform)
    stale = project.stale_lock()
    if stale:
        raise ScriptError(f"uv.lock is stale: {stale}: run `uv lock`, then `{COMMAND}`")
    progress(f"pip-compile {RENDER_IN} for Python {minor} with uv.lock constraints")
    text = compile_requirements(project, minor)
    changed = not output.exists() or output.read_bytes() != text.encode()
    if changed:
        output.write_bytes(text.encode())
    pins = len(parse_pins(text))
    print(f"{output.name}: {pins} pins for Python {minor}, {'updated' if changed else 'unchanged'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
