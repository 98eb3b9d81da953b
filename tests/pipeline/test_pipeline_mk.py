"""scripts/pipeline.mk, included by a tiny project Makefile in tmp_path: help, gates, commands.

One list of gates (GATES, FAST_GATES) is read by `make check`, `make fast-check`, `make deploy`
and the git hooks; these tests fail if any of them drifts from it. uv is a stub that logs
its arguments, so nothing is installed or run for real.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import scripts
from tests.pipeline.gitrepo import branch_sha, commit_all, make_remote, make_repo

PIPELINE_MK = Path(scripts.__file__).parent / "pipeline.mk"
PRE_COMMIT_CONFIG = Path(scripts.__file__).parent.parent / ".pre-commit-config.yaml"
PROJECT_MAKEFILE = """\
# A project that adopted the template: its extras, the pipeline, then its own targets.
EXTRAS := demo
include scripts/pipeline.mk

.PHONY: run  ## Serve the app locally
run:
\t@echo serving
"""
UV_STUB = '#!/bin/sh\necho "uv $*" >> "$UV_LOG"\n'


def variable(name: str) -> list[str]:
    """A `NAME := a b c` list from pipeline.mk."""
    found = re.search(rf"^{name} := (.*)$", PIPELINE_MK.read_text(), re.M)
    assert found, f"pipeline.mk defines no {name}"
    return found.group(1).split()


GATES = variable("GATES")
FAST_GATES = variable("FAST_GATES")


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "project"
    (root / "scripts").mkdir(parents=True)
    shutil.copy(PIPELINE_MK, root / "scripts" / "pipeline.mk")
    (root / "Makefile").write_text(PROJECT_MAKEFILE)
    (root / ".venv").mkdir()
    (root / ".venv" / "pyvenv.cfg").write_text("")  # made: no `uv sync` before the checks
    stub = tmp_path / "bin" / "uv"
    stub.parent.mkdir()
    stub.write_text(UV_STUB)
    stub.chmod(0o755)
    monkeypatch.setenv("UV", str(stub))  # what `uv run` exports; pipeline.mk's UV ?= keeps it
    monkeypatch.setenv("UV_LOG", str(tmp_path / "uv.log"))
    return root


def make(project: Path, *args: str) -> str:
    done = subprocess.run(
        ["make", "--no-print-directory", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def targets_run(project: Path, target: str) -> list[str]:
    """The targets `make target` would run, in order (`make -n --trace`)."""
    out = make(project, "-n", "--trace", target)
    return re.findall(r"^\S+:\d+: (?:update )?target '([^']+)'", out, re.M)


def test_pipeline_mk_every_phony_target_is_documented() -> None:
    phony = re.findall(r"^\.PHONY: .*$", PIPELINE_MK.read_text(), re.M)

    assert phony
    assert [line for line in phony if not re.match(r"^\.PHONY: [a-z-]+ +## \S", line)] == []


def test_make_alone_lists_every_target_of_both_files(project: Path) -> None:
    out = make(project)

    listed = re.findall(r"^  ([a-z-]+) +(\S.*)$", out, re.M)
    pipeline = re.findall(r"^\.PHONY: ([a-z-]+) +## (.*)$", PIPELINE_MK.read_text(), re.M)
    assert listed == [("run", "Serve the app locally"), *pipeline]
    assert "scripts/pipeline.mk:" in out and "Makefile:" in out


def test_make_gates_prints_gates_then_fast_gates(project: Path) -> None:
    assert make(project, "-s", "gates").splitlines() == [" ".join(GATES), " ".join(FAST_GATES)]
    assert set(FAST_GATES) - {"test"} <= set(GATES)


def test_make_check_runs_exactly_the_gates_in_order(project: Path) -> None:
    assert targets_run(project, "check") == GATES


def test_make_fast_check_runs_exactly_the_fast_gates_in_order(project: Path) -> None:
    assert targets_run(project, "fast-check") == FAST_GATES


def test_make_deploy_passes_the_same_gates(project: Path) -> None:
    out = make(project, "-n", "deploy", "DEPLOY_ARGS=--dry-run")

    assert f'python -m scripts.deploy --gates "{" ".join(GATES)}" --dry-run' in out


def hook_ids() -> dict[str, list[str]]:
    """The pre-commit config's hook ids by stage (a hook without `stages` runs on commit)."""
    config = yaml.safe_load(PRE_COMMIT_CONFIG.read_text())
    by_stage: dict[str, list[str]] = {}
    for repo in config["repos"]:
        assert repo["repo"] == "local", "a remote hook repository would be fetched"
        for hook in repo["hooks"]:
            assert hook["entry"] == f"make --no-print-directory {hook['id']}"
            for stage in hook.get("stages", config["default_stages"]):
                by_stage.setdefault(stage, []).append(hook["id"])
    return by_stage


def test_git_hooks_run_exactly_the_fast_gates() -> None:
    stages = hook_ids()
    assert stages["pre-commit"] + stages["pre-push"] == FAST_GATES


def test_git_hooks_run_on_a_real_commit_and_push(
    project: Path, tmp_path: Path, isolated_git: None
) -> None:
    """`make hooks` installs pre-commit's hooks: a commit runs the commit gates, a push the rest."""
    repo = make_repo(tmp_path / "repo")
    shutil.copytree(project, repo, dirs_exist_ok=True)
    shutil.copy(PRE_COMMIT_CONFIG, repo / PRE_COMMIT_CONFIG.name)
    (repo / ".gitignore").write_text(".venv/\n")
    env = {**os.environ, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-home")}
    installed = subprocess.run(
        [sys.executable, "-m", "pre_commit", "install"],
        cwd=repo, env=env, capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert installed.returncode == 0, installed.stderr
    commit_all(repo, "The pipeline's make targets")
    bare = make_remote(tmp_path / "remote.git", repo)
    log = tmp_path / "uv.log"
    log.unlink()
    (repo / "app.py").write_text("print('v2')\n")
    head = commit_all(repo, "Ship v2")
    committed = log.read_text().splitlines()
    log.unlink()

    done = subprocess.run(["git", "push", "origin", "main"], cwd=repo, capture_output=True,
                          text=True, timeout=120, check=False)  # fmt: skip

    assert done.returncode == 0, done.stderr
    assert branch_sha(bare) == head
    assert committed == [
        "uv run --frozen --extra demo ruff check .",
        "uv run --frozen --extra demo ruff format --check .",
        "uv run --frozen --extra demo mypy",
        "uv run --frozen --extra demo actionlint",
        "uv run --frozen --extra demo zizmor --offline --quiet .github/workflows",
        "uv lock --check",
        "uv run --frozen --no-sync python -m scripts.render_reqs_check",
        "uv run --frozen --no-sync python -m scripts.check_blueprint",
    ]
    assert log.read_text().splitlines() == [
        "uv run --frozen --extra demo pytest --dist worksteal "
        f"-n {len(os.sched_getaffinity(0)) + 1} -m not network and not e2e",
    ]


@pytest.mark.parametrize("target", ["sync", "test", "test-backend", "lint", "render-sim"])
def test_project_extras_reach_the_commands_that_install(project: Path, target: str) -> None:
    out = make(project, "-n", target)

    assert "--extra demo" in out


def test_no_extras_means_no_extra_flags(project: Path) -> None:
    (project / "Makefile").write_text(PROJECT_MAKEFILE.replace("EXTRAS := demo\n", ""))

    assert "--extra" not in make(project, "-n", "sync", "test", "render-sim")


def test_every_uv_run_is_frozen_and_the_offline_checks_never_sync(project: Path) -> None:
    """Only `uv lock`, `uv add` and `make upgrade` change uv.lock; the checks touch nothing."""
    names = re.findall(r"^\.PHONY: ([a-z-]+)", PIPELINE_MK.read_text(), re.M)
    skip = {"help", "gates", "clean", "check", "fast-check"}
    for target in (n for n in names if n not in skip):
        for line in make(project, "-n", target).splitlines():
            if " run " in line:
                assert " run --frozen " in line, f"make {target}: {line}"
    for target in ("render-reqs-check", "render-yaml-check"):
        assert " run --frozen --no-sync " in make(project, "-n", target)


def test_make_test_leaves_out_network_and_e2e_and_test_backend_runs_all(project: Path) -> None:
    workers = len(os.sched_getaffinity(0)) + 1  # `make test`: one more than the cores
    assert (
        make(project, "-n", "test")
        .strip()
        .endswith(f'pytest --dist worksteal -n {workers} -m "not network and not e2e"')
    )
    assert (
        make(project, "-n", "test-backend")
        .strip()
        .endswith("pytest --dist worksteal -n auto --cov --cov-report=term")
    )


def test_make_test_workers_zero_runs_in_one_process(project: Path) -> None:
    assert " -n 0 " in make(project, "-n", "test", "TEST_WORKERS=0")
    assert " -n 0 " in make(project, "-n", "test-backend", "TEST_WORKERS=0")
