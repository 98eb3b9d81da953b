"""The line between the pipeline and the example: no pipeline file names a part of the example.

The pipeline's files (scripts/template/files.toml) travel to every adopted project, which
must not find the example's names in them; the example's names are listed here, in the
example's own test.
"""

from __future__ import annotations

import re
import subprocess

import pytest

from scripts.template.files import read_ownership
from tests.conftest import ROOT

EXAMPLE_NAMES = ("featherweight", "asr", "gradio", "pocketsphinx", "sensevoice", "funasr", "HF_")


def pipeline_files() -> list[str]:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.split()
    ownership = read_ownership(ROOT)
    return [name for name in tracked if ownership.is_pipeline(name)]


@pytest.mark.parametrize("word", EXAMPLE_NAMES)
def test_boundary_pipeline_files_never_name_the_example(word: str) -> None:
    pattern = re.compile(rf"(?<![A-Za-z0-9]){re.escape(word)}", re.IGNORECASE)
    found = [
        name
        for name in pipeline_files()
        if pattern.search((ROOT / name).read_text(encoding="utf-8", errors="replace"))
    ]
    assert found == []


def test_boundary_the_pipeline_owns_its_scripts_tests_and_docs() -> None:
    files = pipeline_files()
    assert "scripts/pipeline.mk" in files
    assert "docs/TEMPLATE.md" in files
    assert not any(name.startswith("scripts/template/skeleton/") for name in files)
