"""Every tool of the example runs as `python -m tools.<name> --help` and shows a real invocation."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.conftest import ROOT

TOOLS = ROOT / "tools"


def runnable_tools() -> list[str]:
    """Modules with a `__main__` guard, and packages with a __main__.py, under tools/."""
    found = set()
    for path in TOOLS.rglob("*.py"):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        if path.name == "__main__.py":
            found.add(name.removesuffix(".__main__"))
        elif re.search(r'^if __name__ == "__main__":', path.read_text(), re.M):
            found.add(name)
    return sorted(found)


def test_tools_are_found() -> None:
    assert {"tools.asr_client", "tools.standin", "tools.make_fixtures"} <= set(runnable_tools())


@pytest.mark.parametrize("module", runnable_tools())
def test_tool_help_runs_as_a_module_and_shows_a_real_invocation(module: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", module, "--help"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert (done.returncode, done.stderr) == (0, "")
    assert done.stdout.startswith(f"usage: python -m {module} ")
    assert f"python -m {module} " in done.stdout.split("\n\n", 1)[1]  # an example after usage
