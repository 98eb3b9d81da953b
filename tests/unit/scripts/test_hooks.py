"""scripts/hooks.py: install, refuse, back up, remove, and a real push the hook blocks."""

from __future__ import annotations

import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from scripts import hooks
from tests.conftest import ROOT
from tests.gitrepo import branch_sha, commit, git, isolate_git, make_remote, make_repo

FOREIGN = "#!/bin/sh\necho 'someone else'\n"


def python_command(code: int) -> str:
    return shlex.join([sys.executable, "-c", f"raise SystemExit({code})"])


@pytest.fixture(autouse=True)
def _isolated_git(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    isolate_git(monkeypatch, tmp_path / "home")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "work")


def hook_file(repo: Path) -> Path:
    return repo / ".git" / "hooks" / "pre-push"


def push(repo: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "push", "origin", "main"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )


def test_render_hook_is_marked_shell_running_the_command():
    text = hooks.render_hook("make lint")
    assert text.startswith("#!/bin/sh\n")
    assert text.splitlines()[1].startswith(hooks.MARKER)
    assert "if ! make lint </dev/null; then" in text


@pytest.mark.parametrize(
    ("text", "state"),
    [
        (None, "absent"),
        (hooks.render_hook("make x"), "current"),
        (hooks.render_hook("make y"), "outdated"),
        (FOREIGN, "foreign"),
        ("", "foreign"),
    ],
)
def test_hook_state_tells_ours_from_foreign(text, state):
    assert hooks.hook_state(text, hooks.render_hook("make x")) == state


def test_install_writes_executable_marked_hook(repo, capsys):
    assert hooks.main(["--repo", str(repo), "install"]) == 0

    path = hook_file(repo)
    assert path.read_text() == hooks.render_hook(hooks.HOOK_COMMAND)
    assert path.stat().st_mode & stat.S_IXUSR
    assert f"pre-push hook installed: {path}" in capsys.readouterr().out


def test_install_twice_is_a_no_op(repo, capsys):
    assert hooks.main(["--repo", str(repo), "install"]) == 0
    before = hook_file(repo).stat().st_mtime_ns

    assert hooks.main(["--repo", str(repo), "install"]) == 0

    assert "already installed" in capsys.readouterr().out
    assert hook_file(repo).stat().st_mtime_ns == before
    assert list(hook_file(repo).parent.glob("pre-push.backup*")) == []


def test_install_updates_our_outdated_hook(repo, capsys):
    hook_file(repo).write_text(hooks.render_hook("make old"))

    assert hooks.main(["--repo", str(repo), "install"]) == 0

    assert "pre-push hook updated" in capsys.readouterr().out
    assert hook_file(repo).read_text() == hooks.render_hook(hooks.HOOK_COMMAND)


def test_install_refuses_foreign_hook(repo, capsys):
    hook_file(repo).write_text(FOREIGN)

    assert hooks.main(["--repo", str(repo), "install"]) == 1

    err = capsys.readouterr().err
    assert err.startswith("hooks: ") and "--force" in err and err.count("\n") == 1
    assert hook_file(repo).read_text() == FOREIGN


def test_install_force_backs_up_foreign_hook(repo, capsys):
    hook_file(repo).write_text(FOREIGN)
    assert hooks.main(["--repo", str(repo), "install", "--force"]) == 0
    hook_file(repo).write_text(FOREIGN + "# again\n")

    assert hooks.main(["--repo", str(repo), "install", "--force"]) == 0

    backups = hook_file(repo).parent
    assert (backups / "pre-push.backup").read_text() == FOREIGN
    assert (backups / "pre-push.backup.1").read_text() == FOREIGN + "# again\n"
    assert "previous hook is kept at" in capsys.readouterr().out


def test_uninstall_removes_ours_and_keeps_foreign(repo, capsys):
    assert hooks.main(["--repo", str(repo), "install"]) == 0
    assert hooks.main(["--repo", str(repo), "uninstall"]) == 0
    assert not hook_file(repo).exists()
    assert hooks.main(["--repo", str(repo), "uninstall"]) == 0  # nothing left: still fine

    hook_file(repo).write_text(FOREIGN)
    assert hooks.main(["--repo", str(repo), "uninstall"]) == 1
    assert hook_file(repo).read_text() == FOREIGN
    assert "not written by `make hooks`" in capsys.readouterr().err


def test_status_exit_code_says_whether_current(repo, capsys):
    assert hooks.main(["--repo", str(repo), "status"]) == 1
    assert hooks.main(["--repo", str(repo), "install"]) == 0
    assert hooks.main(["--repo", str(repo), "status"]) == 0
    out = capsys.readouterr().out
    assert "not installed: run make hooks" in out
    assert f"installed, runs '{hooks.HOOK_COMMAND}'" in out


def test_install_honours_core_hooks_path(repo):
    git(repo, "config", "core.hooksPath", "githooks")

    assert hooks.main(["--repo", str(repo), "install"]) == 0

    assert (repo / "githooks" / "pre-push").is_file()
    assert not hook_file(repo).exists()


def test_install_from_linked_worktree_uses_shared_hooks(repo, tmp_path):
    worktree = tmp_path / "wt"
    git(repo, "worktree", "add", "--quiet", str(worktree), "-b", "side")

    assert hooks.main(["--repo", str(worktree), "install"]) == 0

    assert hook_file(repo).is_file()


def test_install_outside_repository_exits_1(tmp_path, capsys):
    assert hooks.main(["--repo", str(tmp_path), "install"]) == 1
    assert "is not a git repository" in capsys.readouterr().err


@pytest.mark.parametrize(("code", "is_pushed"), [(1, False), (0, True)])
def test_installed_hook_blocks_push_when_command_fails(
    repo, tmp_path, monkeypatch, code, is_pushed
):
    bare = make_remote(tmp_path / "remote.git", repo)
    before = branch_sha(bare)
    head = commit(repo, "app.py", "x = 1\n", "Change")
    monkeypatch.setattr(hooks, "HOOK_COMMAND", python_command(code))
    assert hooks.main(["--repo", str(repo), "install"]) == 0

    done = push(repo)

    assert (done.returncode == 0) is is_pushed
    assert branch_sha(bare) == (head if is_pushed else before)
    assert ("push blocked" in done.stderr) is not is_pushed


def test_default_hook_runs_make_targets_and_deploy_marker_skips_it(repo, tmp_path):
    bare = make_remote(tmp_path / "remote.git", repo)
    before = branch_sha(bare)
    (repo / "Makefile").write_text(
        "lint:\n\t@echo lint-ran; exit 1\nrender-reqs-check:\n\t@true\ntest:\n\t@true\n"
    )
    git(repo, "add", "Makefile")
    head = commit(repo, "app.py", "x = 1\n", "Change")
    assert hooks.main(["--repo", str(repo), "install"]) == 0

    blocked = push(repo)
    assert blocked.returncode != 0
    assert "lint-ran" in blocked.stdout + blocked.stderr
    assert branch_sha(bare) == before

    skipped = push(repo, env={**os.environ, "FEATHERWEIGHT_DEPLOY": head})
    assert skipped.returncode == 0, skipped.stderr
    assert branch_sha(bare) == head


def test_hooks_runs_as_module():
    done = subprocess.run(
        [sys.executable, "-m", "scripts.hooks", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0
    assert "install" in done.stdout and "--repo" in done.stdout
