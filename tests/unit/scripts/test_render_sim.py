"""render-sim's pure parts: Python choice, Render's environment, heavy check, report, probes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from scripts.sim_build import FALLBACK_HEAVY, downloaded_bytes, heavy_installed, heavy_names
from scripts.sim_env import build_env, clean_path
from scripts.sim_probe import loopback_only, missing_keywords, pick_fixture
from scripts.sim_python import (
    Interpreter,
    candidate_paths,
    select_interpreter,
    wanted_version,
)
from scripts.sim_report import FAIL, OK, SKIPPED, Report, Step, format_json, format_table

from scripts import render_sim, sim_run
from scripts.proc import ScriptError
from scripts.project import ROOT


def interp(version: str, path: str = "") -> Interpreter:
    major, minor, patch = (int(n) for n in version.split("."))
    return Interpreter(path=path or f"/py/{version}/bin/python", version=(major, minor, patch))


# --- Python version and interpreter ---------------------------------------------------------


def test_wanted_version_python_version_wins_over_file() -> None:
    assert wanted_version("3.11.14", "3.12") == ("3.11.14", [])


def test_wanted_version_partial_python_version_refused() -> None:
    with pytest.raises(ScriptError, match=r"'3\.11' .*full x\.y\.z"):
        wanted_version("3.11", None)


def test_wanted_version_falls_back_to_python_version_file_with_note() -> None:
    version, notes = wanted_version(None, "3.11")
    assert version == "3.11"
    assert ".python-version" in notes[0]


def test_wanted_version_nothing_named_warns_about_render_default() -> None:
    version, notes = wanted_version(None, None)
    assert version == render_sim_default()
    assert "default" in notes[0]


def render_sim_default() -> str:
    from scripts.sim_python import RENDER_DEFAULT_PYTHON

    return RENDER_DEFAULT_PYTHON


def test_select_interpreter_exact_patch_without_warning() -> None:
    chosen, notes = select_interpreter("3.11.7", [interp("3.11.2"), interp("3.11.7")])
    assert chosen.version == (3, 11, 7)
    assert notes == []


def test_select_interpreter_patch_mismatch_uses_newest_patch_and_warns() -> None:
    found = [interp("3.11.2"), interp("3.11.7"), interp("3.12.1")]
    chosen, notes = select_interpreter("3.11.14", found)
    assert chosen.version == (3, 11, 7)
    assert notes == [
        "render.yaml names 3.11.14; using 3.11.7: pins depend on the minor version only"
    ]


def test_select_interpreter_minor_only_takes_newest_without_warning() -> None:
    chosen, notes = select_interpreter("3.11", [interp("3.11.2"), interp("3.11.7")])
    assert chosen.version == (3, 11, 7)
    assert notes == []


def test_select_interpreter_missing_minor_refused_with_install_hint() -> None:
    with pytest.raises(ScriptError) as caught:
        select_interpreter("3.10.4", [interp("3.11.7"), interp("3.12.1")])
    message = str(caught.value)
    assert "no python3.10" in message
    assert "uv python install 3.10" in message
    assert "pyenv install 3.10" in message
    assert "\n" not in message


def test_candidate_paths_finds_path_and_pyenv_versions(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    on_path = bin_dir / "python3.11"
    on_path.write_text("#!/bin/sh\n")
    on_path.chmod(0o755)
    pyenv_exe = tmp_path / "pyenv" / "versions" / "3.11.9" / "bin" / "python3.11"
    pyenv_exe.parent.mkdir(parents=True)
    pyenv_exe.write_text("")
    (tmp_path / "pyenv" / "versions" / "3.12.1" / "bin").mkdir(parents=True)
    found = candidate_paths("3.11", path_env=str(bin_dir), pyenv_root=tmp_path / "pyenv")
    assert found == [str(on_path), str(pyenv_exe)]


# --- Render's environment -------------------------------------------------------------------


def make_env(base: dict[str, str], tmp_path: Path, **kwargs: object) -> tuple[dict, list[str]]:
    options: dict = {
        "venv": tmp_path / "venv",
        "home": tmp_path / "home",
        "pip_cache": tmp_path / "cache",
        "port": 4321,
        "commit": "abc123",
        "service_name": "svc",
        "blueprint_env": {"PYTHON_VERSION": "3.11.14", "USE_LOCAL_ASR": "false"},
        "secrets": ["HF_TOKEN"],
    }
    options.update(kwargs)
    return build_env(base, **options)


def test_build_env_isolated_from_pip_config_and_caller(tmp_path: Path) -> None:
    base = {
        "PATH": "/usr/bin",
        "PIP_FIND_LINKS": "/opt/wheels",
        "PIP_CONSTRAINT": "/etc/c.txt",
        "UV_INDEX_URL": "x",
        "PYTHONPATH": "/work/main",
        "USE_LOCAL_ASR": "true",
        "SSL_CERT_FILE": "/etc/ssl/cert.pem",
    }
    env, _ = make_env(base, tmp_path)
    assert env["PIP_CONFIG_FILE"] == os.devnull
    assert not {"PIP_FIND_LINKS", "PIP_CONSTRAINT", "UV_INDEX_URL", "PYTHONPATH"} & set(env)
    assert env["PIP_CACHE_DIR"] == str(tmp_path / "cache")
    assert env["USE_LOCAL_ASR"] == "false"  # the Blueprint's value, not the caller's
    assert env["SSL_CERT_FILE"] == "/etc/ssl/cert.pem"
    assert env["HOME"] == str(tmp_path / "home")


def test_build_env_sets_render_variables_and_venv_first(tmp_path: Path) -> None:
    env, _ = make_env({"PATH": "/usr/bin:/bin"}, tmp_path)
    assert env["PORT"] == "4321"
    assert env["RENDER"] == "true"
    assert env["RENDER_GIT_COMMIT"] == "abc123"
    assert env["RENDER_SERVICE_NAME"] == "svc"
    assert env["IS_PULL_REQUEST"] == "false"
    assert env["PYTHON_VERSION"] == "3.11.14"
    assert env["PATH"].split(os.pathsep) == [str(tmp_path / "venv" / "bin"), "/usr/bin", "/bin"]
    assert env["VIRTUAL_ENV"] == str(tmp_path / "venv")


def test_build_env_secret_from_caller_environment(tmp_path: Path) -> None:
    env, notes = make_env({"HF_TOKEN": "hf_x"}, tmp_path)
    assert env["HF_TOKEN"] == "hf_x"
    assert notes == ["secret HF_TOKEN: taken from your environment"]


def test_build_env_secret_missing_left_unset_and_said(tmp_path: Path) -> None:
    env, notes = make_env({}, tmp_path)
    assert "HF_TOKEN" not in env
    assert notes == ["secret HF_TOKEN: not in your environment, left unset"]


def test_build_env_overrides_win(tmp_path: Path) -> None:
    env, _ = make_env({}, tmp_path, blueprint_env={"HF_SPACE": "a/b"},
                      overrides={"HF_SPACE": "http://127.0.0.1:1/"})  # fmt: skip
    assert env["HF_SPACE"] == "http://127.0.0.1:1/"


def test_clean_path_drops_other_virtualenvs(tmp_path: Path) -> None:
    dev = tmp_path / ".venv"
    (dev / "bin").mkdir(parents=True)
    (dev / "pyvenv.cfg").write_text("home = /usr/bin\n")
    path = os.pathsep.join([str(dev / "bin"), "/usr/bin"])
    assert clean_path(path, tmp_path / "sim" / "bin") == os.pathsep.join(
        [str(tmp_path / "sim" / "bin"), "/usr/bin"]
    )


# --- heavy packages and download size -------------------------------------------------------


def test_heavy_installed_reports_added_heavy_names_only() -> None:
    installed = {"pip", "setuptools", "fastapi", "torch", "nvidia-cublas-cu12"}
    heavy = {"setuptools", "torch", "nvidia-*"}
    assert heavy_installed(installed, {"pip", "setuptools"}, heavy) == [
        "nvidia-cublas-cu12",
        "torch",
    ]


def test_heavy_installed_clean_set_is_empty() -> None:
    assert heavy_installed({"fastapi", "uvicorn"}, set(), set(FALLBACK_HEAVY)) == []


def test_heavy_names_without_uv_lock_uses_builtin_list_and_says_so(tmp_path: Path) -> None:
    names, note = heavy_names(tmp_path)
    assert names == set(FALLBACK_HEAVY)
    assert note is not None and "built-in list" in note


def test_heavy_names_with_uv_lock_computes_set() -> None:
    names, note = heavy_names(ROOT)
    assert note is None
    assert {"torch", "funasr"} <= names


def test_downloaded_bytes_sums_pip_lines() -> None:
    log = (
        "Collecting a==1\n  Downloading a-1-py3-none-any.whl (5.3 kB)\n"
        "  Downloading b-2-cp311-manylinux.whl (1.5 MB)\n"
        "     ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━ 1.5/1.5 MB\n"
        "  Downloading c-3.tar.gz (900 bytes)\nInstalling collected packages: a, b, c\n"
    )
    assert downloaded_bytes(log) == 5300 + 1_500_000 + 900


# --- probes ---------------------------------------------------------------------------------


def test_missing_keywords_ignores_case_and_punctuation() -> None:
    assert missing_keywords("Set a timer for FIVE minutes.", ["timer", "five", "minutes"]) == []


def test_missing_keywords_needs_whole_words() -> None:
    assert missing_keywords("set a timers for five", ["timer", "minutes"]) == ["timer", "minutes"]


def test_pick_fixture_prefers_fewest_utterances(tmp_path: Path) -> None:
    phrases = {
        "a_two": {"file": "two.wav", "utterances": [{"key_words": ["x"]}, {"key_words": ["y"]}]},
        "b_one": {"file": "one.wav", "utterances": [{"text": "z w", "key_words": ["z", "w"]}]},
        "c_nowav": {"file": "gone.wav", "utterances": [{"key_words": ["q"]}]},
    }
    (tmp_path / "phrases.json").write_text(json.dumps(phrases))
    (tmp_path / "two.wav").write_bytes(b"")
    (tmp_path / "one.wav").write_bytes(b"")
    speech = pick_fixture(tmp_path)
    assert speech is not None
    assert (speech.wav.name, speech.keywords) == ("one.wav", ["z", "w"])


def test_pick_fixture_without_phrases_is_none(tmp_path: Path) -> None:
    assert pick_fixture(tmp_path) is None


def test_loopback_only_reads_proc_net(tmp_path: Path) -> None:
    header = "  sl  local_address rem_address   st\n"
    line = "   0: {addr}:{port:04X} 00000000:0000 0A 00000000:00000000 00:00000000 00000000\n"
    (tmp_path / "tcp").write_text(header + line.format(addr="0100007F", port=8000))
    (tmp_path / "tcp6").write_text(header)
    assert loopback_only(8000, tmp_path)
    (tmp_path / "tcp").write_text(header + line.format(addr="00000000", port=8000))
    assert not loopback_only(8000, tmp_path)


# --- plan and report ------------------------------------------------------------------------


def test_plan_steps_no_ws_skips_stand_in_and_ws() -> None:
    steps = sim_run.plan_steps(ws=False)
    assert [s.name for s in steps] == list(sim_run.STEPS)
    skipped = {s.name: s.detail for s in steps if s.detail}
    assert skipped == {"stand-in": "--no-ws", "WS /ws/asr": "--no-ws"}


def sample_report() -> Report:
    return Report(
        steps=[
            Step("build", OK, 31.24, "exit 0"),
            Step("start", FAIL, 120.0, "waited 120s\n    last log line"),
            Step("WS /ws/asr", SKIPPED, 0.0, "--no-ws"),
        ],
        facts={"python": "3.11.7 (/py)", "venv size": "80.0 MiB"},
        numbers={"venv_bytes": 83886080},
        notes=["render.yaml names 3.11.14; using 3.11.7: pins depend on the minor version only"],
    )


def test_format_table_lists_steps_facts_and_notes() -> None:
    table = format_table(sample_report())
    lines = table.splitlines()
    assert lines[0].split() == ["step", "status", "time", "detail"]
    assert lines[1].split()[:4] == ["build", "ok", "31.2s", "exit"]
    assert lines[2].split()[:3] == ["start", "FAIL", "120.0s"]
    assert "    last log line" in table
    assert lines[4].split()[:3] == ["WS", "/ws/asr", "skipped"]
    assert table.index("venv size") < table.index("python")
    assert "using 3.11.7" in table
    assert table.rstrip().endswith("render-sim: FAILED")


def test_format_json_round_trips() -> None:
    data = json.loads(format_json(sample_report()))
    assert data["ok"] is False
    assert data["steps"][0] == {"name": "build", "status": "ok", "seconds": 31.24,
                                "detail": "exit 0"}  # fmt: skip
    assert data["numbers"]["venv_bytes"] == 83886080
    assert data["facts"]["python"] == "3.11.7 (/py)"


def test_report_ok_needs_no_failure() -> None:
    assert Report(steps=[Step("a", OK), Step("b", SKIPPED)]).ok
    assert not Report(steps=[Step("a", OK), Step("b", FAIL)]).ok


# --- main -----------------------------------------------------------------------------------


def git_repo(path: Path, files: dict[str, str]) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (path / name).write_text(text)
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.com"]
    subprocess.run([*git, "init", "-q"], cwd=path, check=True)
    subprocess.run([*git, "add", "-A"], cwd=path, check=True)
    subprocess.run([*git, "commit", "-q", "-m", "init"], cwd=path, check=True)
    return path


def test_main_not_a_git_repo_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert render_sim.main(["--project-dir", str(tmp_path)]) == 2
    assert "not the top of a git repository" in capsys.readouterr().err


def test_main_uncommitted_render_yaml_fails_blueprint_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    project = git_repo(tmp_path / "p", {"README": "x\n"})
    (project / "render.yaml").write_text("services: []\n")
    out = tmp_path / "r.json"
    assert render_sim.main(["--project-dir", str(project), "--json", str(out)]) == 1
    data = json.loads(out.read_text())
    assert [s["status"] for s in data["steps"][:3]] == ["ok", "FAIL", "skipped"]
    assert "--worktree" in data["steps"][1]["detail"]
    assert "blueprint" in capsys.readouterr().out


def test_main_no_python_web_service_fails(tmp_path: Path) -> None:
    project = git_repo(tmp_path / "p", {"render.yaml": "services:\n  - type: worker\n"})
    out = tmp_path / "r.json"
    assert render_sim.main(["--project-dir", str(project), "--worktree", "--json", str(out)]) == 1
    assert "no Python web service" in json.loads(out.read_text())["steps"][1]["detail"]


def test_main_bad_flag_exits_2() -> None:
    with pytest.raises(SystemExit) as caught:
        render_sim.main(["--no-such-flag"])
    assert caught.value.code == 2


def test_run_as_module_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scripts.render_sim", "--help"],
        cwd=ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0
    assert "Replay render.yaml" in result.stdout
    assert "--project-dir" in result.stdout
    assert "HF_TOKEN" in result.stdout
