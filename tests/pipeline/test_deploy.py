"""make deploy: the plan, then real runs against a bare remote, a project Makefile whose gates
log their names, and pytest-httpserver standing in for Render's deploy hook and /health."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from scripts import deploy
from scripts.deploy import Gate
from scripts.proc import UsageError
from tests.pipeline.gitrepo import branch_sha, commit, git, isolate_git, make_remote, make_repo

SECRET = "rnd_SECRETkey0123456789"
GATES = ["lint", "lock-check", "test", "render-sim"]
# Each gate appends its name to $GATE_LOG and fails when it is $FAIL_GATE; `moving` commits.
MAKEFILE = """\
GATES := lint lock-check test render-sim

.PHONY: gates lint lock-check test render-sim moving
gates:
\t@echo "$(GATES)"
\t@echo "lint test"
lint lock-check test render-sim:
\t@echo $@ >> "$(GATE_LOG)"; test "$(FAIL_GATE)" != "$@"
moving:
\t@git commit --quiet --allow-empty -m "made by a gate"
"""

pytestmark = pytest.mark.usefixtures("isolated_git")


@dataclass
class Site:
    repo: Path
    bare: Path
    before: str  # what the remote holds before the deploy
    head: str  # the commit to deploy
    log: Path

    def gates_run(self) -> list[str]:
        return self.log.read_text().split() if self.log.exists() else []


@pytest.fixture(scope="module")
def site_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A repository with the gates' Makefile and a remote one commit behind, made once."""
    top = tmp_path_factory.mktemp("site")
    with pytest.MonkeyPatch.context() as monkeypatch:
        isolate_git(monkeypatch, top / "git-home")
        repo = make_repo(top / "work")
        commit(repo, "Makefile", MAKEFILE, "Add the gates")
        make_remote(top / "remote.git", repo)
        before = git(repo, "rev-parse", "HEAD")
        head = commit(repo, "app.py", "print('v2')\n", "Ship v2")
    return top, before, head


@pytest.fixture
def site(
    site_template: tuple[Path, str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Site:
    """A copy of the template for one test: its own work tree, remote and gate log."""
    top, before, head = site_template
    repo, bare = tmp_path / "work", tmp_path / "remote.git"
    shutil.copytree(top / "work", repo, symlinks=True)
    shutil.copytree(top / "remote.git", bare, symlinks=True)
    git(repo, "remote", "set-url", "origin", str(bare))
    log = tmp_path / "gates.log"
    monkeypatch.setenv("GATE_LOG", str(log))
    monkeypatch.delenv("FAIL_GATE", raising=False)
    return Site(repo, bare, before, head, log)


@pytest.fixture
def render(site: Site, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch) -> HTTPServer:
    """Render's deploy hook, and /health that reports the old commit, then 503, then the new."""
    httpserver.expect_request("/deploy/srv-abc", method="POST").respond_with_json(
        {"deploy": {"id": "dep-test123"}}
    )
    for reply in ({"status": "ok", "version": site.before}, None, {"version": site.head}):
        handler = httpserver.expect_oneshot_request("/health", method="GET")  # in turn
        if reply is None:
            handler.respond_with_data("starting", status=503)
        else:
            handler.respond_with_json(reply)
    monkeypatch.setenv(deploy.HOOK_ENV, httpserver.url_for(f"/deploy/srv-abc?key={SECRET}"))
    monkeypatch.setenv(deploy.SERVICE_ENV, httpserver.url_for("/"))
    return httpserver


def requests(server: HTTPServer) -> list[str]:
    return [f"{request.method} {request.path}" for request, _ in server.log]


def run_deploy(site: Site, *args: str) -> int:
    return deploy.main(["--repo", str(site.repo), "--interval", "0.05", "--timeout", "10", *args])


def assert_refused(site: Site, capfd: pytest.CaptureFixture[str], gate: str) -> str:
    """Exit 1 with one line naming `gate`; nothing pushed."""
    out, err = capfd.readouterr()
    message = err.strip().splitlines()[-1]
    assert message.startswith(f"deploy: gate '{gate}' failed")
    assert "Traceback" not in err
    assert branch_sha(site.bare) == site.before
    assert "pushed" not in out
    return message


# --- the plan -------------------------------------------------------------------------------


def test_plan_deploy_skip_sim_moves_only_the_sim_to_skipped() -> None:
    plan = deploy.plan_deploy(
        remote="origin", branch="main", gates=[Gate(g) for g in GATES], skip_sim=True, env={}
    )

    assert [g.name for g in plan.gates] == ["lint", "lock-check", "test"]
    assert [g.name for g in plan.skipped] == ["render-sim"]


def test_plan_deploy_targets_come_from_the_environment() -> None:
    env = {deploy.HOOK_ENV: f"https://api.render.com/deploy/srv-abc?key={SECRET}",
           deploy.SERVICE_ENV: "https://quotebot.onrender.com/"}  # fmt: skip

    plan = deploy.plan_deploy(remote="up", branch="rel", gates=(), skip_sim=False, env=env)

    assert plan.push_argv == ("git", "push", "--no-verify", "up", "rel")
    assert plan.health_url == "https://quotebot.onrender.com/health"
    assert Gate("lint").argv == ("make", "--no-print-directory", "lint")


@pytest.mark.parametrize(
    ("name", "value", "shown"),
    [
        (deploy.HOOK_ENV, f"ftp://h/x?key={SECRET}", "(value not shown: it is a secret)"),
        (deploy.SERVICE_ENV, "quotebot.onrender.com", "got 'quotebot.onrender.com'"),
    ],
)
def test_plan_deploy_bad_url_is_a_usage_error_that_hides_the_key(
    name: str, value: str, shown: str
) -> None:
    with pytest.raises(UsageError) as caught:
        deploy.plan_deploy(remote="o", branch="m", gates=(), skip_sim=False, env={name: value})

    assert str(caught.value) == f"{name} must be an http(s) URL, {shown}"


def test_plan_describe_redacts_the_hook_and_names_missing_targets() -> None:
    bare = deploy.plan_deploy(remote="o", branch="m", gates=(), skip_sim=True, env={})

    text = "\n".join(bare.describe("0" * 40))

    assert "gates   clean-tree, branch, remote\n" in text
    assert f"hook    none ({deploy.HOOK_ENV} is not set;" in text
    assert f"wait    none ({deploy.SERVICE_ENV} is not set)" in text


def test_read_gates_asks_the_project_makefile(site: Site) -> None:
    assert [g.name for g in deploy.read_gates(site.repo)] == GATES


def test_read_gates_without_a_gates_target_says_pass_gates(tmp_path: Path) -> None:
    (tmp_path / "Makefile").write_text("all:\n\t@true\n")

    with pytest.raises(UsageError, match=r"`make gates` in .* printed no gates: pass --gates"):
        deploy.read_gates(tmp_path)


# --- real deploys ---------------------------------------------------------------------------


def test_deploy_gates_pass_pushes_calls_the_hook_and_waits(
    site: Site, render: HTTPServer, capfd: pytest.CaptureFixture[str]
) -> None:
    assert run_deploy(site) == 0

    out, err = capfd.readouterr()
    assert branch_sha(site.bare) == site.head
    assert site.gates_run() == GATES
    assert requests(render) == ["POST /deploy/srv-abc", *["GET /health"] * 3]
    assert out.splitlines() == [
        f"pushed {site.head} to origin/main",
        "deploy hook accepted: deploy dep-test123",
        f"live: {render.url_for('/health')} reports {site.head[:12]}",
    ]
    assert f"version '{site.before}'" in err and "no version (HTTP 503" in err
    assert SECRET not in out + err
    for number, name in enumerate(["clean-tree", "branch", "remote", *GATES], 1):
        assert f"==> [{number}/7] {name} passed in " in err


def test_deploy_gates_flag_overrides_make_gates(
    site: Site, capfd: pytest.CaptureFixture[str]
) -> None:
    assert run_deploy(site, "--gates", "test lint") == 0

    assert site.gates_run() == ["test", "lint"]


def test_deploy_without_render_variables_only_pushes(
    site: Site, capfd: pytest.CaptureFixture[str]
) -> None:
    assert run_deploy(site) == 0

    assert branch_sha(site.bare) == site.head
    assert capfd.readouterr().out.splitlines() == [f"pushed {site.head} to origin/main"]


@pytest.mark.parametrize("gate", GATES)
def test_deploy_failing_gate_refuses_and_pushes_nothing(
    site: Site,
    render: HTTPServer,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    gate: str,
) -> None:
    monkeypatch.setenv("FAIL_GATE", gate)

    assert run_deploy(site) == 1

    message = assert_refused(site, capfd, gate)
    assert f"'make --no-print-directory {gate}' exited with code 2" in message
    assert site.gates_run() == GATES[: GATES.index(gate) + 1]
    assert requests(render) == []


@pytest.mark.parametrize(
    ("mistake", "named"),
    [
        (lambda repo: (repo / "README.md").write_text("edited\n"), "README.md"),
        (lambda repo: (repo / "notes.txt").write_text("todo\n"), "notes.txt"),
    ],
    ids=["modified", "untracked"],
)
def test_deploy_dirty_tree_refuses_naming_the_file(
    site: Site, capfd: pytest.CaptureFixture[str], mistake: Callable[[Path], object], named: str
) -> None:
    mistake(site.repo)

    assert run_deploy(site) == 1

    message = assert_refused(site, capfd, "clean-tree")
    assert f"uncommitted or untracked files: {named}; commit, stash or ignore them" in message
    assert site.gates_run() == []


def test_deploy_wrong_branch_refuses_naming_both(
    site: Site, capfd: pytest.CaptureFixture[str]
) -> None:
    git(site.repo, "switch", "--quiet", "-c", "feature")

    assert run_deploy(site) == 1

    message = assert_refused(site, capfd, "branch")
    assert (
        "on branch 'feature', expected 'main': git switch main, or pass --branch feature" in message
    )


def test_deploy_detached_head_refuses(site: Site, capfd: pytest.CaptureFixture[str]) -> None:
    git(site.repo, "switch", "--quiet", "--detach", "HEAD")

    assert run_deploy(site) == 1

    assert "HEAD is detached, expected 'main'" in assert_refused(site, capfd, "branch")


def test_deploy_custom_branch_pushes_that_branch(
    site: Site, capfd: pytest.CaptureFixture[str]
) -> None:
    git(site.repo, "switch", "--quiet", "-c", "release")

    assert run_deploy(site, "--branch", "release") == 0

    assert branch_sha(site.bare, "release") == site.head
    assert branch_sha(site.bare) == site.before


def test_deploy_remote_has_newer_commits_refuses(
    site: Site, capfd: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    other = tmp_path / "other"
    git(tmp_path, "clone", "--quiet", str(site.bare), str(other))
    git(other, "config", "user.email", "other@example.invalid")
    git(other, "config", "user.name", "Other")
    theirs = commit(other, "theirs.txt", "x\n", "Their change")
    git(other, "push", "--quiet", "origin", "main")

    assert run_deploy(site) == 1

    err = capfd.readouterr().err.strip().splitlines()[-1]
    assert err.startswith("deploy: gate 'remote' failed: origin/main (")
    assert err.endswith(
        "has commits that HEAD lacks: git pull --rebase origin main, then deploy again"
    )
    assert branch_sha(site.bare) == theirs
    assert site.gates_run() == []


def test_deploy_head_moved_during_the_gates_refuses_to_push(
    site: Site, capfd: pytest.CaptureFixture[str]
) -> None:
    assert run_deploy(site, "--gates", "lint moving") == 1

    err = capfd.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(f"deploy: HEAD moved from {site.head[:12]} to ")
    assert err.endswith("during the gates: deploy again")
    assert branch_sha(site.bare) == site.before


def test_deploy_dry_run_runs_the_gates_prints_the_plan_and_changes_nothing(
    site: Site, render: HTTPServer, capfd: pytest.CaptureFixture[str]
) -> None:
    assert run_deploy(site, "--dry-run") == 0

    out, err = capfd.readouterr()
    assert branch_sha(site.bare) == site.before
    assert requests(render) == []
    assert site.gates_run() == GATES
    assert out.splitlines() == [
        "deploy plan (dry run: nothing pushed, no hook called)",
        f"  commit  {site.head} on main",
        f"  gates   clean-tree, branch, remote, {', '.join(GATES)}",
        "  push    git push --no-verify origin main",
        f"  hook    POST {render.url_for('/deploy/srv-abc')}?key=***  ({deploy.HOOK_ENV})",
        f"  wait    GET {render.url_for('/health')} until version = {site.head[:12]} "
        "(timeout 10 s, every 0.05 s)",
        "  result  all gates passed",
    ]
    assert SECRET not in out + err


def test_deploy_dry_run_failing_gate_exits_1_with_the_plan(
    site: Site, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FAIL_GATE", "test")

    assert run_deploy(site, "--dry-run") == 1

    out, err = capfd.readouterr()
    assert "  push    git push --no-verify origin main" in out
    assert "  result  gate 'test' failed: " in out
    assert err.strip().splitlines()[-1].startswith("deploy: gate 'test' failed")
    assert branch_sha(site.bare) == site.before


def test_deploy_wait_never_sees_the_commit_names_the_last_version(
    site: Site,
    httpserver: HTTPServer,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    httpserver.expect_request("/health").respond_with_json({"version": "0ld5ha0ld5ha"})
    monkeypatch.setenv(deploy.SERVICE_ENV, httpserver.url_for("/"))

    assert run_deploy(site, "--timeout", "0.3") == 1

    message = capfd.readouterr().err.strip().splitlines()[-1]
    assert message.startswith(f"deploy: pushed {site.head} to origin/main, but timed out after")
    assert "version '0ld5ha0ld5ha'" in message
    assert branch_sha(site.bare) == site.head  # the push happened; only the wait failed


def test_deploy_hook_error_says_the_push_happened_without_the_key(
    site: Site,
    httpserver: HTTPServer,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    httpserver.expect_request("/deploy/srv-abc").respond_with_data("boom", status=500)
    monkeypatch.setenv(deploy.HOOK_ENV, httpserver.url_for(f"/deploy/srv-abc?key={SECRET}"))

    assert run_deploy(site) == 1

    _, err = capfd.readouterr()
    message = err.strip().splitlines()[-1]
    assert message.startswith(f"deploy: pushed {site.head} to origin/main, but the deploy hook")
    assert "HTTP 500" in message
    assert SECRET not in err


def test_deploy_skip_sim_warns_and_skips_only_the_sim(
    site: Site, capfd: pytest.CaptureFixture[str]
) -> None:
    assert run_deploy(site, "--skip-sim") == 0

    assert "deploy: WARNING: --skip-sim: render-sim will NOT run" in capfd.readouterr().err
    assert site.gates_run() == ["lint", "lock-check", "test"]
    assert branch_sha(site.bare) == site.head


def test_deploy_first_push_creates_the_remote_branch(
    site: Site, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    bare = tmp_path / "empty.git"
    git(tmp_path, "init", "--quiet", "--bare", str(bare))
    git(site.repo, "remote", "add", "fresh", str(bare))

    assert run_deploy(site, "--remote", "fresh") == 0

    assert branch_sha(bare) == site.head


def test_deploy_unknown_remote_refuses_with_gits_reason(
    site: Site, capfd: pytest.CaptureFixture[str]
) -> None:
    assert run_deploy(site, "--remote", "nowhere") == 1

    assert "deploy: gate 'remote' failed: cannot read remote 'nowhere': " in capfd.readouterr().err


@pytest.mark.parametrize("args", [["--timeout", "0"], ["--interval", "-1"], ["--bogus"]])
def test_main_bad_flags_exit_2(tmp_path: Path, args: list[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        deploy.main(["--repo", str(tmp_path), *args])

    assert caught.value.code == 2


def test_main_not_a_repository_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert deploy.main(["--repo", str(tmp_path / "nowhere")]) == 2
    assert capsys.readouterr().err.strip() == (
        f"deploy: {tmp_path / 'nowhere'} is not a git repository: pass --repo DIR"
    )
