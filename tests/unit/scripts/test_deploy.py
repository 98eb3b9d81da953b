"""scripts/deploy.py: the plan, the pure helpers, and main() with a fake subprocess seam."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from scripts import deploy
from scripts.deploy import Gate
from scripts.proc import ScriptError
from tests.conftest import ROOT

SHA = "0123456789abcdef0123456789abcdef01234567"
HOOK = "https://api.render.com/deploy/srv-abc123?key=s3cr3t-KEY"


class FakeRun:
    """Stands in for scripts.proc.run: answers git like a clean repo on main, records calls."""

    def __init__(self, *, failing: str | None = None, status: str = "", branch: str = "main"):
        self.failing, self.status, self.branch = failing, status, branch
        self.calls: list[list[str]] = []

    def __call__(self, cmd, *, check=True, **_kwargs):
        argv = list(cmd)
        self.calls.append(argv)
        out, code = "", 0
        if argv[:2] == ["git", "status"]:
            out = self.status
        elif argv[:2] == ["git", "symbolic-ref"]:
            out, code = self.branch, 0 if self.branch else 128
        elif argv[:2] == ["git", "ls-remote"]:
            code = 2  # the branch is not on the remote yet
        elif argv[:2] == ["git", "rev-parse"]:
            out = SHA
        elif argv[0] == "make" and argv[1] == self.failing:
            code = 2
        if check and code:
            raise ScriptError(f"{argv} failed")
        return subprocess.CompletedProcess(argv, code, out + "\n", "")

    @property
    def commands(self) -> list[str]:
        return [" ".join(c) for c in self.calls if c[:2] in (["git", "push"], ["make", c[-1]])]


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    def install(**kwargs) -> FakeRun:
        runner = FakeRun(**kwargs)
        monkeypatch.setattr(deploy, "run", runner)
        return runner

    (tmp_path / ".git").mkdir()
    return install


def main(tmp_path: Path, *args: str, gates=deploy.GATES) -> int:
    return deploy.main(["--repo", str(tmp_path), *args], gates=gates)


def test_gates_default_order_is_lint_tests_checks_sim():
    assert [(g.name, g.argv) for g in deploy.GATES] == [
        ("lint", ("make", "lint")),
        ("tests", ("make", "test")),
        ("render-reqs-check", ("make", "render-reqs-check")),
        ("render-yaml-check", ("make", "render-yaml-check")),
        ("render-sim", ("make", "render-sim")),
    ]
    assert all(g.changes_nothing for g in deploy.GATES)


def test_plan_deploy_skip_sim_moves_only_the_sim_to_skipped():
    plan = deploy.plan_deploy(
        remote="origin", branch="main", gates=deploy.GATES, skip_sim=True, env={}
    )
    assert [g.name for g in plan.gates] == [
        "lint",
        "tests",
        "render-reqs-check",
        "render-yaml-check",
    ]
    assert [g.name for g in plan.skipped] == ["render-sim"]


def test_plan_deploy_targets_come_from_environment():
    env = {deploy.HOOK_ENV: HOOK, deploy.SERVICE_ENV: "https://fw.onrender.com/"}
    plan = deploy.plan_deploy(
        remote="up", branch="rel", gates=(), skip_sim=False, env=env, timeout=60, interval=5
    )
    assert plan.push_argv == ("git", "push", "up", "rel")
    assert plan.hook_url == HOOK
    assert plan.health_url == "https://fw.onrender.com/health"


def test_plan_deploy_bad_hook_url_raises_without_the_key():
    with pytest.raises(deploy.UsageError) as caught:
        deploy.plan_deploy(
            remote="o",
            branch="m",
            gates=(),
            skip_sim=False,
            env={deploy.HOOK_ENV: "ftp://h/x?key=k1"},
        )
    assert deploy.HOOK_ENV in str(caught.value)
    assert "k1" not in str(caught.value)


def test_plan_describe_redacts_hook_and_names_missing_targets():
    with_targets = deploy.plan_deploy(
        remote="origin",
        branch="main",
        gates=deploy.GATES,
        skip_sim=False,
        env={deploy.HOOK_ENV: HOOK, deploy.SERVICE_ENV: "https://fw.onrender.com"},
    )
    text = "\n".join(with_targets.describe(SHA))
    assert "push    git push origin main" in text
    assert "POST https://api.render.com/deploy/srv-abc123?key=***" in text
    assert "GET https://fw.onrender.com/health until version = 0123456789ab" in text
    assert "s3cr3t" not in text
    bare = deploy.plan_deploy(remote="o", branch="m", gates=(), skip_sim=False, env={})
    assert f"{deploy.HOOK_ENV} is not set" in "\n".join(bare.describe(SHA))
    assert f"{deploy.SERVICE_ENV} is not set" in "\n".join(bare.describe(SHA))


def test_main_head_moved_during_gates_refuses_push(fake, tmp_path, capsys, monkeypatch):
    runner = fake()
    shas = iter([SHA, "f" * 40])
    original = runner.__call__

    def moving(cmd, **kwargs):
        result = original(cmd, **kwargs)
        if list(cmd)[:2] == ["git", "rev-parse"]:
            result.stdout = next(shas)
        return result

    monkeypatch.setattr(deploy, "run", moving)

    assert main(tmp_path) == 1

    assert "git push origin main" not in runner.commands
    assert "HEAD moved from 0123456789ab to ffffffffffff" in capsys.readouterr().err


def test_main_all_gates_pass_runs_them_in_order_then_pushes(fake, tmp_path, capsys):
    runner = fake()

    assert main(tmp_path) == 0

    assert runner.commands == [
        "make lint",
        "make test",
        "make render-reqs-check",
        "make render-yaml-check",
        "make render-sim",
        "git push origin main",
    ]
    assert capsys.readouterr().out == f"pushed {SHA} to origin/main\n"


@pytest.mark.parametrize("target", ["lint", "test", "render-reqs-check", "render-sim"])
def test_main_failing_gate_exits_1_without_push(fake, tmp_path, capsys, target):
    runner = fake(failing=target)

    assert main(tmp_path) == 1

    assert runner.commands[-1] == f"make {target}"
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("deploy: gate '")
    assert f"'make {target}' exited with code 2" in err[-1]


def test_main_dirty_tree_lists_files_and_runs_nothing(fake, tmp_path, capsys):
    runner = fake(status=" M app.py\n?? notes.txt")

    assert main(tmp_path) == 1

    assert runner.commands == []
    err = capsys.readouterr().err
    assert "gate 'clean-tree' failed: uncommitted or untracked files: app.py, notes.txt" in err


def test_main_detached_head_names_expected_branch(fake, tmp_path, capsys):
    fake(branch="")

    assert main(tmp_path) == 1

    assert "HEAD is detached, expected 'main'" in capsys.readouterr().err


def test_main_dry_run_never_pushes(fake, tmp_path, capsys):
    runner = fake()

    assert main(tmp_path, "--dry-run") == 0

    assert "git push origin main" not in runner.commands
    assert "result  all gates passed" in capsys.readouterr().out


def test_main_dry_run_skips_gates_that_change_things(fake, tmp_path, capsys):
    runner = fake()
    gates = (Gate("lint", ("make", "lint")), Gate("fix", ("make", "fix"), changes_nothing=False))

    assert main(tmp_path, "--dry-run", gates=gates) == 0
    assert runner.commands == ["make lint"]
    assert main(tmp_path, gates=gates) == 0
    assert runner.commands[-3:] == ["make lint", "make fix", "git push origin main"]


def test_main_dry_run_failing_gate_exits_1(fake, tmp_path, capsys):
    fake(failing="render-yaml-check")

    assert main(tmp_path, "--dry-run") == 1

    assert "result  gate 'render-yaml-check' failed" in capsys.readouterr().out


@pytest.mark.parametrize("args", [["--timeout", "0"], ["--interval", "-1"], ["--bogus"]])
def test_main_bad_flags_exit_2(tmp_path, args):
    with pytest.raises(SystemExit) as caught:
        main(tmp_path, *args)
    assert caught.value.code == 2


def test_main_bad_service_url_exits_2(fake, tmp_path, monkeypatch, capsys):
    runner = fake()
    monkeypatch.setenv(deploy.SERVICE_ENV, "fw.onrender.com")

    assert main(tmp_path) == 2

    assert runner.calls == []
    assert f"deploy: {deploy.SERVICE_ENV} must be an http(s) URL" in capsys.readouterr().err


def test_main_not_a_repository_exits_2(tmp_path, capsys):
    assert deploy.main(["--repo", str(tmp_path / "nowhere")]) == 2
    assert "is not a git repository" in capsys.readouterr().err


def test_deploy_runs_as_module_and_names_env_vars():
    done = subprocess.run(
        [sys.executable, "-m", "scripts.deploy", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    assert deploy.HOOK_ENV in done.stdout and deploy.SERVICE_ENV in done.stdout
    assert "--dry-run" in done.stdout
