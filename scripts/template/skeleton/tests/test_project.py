"""The project's own promises: the README's commands and targets exist, and CI runs them."""

from __future__ import annotations

import re
import subprocess

from tests.conftest import ROOT


def make_targets() -> list[str]:
    out = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT)],
        capture_output=True, text=True, check=True, timeout=30,
    ).stdout  # fmt: skip
    return re.findall(r"^  ([a-z-]+) ", out, re.M)


def test_readme_targets_all_exist() -> None:
    readme = (ROOT / "README.md").read_text()
    listed = re.findall(r"^\| `make ([a-z-]+)` \|", readme, re.M)
    assert listed
    assert sorted(set(listed) - set(make_targets())) == []


def test_readme_lists_every_target_of_the_project_makefile() -> None:
    readme = (ROOT / "README.md").read_text()
    own = re.findall(r"^\.PHONY: ([a-z-]+)", (ROOT / "Makefile").read_text(), re.M)
    assert [name for name in own if f"| `make {name}` |" not in readme] == []


def test_readme_starts_with_the_two_setup_commands() -> None:
    commands = re.findall(r"^(make [a-z-]+)$", (ROOT / "README.md").read_text(), re.M)
    assert commands[:2] == ["make run", "make test-backend"]


def test_ci_runs_the_readme_test_command() -> None:
    assert re.search(r"^make test-backend\b", (ROOT / ".ci" / "run").read_text(), re.M)
