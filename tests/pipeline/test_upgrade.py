"""scripts.upgrade: the table of changes, and a package that is not locked.

A real upgrade (uv lock from PyPI, pip-compile, the gates, and the roll-back when a gate
fails) runs in the template's adoption tests; these run everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from scripts import upgrade
from scripts.upgrade import Change, changes, format_changes


def test_changes_lists_production_first_then_by_name() -> None:
    before = {"fastapi": "0.150.0", "ruff": "0.8.0", "anyio": "4.0.0", "gone": "1.0"}
    after = {"fastapi": "0.165.0", "ruff": "0.9.0", "anyio": "4.0.0", "new": "2.0"}
    assert changes(before, after, {"fastapi", "new"}) == [
        Change("fastapi", "0.150.0", "0.165.0", True),
        Change("new", "(new)", "2.0", True),
        Change("gone", "1.0", "(removed)", False),
        Change("ruff", "0.8.0", "0.9.0", False),
    ]


def test_format_changes_splits_production_and_development() -> None:
    text = format_changes([Change("fastapi", "1", "2", True), Change("ruff", "3", "4", False)])
    assert text.splitlines() == [
        "### Production (requirements-render.txt)",
        "",
        "| package | from | to |",
        "| --- | --- | --- |",
        "| fastapi | 1 | 2 |",
        "",
        "### Development",
        "",
        "| package | from | to |",
        "| --- | --- | --- |",
        "| ruff | 3 | 4 |",
    ]


def test_format_changes_nothing_says_so() -> None:
    assert format_changes([]).startswith("No upgrades:")


def test_upgrade_unknown_package_exits_2_and_changes_nothing(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(name="quotebot", deps=["fastapi>=0.115"])
    lock = (root / "uv.lock").read_bytes()

    assert upgrade.main(["--root", str(root), "--package", "no-such-thing"]) == 2

    assert "PACKAGE='no-such-thing' is not in uv.lock" in capsys.readouterr().err
    assert (root / "uv.lock").read_bytes() == lock
