"""scripts/bootstrap_uv.py: the uv installer the Makefile falls back on (pip faked at its seam)."""

from __future__ import annotations

import subprocess
import sys
import venv
from pathlib import Path
from typing import Any

import pytest

from scripts import bootstrap_uv


class FakePip:
    """Answers every subprocess call with `code` and records its command."""

    def __init__(self) -> None:
        self.code = 0
        self.calls: list[list[str]] = []

    def __call__(self, cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        self.calls.append(cmd)
        return subprocess.CompletedProcess(cmd, self.code)


@pytest.fixture
def fake_pip(monkeypatch: pytest.MonkeyPatch) -> FakePip:
    """No venv is built, and pip is faked at the subprocess seam."""
    fake = FakePip()
    monkeypatch.setattr(subprocess, "run", fake)
    monkeypatch.setattr(venv.EnvBuilder, "create", lambda self, d: None)
    return fake


def test_bootstrap_uv_links_bin_uv_into_its_own_venv(
    tmp_path: Path, fake_pip: FakePip, capsys: pytest.CaptureFixture[str]
) -> None:
    assert bootstrap_uv.main(["--version", "0.13.8", "--dest", str(tmp_path)]) == 0

    link = tmp_path / "bin" / "uv"
    assert link.is_symlink()
    assert link.readlink().as_posix() == "../venv/bin/uv"
    (pip,) = fake_pip.calls
    assert pip[0] == str(tmp_path / "venv" / "bin" / "python")
    assert pip[-1] == "uv==0.13.8"
    assert capsys.readouterr().out.strip() == str(link)


def test_bootstrap_uv_pip_failure_is_one_line_and_links_nothing(
    tmp_path: Path, fake_pip: FakePip, capsys: pytest.CaptureFixture[str]
) -> None:
    fake_pip.code = 1

    assert bootstrap_uv.main(["--version", "0.0.0", "--dest", str(tmp_path)]) == 1

    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1] == (
        "error: pip could not install uv==0.0.0 (exit 1): check the network or install uv "
        "yourself (https://docs.astral.sh/uv/) and run make again"
    )
    assert not (tmp_path / "bin" / "uv").exists()


def test_bootstrap_uv_runs_as_a_file_on_the_standard_library_alone() -> None:
    """The Makefile runs it with python3 before anything is installed: -I hides site-packages."""
    script = Path(bootstrap_uv.__file__)

    done = subprocess.run(
        [sys.executable, "-I", str(script), "--help"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert done.returncode == 0, done.stderr
    assert "python3 scripts/bootstrap_uv.py --version" in done.stdout
