"""Fixtures for end-to-end tests: real processes on loopback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scripts.proc import ScriptError
from tools.standin import running_space


@pytest.fixture(scope="session")
def standin_space() -> Iterator[str]:
    """The base URL of the stand-in Space, started once per session (~10 s; its venv on first use).

    Tests that use it should be marked e2e and slow.
    """
    try:
        with running_space() as url:
            yield url
    except ScriptError as exc:
        pytest.fail(f"the stand-in Space could not start: {exc}", pytrace=False)
