"""Install a pinned uv into a project-local folder, for machines that have only python3 and make.

Runs on the standard library alone (uv is what installs everything else), so the Makefile
calls it as a file: `python3 scripts/bootstrap_uv.py`. It never touches the user's global
site-packages: uv goes into <dest>/venv and <dest>/bin/uv links to it.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import venv
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EPILOG = """example:
  python3 scripts/bootstrap_uv.py --version 0.13.8 --dest .tools
"""


def install_uv(version: str, dest: Path) -> Path:
    """Create dest/venv, pip-install uv==version into it, link dest/bin/uv; return that link."""
    env_dir = dest / "venv"
    if not (env_dir / "bin" / "python").exists():
        print(f"==> creating {env_dir}", file=sys.stderr)
        venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    print(f"==> installing uv=={version} into {env_dir}", file=sys.stderr)
    pip = [str(env_dir / "bin" / "python"), "-m", "pip", "install", "--quiet"]
    result = subprocess.run([*pip, f"uv=={version}"], stdin=subprocess.DEVNULL, check=False)
    if result.returncode != 0:
        raise RuntimeError(
            f"pip could not install uv=={version} (exit {result.returncode}): check the network "
            "or install uv yourself (https://docs.astral.sh/uv/) and run make again"
        )
    link = dest / "bin" / "uv"
    link.parent.mkdir(parents=True, exist_ok=True)
    link.unlink(missing_ok=True)
    link.symlink_to(Path("..") / "venv" / "bin" / "uv")
    return link


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", required=True, help="the uv version to install, e.g. 0.13.8")
    parser.add_argument(
        "--dest", type=Path, default=ROOT / ".tools", help="folder for uv (default: .tools)"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        link = install_uv(args.version, args.dest.resolve())
    except (RuntimeError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    print(link)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
