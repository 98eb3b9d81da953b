"""render-sim's parts without a build: steps, Render's environment, heavy packages, probes,
the report, and main()'s early failures. Full runs are in test_render_sim_foreign.py."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from pytest_httpserver import HTTPServer

from scripts.config import Config, SimProbe, SimService
from scripts.proc import ScriptError
from scripts.render_sim import cli
from scripts.render_sim.build import FALLBACK_HEAVY, downloaded_bytes, heavy_installed
from scripts.render_sim.env import build_env, clean_path
from scripts.render_sim.probes import (
    fill,
    loopback_only,
    probe_health,
    probe_values,
    run_probe,
    service_env,
)
from scripts.render_sim.report import FAIL, OK, SKIPPED, Report, Step, format_json, format_table
from scripts.render_sim.run import plan_steps

MakeProject = Callable[..., Path]
COMMIT = "0123456789abcdef0123456789abcdef01234567"


# --- the steps ------------------------------------------------------------------------------


def test_plan_steps_declared_services_before_start_and_probes_after_health() -> None:
    config = Config(
        services=(SimService("quotes API", "x"),), probes=(SimProbe("GET /quote", "y"),)
    )

    steps = plan_steps(config, declared=True)

    assert [s.name for s in steps] == [
        "source", "blueprint", "python", "build", "installed", "pip check", "quotes API",
        "start", "health check", "GET /quote", "shutdown",
    ]  # fmt: skip
    assert all(s.status == SKIPPED and s.detail == "" for s in steps)


def test_plan_steps_no_declared_marks_them_skipped_with_the_flag() -> None:
    config = Config(services=(SimService("a", "x"),), probes=(SimProbe("b", "y"),))

    skipped = {s.name: s.detail for s in plan_steps(config, declared=False) if s.detail}

    assert skipped == {"a": "--no-declared", "b": "--no-declared"}


def test_plan_steps_without_declarations_are_the_generic_steps() -> None:
    assert [s.name for s in plan_steps(Config(), declared=True)] == [
        "source", "blueprint", "python", "build", "installed", "pip check", "start",
        "health check", "shutdown",
    ]  # fmt: skip


# --- Render's environment -------------------------------------------------------------------


def make_env(base: dict[str, str], tmp_path: Path) -> tuple[dict[str, str], list[str]]:
    return build_env(
        base,
        venv=tmp_path / "venv",
        home=tmp_path / "home",
        pip_cache=tmp_path / "cache",
        port=4321,
        commit=COMMIT,
        service_name="quotebot",
        blueprint_env={"PYTHON_VERSION": "3.11.14", "MODE": "production"},
        secrets=["API_TOKEN"],
    )


def test_build_env_is_isolated_from_pip_config_and_the_caller(tmp_path: Path) -> None:
    base = {
        "PATH": "/usr/bin",
        "PIP_FIND_LINKS": "/opt/wheels",
        "UV_INDEX_URL": "x",
        "PYTHONPATH": "/work",
        "MODE": "development",
        "SSL_CERT_FILE": "/etc/ssl/cert.pem",
    }

    env, _ = make_env(base, tmp_path)

    assert env["PIP_CONFIG_FILE"] == os.devnull
    assert not {"PIP_FIND_LINKS", "UV_INDEX_URL", "PYTHONPATH"} & set(env)
    assert env["PIP_CACHE_DIR"] == str(tmp_path / "cache")
    assert env["MODE"] == "production"  # the Blueprint's value, not the caller's
    assert env["SSL_CERT_FILE"] == "/etc/ssl/cert.pem"
    assert env["HOME"] == str(tmp_path / "home")


def test_build_env_sets_render_variables_and_puts_the_venv_first(tmp_path: Path) -> None:
    env, _ = make_env({"PATH": "/usr/bin:/bin"}, tmp_path)

    assert {k: env[k] for k in ("PORT", "RENDER", "RENDER_GIT_COMMIT", "RENDER_SERVICE_NAME")} == {
        "PORT": "4321",
        "RENDER": "true",
        "RENDER_GIT_COMMIT": COMMIT,
        "RENDER_SERVICE_NAME": "quotebot",
    }
    assert env["PATH"].split(os.pathsep) == [str(tmp_path / "venv" / "bin"), "/usr/bin", "/bin"]
    assert env["VIRTUAL_ENV"] == str(tmp_path / "venv")


@pytest.mark.parametrize(
    ("base", "present", "note"),
    [
        ({"API_TOKEN": "t"}, True, "secret API_TOKEN: taken from your environment"),
        ({}, False, "secret API_TOKEN: not in your environment, left unset"),
    ],
)
def test_build_env_secrets_come_from_the_caller_or_stay_unset(
    tmp_path: Path, base: dict[str, str], present: bool, note: str
) -> None:
    env, notes = make_env(base, tmp_path)

    assert ("API_TOKEN" in env) is present
    assert notes == [note]


def test_clean_path_drops_other_virtualenvs(tmp_path: Path) -> None:
    dev = tmp_path / ".venv"
    (dev / "bin").mkdir(parents=True)
    (dev / "pyvenv.cfg").write_text("home = /usr/bin\n")

    cleaned = clean_path(os.pathsep.join([str(dev / "bin"), "/usr/bin"]), tmp_path / "sim" / "bin")

    assert cleaned == os.pathsep.join([str(tmp_path / "sim" / "bin"), "/usr/bin"])


# --- what the build installed ---------------------------------------------------------------


def test_heavy_installed_reports_added_heavy_names_and_patterns() -> None:
    installed = {"pip", "setuptools", "fastapi", "torch", "nvidia-cublas-cu12"}

    found = heavy_installed(installed, {"pip", "setuptools"}, {"setuptools", "torch", "nvidia-*"})

    assert found == ["nvidia-cublas-cu12", "torch"]


def test_heavy_installed_clean_set_is_empty() -> None:
    assert heavy_installed({"fastapi", "uvicorn"}, set(), FALLBACK_HEAVY) == []


def test_downloaded_bytes_sums_pips_downloading_lines() -> None:
    log = (
        "Collecting a==1\n  Downloading a-1-py3-none-any.whl (5.3 kB)\n"
        "  Downloading b-2-cp311-manylinux.whl (1.5 MB)\n"
        "     ━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━ 1.5/1.5 MB\n"
        "  Downloading c-3.tar.gz (900 bytes)\nInstalling collected packages: a, b, c\n"
    )

    assert downloaded_bytes(log) == 5300 + 1_500_000 + 900


# --- probes ---------------------------------------------------------------------------------


def test_loopback_only_reads_proc_net(tmp_path: Path) -> None:
    header = "  sl  local_address rem_address   st\n"
    line = "   0: {addr}:{port:04X} 00000000:0000 0A 00000000:00000000 00:00000000 00000000\n"
    (tmp_path / "tcp6").write_text(header)
    (tmp_path / "tcp").write_text(header + line.format(addr="0100007F", port=8000))
    assert loopback_only(8000, tmp_path)
    assert not loopback_only(8001, tmp_path)  # nothing listens there
    (tmp_path / "tcp").write_text(header + line.format(addr="00000000", port=8000))
    assert not loopback_only(8000, tmp_path)


@pytest.mark.parametrize(
    ("reply", "detail", "note"),
    [
        (
            {"status": "ok", "version": COMMIT},
            f'200 {{"status": "ok", "version": "{COMMIT}"}}',
            False,
        ),
        ({"status": "ok"}, "200", True),
    ],
)
def test_probe_health_checks_the_reported_version(
    httpserver: HTTPServer, reply: dict[str, str], detail: str, note: bool
) -> None:
    httpserver.expect_request("/health").respond_with_json(reply)

    found, said = probe_health(httpserver.port, "/health", COMMIT)

    assert found == detail
    assert (said is not None) is note
    if said:
        assert said.startswith("GET /health reports no `version`: `make deploy` can only wait")


@pytest.mark.parametrize(
    ("status", "body", "message"),
    [
        (200, json.dumps({"version": "f" * 40}), "GET /health says version 'fff"),
        (503, "starting", "GET /health -> 503: b'starting'"),
    ],
)
def test_probe_health_wrong_version_or_status_fails(
    httpserver: HTTPServer, status: int, body: str, message: str
) -> None:
    httpserver.expect_request("/health").respond_with_data(body, status=status)

    with pytest.raises(ScriptError, match=f"^{message}"):
        probe_health(httpserver.port, "/health", COMMIT)


def test_fill_unknown_placeholder_lists_the_known_ones() -> None:
    with pytest.raises(ScriptError) as caught:
        fill("curl {host}/x", probe_values(8000))

    assert str(caught.value) == (
        "cannot fill 'curl {host}/x': 'host' (known placeholders: {port}, {url}, {ws_url})"
    )


def test_service_env_points_the_service_at_the_stand_in() -> None:
    service = SimService("quotes", "x", env={"QUOTES_URL": "{url}api", "QUOTES_PORT": "{port}"})

    assert service_env(service, 5000) == {
        "QUOTES_URL": "http://127.0.0.1:5000/api",
        "QUOTES_PORT": "5000",
    }


def test_run_probe_passes_with_its_last_line(tmp_path: Path) -> None:
    probe = SimProbe("echo", f"{sys.executable} -c \"print('checking'); print('got {{url}}')\"")

    assert run_probe(probe, 8123, tmp_path) == "got http://127.0.0.1:8123"


def test_run_probe_failure_names_the_command_and_its_error(tmp_path: Path) -> None:
    probe = SimProbe("fails", "echo trying; echo 'quote mismatch' >&2; exit 4")

    with pytest.raises(ScriptError) as caught:
        run_probe(probe, 8123, tmp_path)

    assert str(caught.value) == (
        "`echo trying; echo 'quote mismatch' >&2; exit 4` exited with code 4: quote mismatch"
    )


def test_run_probe_timeout_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match=r"^'bash -c sleep 30' took longer than 0 s"):
        run_probe(SimProbe("slow", "sleep 30", timeout=0.2), 8123, tmp_path)


# --- the report -----------------------------------------------------------------------------


def sample_report() -> Report:
    return Report(
        steps=[
            Step("build", OK, 31.24, "exit 0"),
            Step("start", FAIL, 120.0, "waited 120s\n    last log line"),
            Step("GET /quote", SKIPPED, 0.0, "--no-declared"),
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
    assert lines[4].split()[:4] == ["GET", "/quote", "skipped", "-"]
    assert table.index("venv size") < table.index("python")
    assert "using 3.11.7" in table
    assert table.rstrip().endswith("render-sim: FAILED")


def test_format_json_round_trips() -> None:
    data = json.loads(format_json(sample_report()))

    assert data["ok"] is False
    assert data["steps"][0] == {"name": "build", "status": "ok", "seconds": 31.24,
                                "detail": "exit 0"}  # fmt: skip
    assert data["numbers"] == {"venv_bytes": 83886080}
    assert data["facts"]["python"] == "3.11.7 (/py)"


def test_report_ok_needs_one_pass_and_no_failure() -> None:
    assert Report(steps=[Step("a", OK), Step("b", SKIPPED)]).ok
    assert not Report(steps=[Step("a", OK), Step("b", FAIL)]).ok
    assert not Report(steps=[Step("a", SKIPPED)]).ok


# --- main's early failures (no venv, no build) ----------------------------------------------


def simulate(root: Path, tmp_path: Path, *flags: str) -> tuple[int, dict[str, Any]]:
    out = tmp_path / "report.json"
    code = cli.main(["--project-dir", str(root), "--json", str(out), *flags])
    return code, json.loads(out.read_text())


def test_main_not_a_git_repository_exits_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--project-dir", str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == (
        f"error: --project-dir {tmp_path} is not the top of a git repository"
    )


def test_main_uncommitted_render_yaml_fails_the_blueprint_step(
    make_project: MakeProject,
    tmp_path: Path,
    isolated_git: None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    root = make_project(render_yaml=False, git=True)
    (root / "render.yaml").write_text("services: []\n")

    code, report = simulate(root, tmp_path)

    assert code == 1
    assert [s["status"] for s in report["steps"][:3]] == ["ok", "FAIL", "skipped"]
    assert report["steps"][1]["detail"] == (
        f"render.yaml is not in the committed tree of {root}: add and commit it, or try --worktree"
    )
    assert report["steps"][2]["detail"] == "not reached"
    assert "render-sim: FAILED" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("render_yaml", "detail"),
    [
        ("services:\n  - type: worker\n    name: w\n    runtime: python\n",
         "render.yaml has no Python web service: add one with `runtime: python`"),
        ("services:\n  - type: web\n    name: w\n    runtime: python\n",
         "render.yaml: service 'w' needs buildCommand and startCommand (Render's server rejects "
         "a Python service without)"),
    ],
    ids=["no-web-service", "no-commands"],
)  # fmt: skip
def test_main_blueprint_without_what_render_needs_fails_that_step(
    make_project: MakeProject, tmp_path: Path, isolated_git: None, render_yaml: str, detail: str
) -> None:
    root = make_project(render_yaml=render_yaml, git=True)

    code, report = simulate(root, tmp_path, "--worktree")

    assert code == 1
    assert (report["steps"][1]["status"], report["steps"][1]["detail"]) == ("FAIL", detail)


def test_main_bad_settings_fail_the_blueprint_step(
    make_project: MakeProject, tmp_path: Path, isolated_git: None
) -> None:
    root = make_project(config={"sim": {"probe": []}}, git=True)

    code, report = simulate(root, tmp_path)

    assert code == 1
    assert report["steps"][1]["detail"] == (
        "cannot read the project: pyproject.toml [tool.render-pipeline.sim]: unknown key "
        "'probe': did you mean 'probes'?"
    )


def test_main_json_to_stdout_puts_the_table_on_stderr(
    make_project: MakeProject, isolated_git: None, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(render_yaml=False, git=True)

    assert cli.main(["--project-dir", str(root), "--json", "-"]) == 1

    out, err = capsys.readouterr()
    assert json.loads(out)["ok"] is False
    assert "render-sim: FAILED" in err
