"""The version /health reports: the deployed commit, read without running git."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FALLBACK = "dev"


def git_dir(root: Path) -> Path | None:
    """The repository's git directory: `.git`, or where a worktree's `.git` file points."""
    dot_git = root / ".git"
    if dot_git.is_dir():
        return dot_git
    if dot_git.is_file():
        text = dot_git.read_text().strip()
        if text.startswith("gitdir:"):
            return (root / text.removeprefix("gitdir:").strip()).resolve()
    return None


def resolve_ref(gitdir: Path, ref: str) -> str | None:
    """The commit a ref names, from loose refs or packed-refs (a worktree shares its parent's)."""
    common = gitdir / "commondir"
    places = [gitdir]
    if common.is_file():
        places.append((gitdir / common.read_text().strip()).resolve())
    for place in places:
        loose = place / ref
        if loose.is_file():
            return loose.read_text().strip()
        packed = place / "packed-refs"
        if packed.is_file():
            for line in packed.read_text().splitlines():
                commit, _, name = line.partition(" ")
                if name == ref:
                    return commit
    return None


def git_commit(root: Path = ROOT) -> str | None:
    """HEAD's commit from the files under .git, or None when there is no readable repository."""
    try:
        gitdir = git_dir(root)
        if gitdir is None:
            return None
        head = (gitdir / "HEAD").read_text().strip()
        if head.startswith("ref:"):
            return resolve_ref(gitdir, head.removeprefix("ref:").strip())
        return head or None
    except OSError:
        return None


def app_version(render_git_commit: str | None, root: Path = ROOT) -> str:
    """`RENDER_GIT_COMMIT` on Render, else the checkout's commit, else "dev"."""
    return render_git_commit or git_commit(root) or FALLBACK
