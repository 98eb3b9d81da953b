"""tools.standin: its pure parts, main() with the subprocess seam patched, and a --help smoke."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from scripts.proc import ScriptError
from tools import standin


@pytest.fixture
def requirements(tmp_path: Path) -> Path:
    path = tmp_path / "requirements.txt"
    path.write_text("six==1.17.0 --hash=sha256:00\n")
    return path


@pytest.fixture
def recorded_runs(monkeypatch: pytest.MonkeyPatch) -> list[tuple[list[str], dict[str, Any]]]:
    """Patch the subprocess seam; a `venv` command creates the venv's python like the real one."""
    runs: list[tuple[list[str], dict[str, Any]]] = []

    def fake_run(cmd: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        runs.append((list(cmd), kwargs))
        if "venv" in cmd:
            python = standin.venv_python(Path(cmd[-1]))
            python.parent.mkdir(parents=True)
            python.touch()
        return subprocess.CompletedProcess(cmd, 0, "", "")

    monkeypatch.setattr(standin, "run", fake_run)
    return runs


def test_requirements_key_changed_file_changes_key(requirements: Path) -> None:
    before = standin.requirements_key(requirements)
    requirements.write_text("six==1.16.0 --hash=sha256:11\n")
    assert standin.requirements_key(requirements) != before
    assert len(before) == 16


def test_install_commands_with_uv_use_python_311_and_require_hashes(tmp_path: Path) -> None:
    venv, install = standin.install_commands(tmp_path / "env", Path("req.txt"), "/bin/uv")
    assert venv == ["/bin/uv", "venv", "--no-config", "--python", "3.11", str(tmp_path / "env")]
    assert install[:4] == ["/bin/uv", "pip", "install", "--no-config"]
    assert install[-3:] == ["--require-hashes", "-r", "req.txt"]
    assert str(tmp_path / "env" / "bin" / "python") in install


def test_install_commands_without_uv_use_python311_venv_and_pip(tmp_path: Path) -> None:
    venv, install = standin.install_commands(tmp_path / "env", Path("req.txt"), None)
    assert venv[:3] == ["python3.11", "-m", "venv"]
    assert install[1:4] == ["-m", "pip", "install"]
    assert "--require-hashes" in install


def test_compile_command_pins_linux_311_with_hashes_and_no_index() -> None:
    cmd = standin.compile_command("uv", "requirements.in", "requirements.txt")
    joined = " ".join(cmd)
    assert "--python-version 3.11 --python-platform x86_64-unknown-linux-gnu" in joined
    assert "--generate-hashes" in cmd
    assert "--no-emit-index-url" in cmd
    assert "--custom-compile-command" in cmd


def test_find_uv_explicit_path_wins() -> None:
    assert standin.find_uv("/opt/uv") == "/opt/uv"


def test_find_uv_not_on_path_falls_back_to_project_tools(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert standin.find_uv(root=tmp_path) is None
    local = tmp_path / ".tools" / "bin" / "uv"
    local.parent.mkdir(parents=True)
    local.touch()
    assert standin.find_uv(root=tmp_path) == str(local)


def test_ensure_env_builds_once_isolated_from_pip_config(
    tmp_path: Path,
    requirements: Path,
    recorded_runs: list[tuple[list[str], dict[str, Any]]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("PIP_CONSTRAINT", "/etc/constraints.txt")
    python = standin.ensure_env(tmp_path / "cache", requirements=requirements, uv="uv")
    again = standin.ensure_env(tmp_path / "cache", requirements=requirements, uv="uv")
    assert python == again
    assert python.parent.parent.name == standin.requirements_key(requirements)
    assert len(recorded_runs) == 2
    env = recorded_runs[1][1]["env"]
    assert "PIP_CONSTRAINT" not in env
    assert env["PIP_CONFIG_FILE"] == "/dev/null"


def test_ensure_env_changed_requirements_builds_fresh_env_and_drops_old(
    tmp_path: Path, requirements: Path, recorded_runs: list[tuple[list[str], dict[str, Any]]]
) -> None:
    first = standin.ensure_env(tmp_path / "cache", requirements=requirements, uv="uv")
    requirements.write_text("six==1.16.0 --hash=sha256:11\n")
    second = standin.ensure_env(tmp_path / "cache", requirements=requirements, uv="uv")
    assert second != first
    assert not first.exists()
    assert len(recorded_runs) == 4


def test_ensure_env_interrupted_build_is_rebuilt(
    tmp_path: Path, requirements: Path, recorded_runs: list[tuple[list[str], dict[str, Any]]]
) -> None:
    python = standin.ensure_env(tmp_path / "cache", requirements=requirements, uv="uv")
    (python.parent.parent / standin.COMPLETE_MARKER).unlink()
    standin.ensure_env(tmp_path / "cache", requirements=requirements, uv="uv")
    assert len(recorded_runs) == 4


def test_space_env_turns_analytics_and_hub_off_and_drops_our_venv() -> None:
    env = standin.space_env({"PYTHONPATH": "/x", "VIRTUAL_ENV": "/v", "HOME": "/h"})
    assert env["GRADIO_ANALYTICS_ENABLED"] == "False"
    assert env["HF_HUB_OFFLINE"] == "1"
    assert "PYTHONPATH" not in env
    assert "VIRTUAL_ENV" not in env
    assert env["HOME"] == "/h"


def test_running_space_app_exits_raises_with_log_tail(tmp_path: Path) -> None:
    """A python that cannot run the app: the error comes at once and quotes its log."""
    fake_python = tmp_path / "python"
    fake_python.write_text("#!/bin/sh\necho 'ModuleNotFoundError: gradio' >&2\nexit 3\n")
    fake_python.chmod(0o755)
    with (
        pytest.raises(ScriptError, match=r"(?s)exited with code 3.*ModuleNotFoundError: gradio"),
        standin.running_space(python=fake_python),
    ):
        pass


def test_running_space_never_answers_raises_after_startup_timeout(tmp_path: Path) -> None:
    fake_python = tmp_path / "python"
    fake_python.write_text("#!/bin/sh\necho starting\nexec sleep 30\n")
    fake_python.chmod(0o755)
    with (
        pytest.raises(ScriptError, match=r"(?s)^waited 0.3 s for http://\S+/config to .*starting"),
        standin.running_space(python=fake_python, startup_timeout=0.3),
    ):
        pass


def test_main_ensure_prints_python_path(
    tmp_path: Path,
    recorded_runs: list[tuple[list[str], dict[str, Any]]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert standin.main(["--uv", "uv", "--cache-dir", str(tmp_path), "ensure"]) == 0
    out, err = capsys.readouterr()
    assert out.strip().startswith(str(tmp_path))
    assert out.strip().endswith("bin/python")
    assert "==> " in err


def test_main_failed_install_returns_1_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    def failing_run(cmd: list[str], **kwargs: Any) -> None:
        raise ScriptError("'uv venv' failed with exit code 2: no Python 3.11 found")

    monkeypatch.setattr(standin, "run", failing_run)
    assert standin.main(["--uv", "uv", "--cache-dir", str(tmp_path), "ensure"]) == 1
    assert capsys.readouterr().err.splitlines()[-1] == (
        "error: 'uv venv' failed with exit code 2: no Python 3.11 found"
    )


def test_main_help_shows_invocations_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        standin.main(["--help"])
    assert exit_info.value.code == 0
    assert "python -m tools.standin serve --port 7860" in capsys.readouterr().out


def test_main_no_command_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        standin.main([])
    assert exit_info.value.code == 2
