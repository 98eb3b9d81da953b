"""`python -m tools.bench --quick` on its two offline figures: a real uvicorn, a real report."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_bench_quick_frames_and_download_writes_the_report(tmp_path):
    out = tmp_path / "out"
    command = [
        sys.executable,
        "-m",
        "tools.bench",
        "--quick",
        "--only",
        "download",
        "--only",
        "frames",
        "--out",
        str(out),
        "--workdir",
        str(tmp_path / "work"),
    ]

    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)

    assert done.returncode == 0, done.stderr[-3000:]
    data = json.loads((out / "report.json").read_text())
    frames, download = data["figures"]["frames"], data["figures"]["download"]
    assert list(data["figures"]) == ["frames", "download"]
    assert (frames["quick"], frames["error"], download["error"]) == (True, None, None)
    for endpoint in ("asr", "echo"):
        assert frames["numbers"][endpoint]["closes"] == {"1000": 14}
        assert frames["numbers"][endpoint]["cpu_us_per_frame"] > 0
    assert 0 < download["numbers"]["lean_bytes"] < download["numbers"]["full_bytes"]
    report = (out / "REPORT.md").read_text()
    assert "## 1. WebSocket per-frame cost against a bare echo" in report
    assert "by a --quick run" in report
