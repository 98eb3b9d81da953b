"""make hooks: install, refuse, back up and remove the pre-push hook, and real pushes it blocks."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from scripts import hooks
from scripts.deploy import DEPLOY_MARKER_ENV
from tests.pipeline.gitrepo import branch_sha, commit, git, make_remote, make_repo

FOREIGN = "#!/bin/sh\necho 'someone else'\n"

pytestmark = pytest.mark.usefixtures("isolated_git")


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "work")


def hook_file(repo: Path) -> Path:
    return repo / ".git" / "hooks" / "pre-push"


def run_hooks(repo: Path, *args: str) -> int:
    return hooks.main(["--repo", str(repo), *args])


def push(repo: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "push", "origin", "main"],
        cwd=repo,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **env},
    )


def test_render_hook_is_a_marked_shell_script_running_the_command() -> None:
    text = hooks.render_hook("make fast-check")

    assert text.startswith("#!/bin/sh\n")
    assert text.splitlines()[1].startswith(hooks.MARKER)
    assert "if ! make fast-check </dev/null; then" in text
    assert f'if [ -n "${DEPLOY_MARKER_ENV}" ]; then' in text


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
def test_hook_state_tells_ours_from_foreign(text: str | None, state: str) -> None:
    assert hooks.hook_state(text, hooks.render_hook("make x")) == state


def test_install_writes_an_executable_marked_hook(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_hooks(repo, "install") == 0

    path = hook_file(repo)
    assert path.read_text() == hooks.render_hook("make fast-check")
    assert path.stat().st_mode & stat.S_IXUSR
    assert capsys.readouterr().out == (
        f"pre-push hook installed: {path.resolve()} runs 'make fast-check'\n"
    )


def test_install_twice_changes_nothing(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_hooks(repo, "install") == 0
    before = hook_file(repo).stat().st_mtime_ns

    assert run_hooks(repo, "install") == 0

    assert "already installed" in capsys.readouterr().out
    assert hook_file(repo).stat().st_mtime_ns == before
    assert list(hook_file(repo).parent.glob("pre-push.backup*")) == []


def test_install_updates_our_outdated_hook(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    hook_file(repo).write_text(hooks.render_hook("make old"))

    assert run_hooks(repo, "install") == 0

    assert "pre-push hook updated" in capsys.readouterr().out
    assert hook_file(repo).read_text() == hooks.render_hook(hooks.HOOK_COMMAND)


def test_install_refuses_a_foreign_hook_in_one_line(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hook_file(repo).write_text(FOREIGN)

    assert run_hooks(repo, "install") == 1

    err = capsys.readouterr().err
    assert err == (
        f"hooks: {hook_file(repo).resolve()} exists and was not written by `make hooks`: merge it "
        "by hand, or pass --force to replace it (it is kept as a backup)\n"
    )
    assert hook_file(repo).read_text() == FOREIGN


def test_install_force_keeps_every_foreign_hook_as_a_backup(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    hook_file(repo).write_text(FOREIGN)
    assert run_hooks(repo, "install", "--force") == 0
    hook_file(repo).write_text(FOREIGN + "# again\n")

    assert run_hooks(repo, "install", "--force") == 0

    hooks_dir = hook_file(repo).parent
    assert (hooks_dir / "pre-push.backup").read_text() == FOREIGN
    assert (hooks_dir / "pre-push.backup.1").read_text() == FOREIGN + "# again\n"
    assert "previous hook is kept at" in capsys.readouterr().out


def test_uninstall_removes_ours_and_keeps_a_foreign_hook(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_hooks(repo, "install") == 0
    assert run_hooks(repo, "uninstall") == 0
    assert not hook_file(repo).exists()
    assert run_hooks(repo, "uninstall") == 0  # nothing left: still fine

    hook_file(repo).write_text(FOREIGN)
    assert run_hooks(repo, "uninstall") == 1
    assert hook_file(repo).read_text() == FOREIGN
    assert "was not written by `make hooks`: leaving it alone" in capsys.readouterr().err


def test_status_exit_code_says_whether_current(
    repo: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_hooks(repo, "status") == 1
    assert run_hooks(repo, "install") == 0
    assert run_hooks(repo, "status") == 0

    out = capsys.readouterr().out
    assert "not installed: run make hooks" in out
    assert "installed, runs 'make fast-check'" in out


def test_install_honours_core_hooks_path(repo: Path) -> None:
    git(repo, "config", "core.hooksPath", "githooks")

    assert run_hooks(repo, "install") == 0

    assert (repo / "githooks" / "pre-push").is_file()
    assert not hook_file(repo).exists()


def test_install_from_a_linked_worktree_uses_the_shared_hooks(repo: Path, tmp_path: Path) -> None:
    worktree = tmp_path / "wt"
    git(repo, "worktree", "add", "--quiet", str(worktree), "-b", "side")

    assert run_hooks(worktree, "install") == 0

    assert hook_file(repo).is_file()


def test_install_outside_a_repository_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_hooks(tmp_path, "install") == 1
    assert capsys.readouterr().err == (
        f"hooks: {tmp_path} is not a git repository: pass --repo DIR\n"
    )


@pytest.mark.parametrize("fails", [True, False])
def test_installed_hook_runs_make_fast_check_and_blocks_a_failing_push(
    repo: Path, tmp_path: Path, fails: bool
) -> None:
    """The project's fast-check target decides; `make deploy`'s marker skips the hook."""
    bare = make_remote(tmp_path / "remote.git", repo)
    before = branch_sha(bare)
    verdict = "exit 1" if fails else "exit 0"
    makefile = f".PHONY: fast-check\nfast-check:\n\t@echo fast-check-ran; {verdict}\n"
    commit(repo, "Makefile", makefile, "Add the fast gates")
    head = git(repo, "rev-parse", "HEAD")
    assert run_hooks(repo, "install") == 0

    done = push(repo)

    assert "fast-check-ran" in done.stdout + done.stderr
    assert (done.returncode != 0) is fails
    assert branch_sha(bare) == (before if fails else head)
    assert ("push blocked (skip once: git push --no-verify)" in done.stderr) is fails
    if fails:
        skipped = push(repo, **{DEPLOY_MARKER_ENV: head})
        assert skipped.returncode == 0, skipped.stderr
        assert "fast-check-ran" not in skipped.stdout + skipped.stderr
        assert branch_sha(bare) == head
