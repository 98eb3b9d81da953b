"""tools/bench/cli.py: figures run in order, failures recorded, reports merged; --help."""

from __future__ import annotations

import json
import subprocess
import sys
from types import SimpleNamespace

import pytest

from scripts.proc import ScriptError
from tests.conftest import ROOT
from tools.bench import cli
from tools.bench.coldstart import goal_against
from tools.bench.figure import Figure, Goal
from tools.bench.service import start_command
from tools.loadgen import close_label


def fake_module(key: str, measure) -> SimpleNamespace:
    return SimpleNamespace(
        TITLE=f"Figure {key}", COMMAND=f"--only {key}", GOALS=("goal",), measure=measure
    )


@pytest.fixture
def figures(monkeypatch):
    def good(ctx):
        return Figure(
            "one", "Figure one", "--only one", headline="fine", goals=[Goal("goal", "1", True)]
        )

    def broken(ctx):
        raise ScriptError("no python3.11 here: install it")

    fake = {"one": fake_module("one", good), "two": fake_module("two", broken)}
    monkeypatch.setattr(cli, "FIGURES", fake)
    return fake


def test_main_failed_figure_is_reported_and_exits_one(figures, tmp_path, capsys):
    code = cli.main(["--out", str(tmp_path / "out"), "--workdir", str(tmp_path / "work")])

    data = json.loads((tmp_path / "out" / "report.json").read_text())
    assert code == 1
    assert data["figures"]["two"]["error"] == "no python3.11 here: install it"
    assert data["figures"]["two"]["goals"][0]["verdict"] == "not measured"
    assert "one: goal: 1: met" in capsys.readouterr().out


def test_main_only_replaces_that_figure_and_keeps_the_others(figures, tmp_path):
    out, work = tmp_path / "out", tmp_path / "work"
    cli.main(["--out", str(out), "--workdir", str(work)])
    first = json.loads((out / "report.json").read_text())["figures"]["two"]

    code = cli.main(["--only", "one", "--out", str(out), "--workdir", str(work)])

    data = json.loads((out / "report.json").read_text())
    assert code == 0
    assert list(data["figures"]) == ["one", "two"]
    assert data["figures"]["two"] == first
    assert (
        data["run"]["command"] == f"python -m tools.bench --only one --out {out} --workdir {work}"
    )


def test_main_refuses_a_workdir_it_did_not_make(figures, tmp_path, capsys):
    (tmp_path / "mine.txt").write_text("keep me")

    code = cli.main(["--workdir", str(tmp_path), "--out", str(tmp_path / "out")])

    assert code == 2
    assert (tmp_path / "mine.txt").exists()
    assert "is not empty and was not made by the bench" in capsys.readouterr().err


def test_parser_unknown_figure_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exited:
        cli.build_parser().parse_args(["--only", "nope"])

    assert exited.value.code == 2
    assert "invalid choice: 'nope'" in capsys.readouterr().err


def test_bench_help_runs_as_module_and_shows_make_bench():
    done = subprocess.run(
        [sys.executable, "-m", "tools.bench", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert (done.returncode, done.stderr) == (0, "")
    assert "make bench" in done.stdout
    assert "python -m tools.bench --only pocketsphinx" in done.stdout


def test_start_command_serves_the_given_app_with_render_flags():
    command = start_command("tools.bench.echo_app:app", python="/venv/bin/python")

    assert command.startswith("/venv/bin/python -m uvicorn tools.bench.echo_app:app --host")
    assert "--ws-max-size 1048576" in command
    assert "backend.app.main:app" not in command


def test_goal_against_bare_app_gives_ratio_and_difference():
    goal = goal_against({"service": 0.86, "bare": 0.35}, "bare", "≤ 1.2x bare", {})

    assert (goal.met, goal.measured) == (False, "2.46x")
    assert goal.gap == "the service took 0.51 s more (0.86 s against 0.35 s)"


def test_goal_against_fastapi_splits_the_gap():
    medians = {"service": 0.59, "service_live": 0.53, "fastapi": 0.43}
    imports = {"backend.app.main": 0.38, "fastapi": 0.30}

    goal = goal_against(medians, "fastapi", "≤ 1.2x FastAPI", imports)

    assert goal.measured == "1.37x"
    assert goal.gap.endswith(
        ": about 0.08 s importing its own modules beyond FastAPI, 0.02 s more start-up to its "
        "first answer on /live, and 0.06 s for /health's first probe of the Space"
    )


def close(code: int, reason: str) -> SimpleNamespace:
    return SimpleNamespace(code=code, reason=reason)


@pytest.mark.parametrize(
    ("received", "sent", "label"),
    [
        (close(1000, ""), close(1000, ""), "1000"),
        (close(1011, "keepalive ping timeout"), None, "1011 keepalive"),
        (None, close(1011, "keepalive ping timeout"), "1011 keepalive"),
        (close(1011, "engine_error"), close(1011, ""), "1011"),
    ],
)
def test_close_label_marks_keepalive_closes_from_either_side(received, sent, label):
    code = (received or sent).code
    ws = SimpleNamespace(
        close_code=code, protocol=SimpleNamespace(close_rcvd=received, close_sent=sent)
    )

    assert close_label(ws) == label


def test_main_full_run_keeps_a_figure_it_does_not_measure(figures, monkeypatch, tmp_path):
    out, work = tmp_path / "out", tmp_path / "work"
    cli.main(["--out", str(out), "--workdir", str(work)])
    monkeypatch.setattr(cli, "SEPARATE", ("two",))

    cli.main(["--out", str(out), "--workdir", str(work)])

    data = json.loads((out / "report.json").read_text())
    assert data["run"]["figures"] == ["one"]
    assert data["figures"]["two"]["error"] == "no python3.11 here: install it"
