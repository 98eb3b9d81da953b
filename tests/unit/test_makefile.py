"""The Makefile stays self-documenting, and the README lists what it offers."""

from __future__ import annotations

import re
import subprocess

from tests.conftest import ROOT

PHONY = re.compile(r"^\.PHONY: ([a-z-]+)(.*)$", re.M)


def _phony_lines() -> list[tuple[str, str]]:
    return PHONY.findall((ROOT / "Makefile").read_text())


def test_makefile_every_phony_target_has_a_description():
    missing = [name for name, rest in _phony_lines() if not re.match(r" +## \S", rest)]
    assert missing == []


def test_makefile_every_phony_target_has_a_rule():
    text = (ROOT / "Makefile").read_text()
    missing = [name for name, _ in _phony_lines() if not re.search(rf"^{name}:", text, re.M)]
    assert missing == []


def test_makefile_default_goal_prints_every_target():
    out = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT)],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    listed = re.findall(r"^  ([a-z-]+) ", out, re.M)
    assert listed == [name for name, _ in _phony_lines()]


def test_readme_target_table_matches_makefile():
    readme = (ROOT / "README.md").read_text()
    in_table = re.findall(r"^\| `make ([a-z-]+)` \|", readme, re.M)
    assert sorted(in_table) == sorted(name for name, _ in _phony_lines())


def test_readme_starts_with_the_two_setup_commands():
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^(make [a-z-]+)$", readme, re.M)
    assert commands[:2] == ["make run", "make test-backend"]


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^make test-backend\b", ci, re.M)
