"""The build's side of render-sim: a clean copy of the source, a venv, what the build installed."""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

from packaging.utils import canonicalize_name

from scripts.pipenv import isolated_pip_env
from scripts.proc import run
from scripts.pythons import Interpreter, find_uv

# For a project without uv.lock, where the heavy set cannot be computed: the usual giants.
FALLBACK_HEAVY = (
    "torch",
    "torchaudio",
    "torchvision",
    "tensorflow",
    "tensorflow-*",
    "jax",
    "jaxlib",
    "triton",
    "nvidia-*",
    "onnxruntime-gpu",
)
VENV_TIMEOUT = 300


def heavy_installed(
    installed: Iterable[str], baseline: Iterable[str], heavy: Iterable[str]
) -> list[str]:
    """Installed names (normalised) that the build added and that match a heavy name or pattern.

    `baseline` is what the fresh venv held before the build (pip, and setuptools up to
    Python 3.11), which the build command did not choose.
    """
    added = set(installed) - set(baseline)
    patterns = list(heavy)
    return sorted(n for n in added if any(fnmatch.fnmatchcase(n, p) for p in patterns))


def copy_source(project: Path, dest: Path, *, worktree: bool) -> str:
    """Put the committed tree (or, with `worktree`, the working tree) of `project` in `dest`."""
    if not worktree:
        run(["git", "clone", "--quiet", "--no-checkout", str(project), str(dest)])
        commit = run(["git", "rev-parse", "HEAD"], cwd=project).stdout.strip()
        run(["git", "checkout", "--quiet", "--detach", commit], cwd=dest)
        return f"clone of the committed tree at {commit[:12]}"
    listed = run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=project
    ).stdout.split("\0")
    skipped = set()
    for name in filter(None, listed):
        top = name.split("/", 1)[0]
        if (project / top / "pyvenv.cfg").exists():
            skipped.add(top)  # a virtualenv that .gitignore misses: never part of a deploy
            continue
        source = project / name
        if source.is_symlink() or source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name, follow_symlinks=False)
    extra = f" (left out virtualenv {', '.join(sorted(skipped))})" if skipped else ""
    return f"copy of the working tree, uncommitted changes included{extra}"


def make_venv(interpreter: Interpreter, venv: Path) -> str:
    """A fresh venv with pip, as Render's build starts from; uv makes it when it can (faster)."""
    uv = find_uv()
    if uv:
        command = [uv, "venv", "--no-config", "--seed", "--quiet", "--python", interpreter.path]
        run([*command, str(venv)], env=isolated_pip_env(), timeout=VENV_TIMEOUT)
        return "uv venv --seed"
    run([interpreter.path, "-m", "venv", str(venv)], timeout=VENV_TIMEOUT)
    return "python -m venv"


def pip_list(python: Path, env: Mapping[str, str]) -> set[str]:
    out = run([str(python), "-m", "pip", "list", "--format=json"], env=env, timeout=120).stdout
    return {canonicalize_name(p["name"]) for p in json.loads(out)}


_DOWNLOADING = re.compile(r"^\s*Downloading \S+ \(([\d.]+) (bytes|kB|MB|GB)\)", re.MULTILINE)
_UNITS = {"bytes": 1, "kB": 1000, "MB": 1000**2, "GB": 1000**3}


def downloaded_bytes(build_log: str) -> int:
    """Sum of pip's `Downloading name.whl (1.2 MB)` lines: what the build fetched.

    The pip cache measures the same only where the index sends cache headers.
    """
    return int(sum(float(n) * _UNITS[unit] for n, unit in _DOWNLOADING.findall(build_log)))


def disk_usage(path: Path) -> int:
    """Bytes that `path` takes on disk (du -sk)."""
    return int(run(["du", "-sk", str(path)], timeout=120).stdout.split()[0]) * 1024
