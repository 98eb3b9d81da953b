"""Throwaway git repositories for the pipeline's tests, isolated from the user's git config."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

_PROXY_NAMES = {"http_proxy", "https_proxy", "all_proxy", "no_proxy"}


def isolate_git(monkeypatch: pytest.MonkeyPatch, home: Path) -> None:
    """Drop GIT_* and proxy variables, and point git at an empty global config.

    Hooks export GIT_DIR and friends, so tests run from a pre-push hook would otherwise act
    on the caller's repository; a global hooksPath or defaultBranch would change results.
    """
    for name in list(os.environ):
        if name.startswith("GIT_") or name.lower() in _PROXY_NAMES:
            monkeypatch.delenv(name)
    home.mkdir(parents=True, exist_ok=True)
    config = home / "gitconfig"
    config.write_text("")
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(config))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("GIT_TERMINAL_PROMPT", "0")


def git(repo: Path, *args: str, env: dict[str, str] | None = None) -> str:
    """Run git in `repo` and return its stripped stdout; fail the test on a non-zero exit."""
    done = subprocess.run(
        ["git", *args], cwd=repo, capture_output=True, text=True, timeout=60, env=env
    )
    assert done.returncode == 0, f"git {' '.join(args)}: {done.stderr}"
    return done.stdout.strip()


def make_repo(path: Path) -> Path:
    """A repository on branch main with one commit and a local identity (in `path`, which may
    already hold files: they are left uncommitted)."""
    path.mkdir(parents=True, exist_ok=True)
    git(path, "init", "--quiet", "--initial-branch=main")
    git(path, "config", "user.name", "Test Deployer")
    git(path, "config", "user.email", "deployer@example.invalid")
    git(path, "config", "commit.gpgsign", "false")
    commit(path, "README.md", "hello\n", "Initial commit")
    return path


def commit(repo: Path, name: str, text: str, message: str) -> str:
    """Write `name`, commit it, and return the new HEAD sha."""
    (repo / name).write_text(text)
    git(repo, "add", name)
    git(repo, "commit", "--quiet", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def commit_all(repo: Path, message: str) -> str:
    """Commit every file in the working tree and return the new HEAD sha."""
    git(repo, "add", "-A")
    git(repo, "commit", "--quiet", "-m", message)
    return git(repo, "rev-parse", "HEAD")


def make_remote(bare: Path, repo: Path) -> Path:
    """A bare repository added to `repo` as origin, with main pushed to it."""
    subprocess.run(
        ["git", "init", "--quiet", "--bare", "--initial-branch=main", str(bare)], check=True
    )
    git(repo, "remote", "add", "origin", str(bare))
    git(repo, "push", "--quiet", "origin", "main")
    return bare


def branch_sha(repo: Path, branch: str = "main") -> str | None:
    """The commit `branch` points to in `repo`, or None if it does not exist."""
    done = subprocess.run(
        ["git", "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}"],
        cwd=repo,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip() or None
