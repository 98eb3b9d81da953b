"""This project's Makefile and scripts/pipeline.mk: every target documented, and the README and
CI say the same. (The pipeline's own make targets are tested in tests/pipeline/test_pipeline_mk.)"""

from __future__ import annotations

import re
import subprocess

from tests.conftest import ROOT

PHONY = re.compile(r"^\.PHONY: ([a-z-]+)(.*)$", re.M)
MAKEFILES = (ROOT / "Makefile", ROOT / "scripts" / "pipeline.mk")


def phony_lines() -> list[tuple[str, str]]:
    return [line for path in MAKEFILES for line in PHONY.findall(path.read_text())]


def help_targets() -> list[str]:
    out = subprocess.run(
        ["make", "--no-print-directory", "-C", str(ROOT), "help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    return re.findall(r"^  ([a-z-]+) ", out, re.M)


def test_makefile_every_phony_target_is_documented_and_has_a_rule() -> None:
    undocumented = [name for name, rest in phony_lines() if not re.match(r" +## \S", rest)]
    text = "\n".join(path.read_text() for path in MAKEFILES)
    ruleless = [name for name, _ in phony_lines() if not re.search(rf"^{name}:", text, re.M)]

    assert (undocumented, ruleless) == ([], [])


def test_make_help_lists_every_target_of_both_files() -> None:
    assert sorted(help_targets()) == sorted(name for name, _ in phony_lines())


def test_readme_target_table_matches_make_help() -> None:
    readme = (ROOT / "README.md").read_text()
    in_table = re.findall(r"^\| `make ([a-z-]+)` \|", readme, re.M)

    assert sorted(in_table) == sorted(help_targets())


def test_readme_starts_with_the_two_setup_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    commands = re.findall(r"^(make [a-z-]+)$", readme, re.M)

    assert commands[:2] == ["make run", "make test-backend"]


def test_ci_runs_the_readme_test_command() -> None:
    ci = (ROOT / ".ci" / "run").read_text()

    assert re.search(r"^make test-backend\b", ci, re.M)
