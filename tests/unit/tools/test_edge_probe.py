"""tools.edge_probe: its --help runs as a module (the measurements start real servers)."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_edge_probe_help_runs_as_module():
    out = subprocess.run(
        [sys.executable, "-m", "tools.edge_probe", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    assert "python -m tools.edge_probe spool --size-mb 100" in out
