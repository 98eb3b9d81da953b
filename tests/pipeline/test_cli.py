"""Every pipeline command runs as `python -m scripts.<name> --help` and shows a real invocation."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

import scripts

PIPELINE = Path(scripts.__file__).parent
# Each command and an invocation its help must show (the make target that runs it).
COMMANDS = {
    "scripts.render_reqs": "make render-reqs",
    "scripts.render_reqs_check": "make render-reqs-check",
    "scripts.check_blueprint": "make render-yaml-check",
    "scripts.render_sim": "make render-sim",
    "scripts.deploy": "make deploy",
    "scripts.upgrade": "make upgrade",
    "scripts.template.adopt": "make adopt",
    "scripts.template.update": "make template-update",
    "scripts.bootstrap_uv": "python3 scripts/bootstrap_uv.py --version 0.13.8 --dest .tools",
}


def runnable_modules() -> set[str]:
    """Modules with a `__main__` guard, and packages with a __main__.py."""
    found = set()
    for path in PIPELINE.rglob("*.py"):
        name = ".".join(path.relative_to(PIPELINE.parent).with_suffix("").parts)
        if path.name == "__main__.py":
            found.add(name.removesuffix(".__main__"))
        elif re.search(r'^if __name__ == "__main__":', path.read_text(), re.M):
            found.add(name)
    return found


def test_every_runnable_module_has_a_case_here() -> None:
    assert runnable_modules() == set(COMMANDS)


@pytest.mark.parametrize("module", sorted(COMMANDS))
def test_module_help_runs_and_shows_a_real_invocation(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", module, "--help"],
        cwd=PIPELINE.parent,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith("usage: ")
    assert COMMANDS[module] in done.stdout
    if module != "scripts.bootstrap_uv":  # run as a file by the Makefile
        assert done.stdout.startswith(f"usage: python -m {module} ")


@pytest.mark.parametrize("module", sorted(COMMANDS))
def test_module_bad_arguments_exit_2(module: str, capsys: pytest.CaptureFixture[str]) -> None:
    cli = importlib.import_module(f"{module}.cli" if module == "scripts.render_sim" else module)

    with pytest.raises(SystemExit) as caught:
        cli.main(["--no-such-flag"])

    assert caught.value.code == 2
    assert ": error: " in capsys.readouterr().err  # argparse's one line, after the usage
