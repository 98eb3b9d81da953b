"""scripts.upgrade: the table of changes, and a package that is not locked.

A real upgrade (uv lock from PyPI, pip-compile, the gates, and the roll-back when a gate
fails) runs in the template's adoption tests; these run everywhere.
"""

from __future__ import annotations

import subprocess
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


class FakeSteps:
    """Stands in for `uv lock`, `make render-reqs` and the gates: each step rewrites a file as
    the real one would (a newer fastapi), and the gates pass or fail as told."""

    def __init__(self, root: Path, *, gates_pass: bool) -> None:
        self.root, self.gates_pass = root, gates_pass
        self.commands: list[list[str]] = []

    def __call__(self, cmd: list[str], **_: object) -> subprocess.CompletedProcess[str]:
        self.commands.append(cmd)
        if cmd[:2] == ["uv", "lock"]:
            lock = self.root / "uv.lock"
            lock.write_text(lock.read_text().replace('version = "0.115.6"', 'version = "0.116.0"'))
        elif "scripts.render_reqs" in cmd:
            txt = self.root / "requirements-render.txt"
            txt.write_text(txt.read_text().replace("fastapi==0.115.6", "fastapi==0.116.0"))
        code = 0 if self.gates_pass or cmd[0] != "make" else 2
        return subprocess.CompletedProcess(cmd, code, "", "")


@pytest.fixture
def steps(
    monkeypatch: pytest.MonkeyPatch, make_project: Callable[..., Path]
) -> Callable[..., FakeSteps]:
    monkeypatch.setattr(upgrade, "find_uv", lambda: "uv")

    def make(*, gates_pass: bool) -> FakeSteps:
        fake = FakeSteps(
            make_project(name="quotebot", deps=["fastapi>=0.115"]), gates_pass=gates_pass
        )
        monkeypatch.setattr(upgrade, "run", fake)
        return fake

    return make


def test_upgrade_moves_both_files_and_prints_the_production_change(
    steps: Callable[..., FakeSteps], capsys: pytest.CaptureFixture[str]
) -> None:
    fake = steps(gates_pass=True)

    assert upgrade.main(["--root", str(fake.root), "--package", "fastapi"]) == 0

    assert fake.commands[0] == ["uv", "lock", "--upgrade-package", "fastapi"]
    assert fake.commands[-1] == ["make", "--no-print-directory", "fast-check"]
    assert "| fastapi | 0.115.6 | 0.116.0 |" in capsys.readouterr().out
    assert "fastapi==0.116.0" in (fake.root / "requirements-render.txt").read_text()


def test_upgrade_failing_gates_put_both_files_back(
    steps: Callable[..., FakeSteps], capsys: pytest.CaptureFixture[str]
) -> None:
    fake = steps(gates_pass=False)
    before = {n: (fake.root / n).read_bytes() for n in ("uv.lock", "requirements-render.txt")}

    assert upgrade.main(["--root", str(fake.root)]) == 1

    assert fake.commands[0] == ["uv", "lock", "--upgrade"]
    assert "uv.lock and requirements-render.txt are back as they were" in capsys.readouterr().err
    assert {n: (fake.root / n).read_bytes() for n in before} == before
