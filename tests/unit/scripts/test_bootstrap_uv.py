"""scripts/bootstrap_uv.py: the uv installer the Makefile falls back on."""

from __future__ import annotations

import subprocess
import sys

from scripts import bootstrap_uv
from tests.conftest import ROOT


def test_bootstrap_uv_install_failure_returns_one_line_and_exit_1(tmp_path, monkeypatch, capsys):
    def failing_run(cmd, **kwargs):
        return subprocess.CompletedProcess(cmd, 1)

    monkeypatch.setattr(bootstrap_uv.subprocess, "run", failing_run)
    monkeypatch.setattr(bootstrap_uv.venv.EnvBuilder, "create", lambda self, d: None)

    assert bootstrap_uv.main(["--version", "0.0.0", "--dest", str(tmp_path)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("error: pip could not install uv==0.0.0")
    assert not (tmp_path / "bin" / "uv").exists()


def test_bootstrap_uv_success_links_bin_uv_into_the_venv(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(
        bootstrap_uv.subprocess, "run", lambda cmd, **kw: subprocess.CompletedProcess(cmd, 0)
    )
    monkeypatch.setattr(bootstrap_uv.venv.EnvBuilder, "create", lambda self, d: None)

    assert bootstrap_uv.main(["--version", "0.13.8", "--dest", str(tmp_path)]) == 0
    link = tmp_path / "bin" / "uv"
    assert link.is_symlink()
    assert link.readlink().as_posix() == "../venv/bin/uv"
    assert capsys.readouterr().out.strip() == str(link)


def test_bootstrap_uv_help_runs_as_a_file():
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "bootstrap_uv.py"), "--help"],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    ).stdout
    assert "bootstrap_uv.py --version" in out
