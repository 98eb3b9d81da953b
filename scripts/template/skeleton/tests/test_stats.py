"""service_template.stats: the heavy-dependency pattern (the `ml` extra)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from service_template import ServiceTemplateError
from tests.conftest import ROOT


def test_stats_import_needs_no_extra() -> None:
    """Importing the module never imports numpy: production can import the package safely."""
    code = "import sys, service_template.stats; print('numpy' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    ).stdout
    assert out.strip() == "False"


def test_summarize_without_the_extra_names_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "numpy", None)  # as if the extra were not installed
    from service_template.stats import summarize

    with pytest.raises(ServiceTemplateError, match="uv sync --extra ml"):
        summarize([1.0])


def test_summarize_computes_the_statistics() -> None:
    pytest.importorskip("numpy", reason="needs the 'ml' extra: uv sync --extra ml")
    from service_template.stats import summarize

    assert summarize([1.0, 2.0, 3.0]) == {
        "mean": 2.0,
        "std": pytest.approx(0.8165, abs=1e-4),
        "min": 1.0,
        "max": 3.0,
    }


def test_summarize_empty_values_raises() -> None:
    pytest.importorskip("numpy", reason="needs the 'ml' extra: uv sync --extra ml")
    from service_template.stats import summarize

    with pytest.raises(ServiceTemplateError, match="no values"):
        summarize([])
