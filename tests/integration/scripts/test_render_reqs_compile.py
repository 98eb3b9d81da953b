"""A real pip-compile reproduces the committed requirements-render.txt byte for byte."""

from __future__ import annotations

import socket
import sys
from pathlib import Path

import pytest

from scripts import render_reqs
from scripts.project import RENDER_TXT, ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def pypi_reachable(timeout: float = 3.0) -> bool:
    try:
        with socket.create_connection(("pypi.org", 443), timeout=timeout):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def compile_preconditions() -> None:
    target, source = render_reqs.render_python_version(ROOT)
    minor = render_reqs.minor_of(target)
    if f"{sys.version_info[0]}.{sys.version_info[1]}" != minor:
        pytest.skip(f"{source} names Python {minor}; this test runs under {sys.version_info[:2]}")
    if not pypi_reachable():
        pytest.skip("pypi.org:443 is unreachable: the compile needs PyPI for hashes")


@pytest.mark.usefixtures("compile_preconditions")
def test_compile_reproduces_committed_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / RENDER_TXT
    assert render_reqs.main(["--root", str(ROOT), "--output", str(output)]) == 0, (
        capsys.readouterr().err
    )
    assert output.read_bytes() == (ROOT / RENDER_TXT).read_bytes(), (
        f"{RENDER_TXT} differs from a fresh compile: run `make render-reqs`"
    )
