"""scripts.pythons: Python versions as Render reads them, and the local interpreters that match."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from scripts import pythons
from scripts.proc import ScriptError
from scripts.pythons import (
    RENDER_DEFAULT_PYTHON,
    Interpreter,
    candidate_paths,
    choose_python,
    is_full,
    minor_of,
    select_interpreter,
    wanted_version,
)

HERE = ".".join(map(str, sys.version_info[:3]))


def interp(version: str) -> Interpreter:
    major, minor, patch = (int(n) for n in version.split("."))
    return Interpreter(path=f"/py/{version}/bin/python", version=(major, minor, patch))


@pytest.mark.parametrize(
    ("text", "minor"), [("3.11.14", "3.11"), ("3.12", "3.12"), (" 3.9 ", "3.9")]
)
def test_minor_of_accepts_xy_and_xyz(text: str, minor: str) -> None:
    assert minor_of(text) == minor


@pytest.mark.parametrize("text", ["3", "3.11.14.1", "3.13.0rc1", "three", "3.11.x", ""])
def test_minor_of_rejects_anything_else(text: str) -> None:
    with pytest.raises(ScriptError, match=r"is not x\.y or x\.y\.z$"):
        minor_of(text)


@pytest.mark.parametrize(("text", "full"), [("3.11.14", True), ("3.11", False), ("3.11.x", False)])
def test_is_full_only_for_xyz(text: str, full: bool) -> None:
    assert is_full(text) is full


def test_wanted_version_python_version_wins_over_file() -> None:
    assert wanted_version("3.11.14", "3.12") == ("3.11.14", [])


def test_wanted_version_partial_python_version_refused_with_an_example() -> None:
    with pytest.raises(ScriptError) as caught:
        wanted_version("3.11", None)

    assert str(caught.value) == (
        "PYTHON_VERSION '3.11' in render.yaml is not a full x.y.z version, which Render "
        'requires: write e.g. "3.11.14"'
    )


def test_wanted_version_falls_back_to_python_version_file_with_a_note() -> None:
    assert wanted_version(None, "3.11") == (
        "3.11",
        ["PYTHON_VERSION not set in render.yaml: using .python-version (3.11)"],
    )


def test_wanted_version_bad_python_version_file_is_named() -> None:
    with pytest.raises(ScriptError, match=r"^.python-version says 'latest': write x.y or x.y.z$"):
        wanted_version(None, "latest")


def test_wanted_version_nothing_named_warns_about_render_default() -> None:
    version, notes = wanted_version(None, None)

    assert version == RENDER_DEFAULT_PYTHON
    assert notes[0].endswith("Render would use its current default (3.14.x); pin it in render.yaml")


def test_select_interpreter_exact_patch_without_a_note() -> None:
    chosen, notes = select_interpreter("3.11.7", [interp("3.11.2"), interp("3.11.7")])

    assert (chosen.version, notes) == ((3, 11, 7), [])


def test_select_interpreter_other_patch_uses_the_newest_and_says_so() -> None:
    chosen, notes = select_interpreter(
        "3.11.14", [interp("3.11.2"), interp("3.11.7"), interp("3.12.1")]
    )

    assert chosen.version == (3, 11, 7)
    assert notes == [
        "render.yaml names 3.11.14; using 3.11.7: pins depend on the minor version only"
    ]


def test_select_interpreter_minor_only_takes_the_newest_quietly() -> None:
    chosen, notes = select_interpreter("3.11", [interp("3.11.2"), interp("3.11.7")])

    assert (chosen.version, notes) == ((3, 11, 7), [])


def test_select_interpreter_missing_minor_names_how_to_install_it() -> None:
    with pytest.raises(ScriptError) as caught:
        select_interpreter("3.10.4", [interp("3.11.7")])

    assert str(caught.value) == (
        "render.yaml needs Python 3.10.4 but no python3.10 was found here: install it with "
        "`uv python install 3.10` or `pyenv install 3.10`, or pass --python PATH"
    )


def test_candidate_paths_finds_path_and_pyenv_versions(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    on_path = bin_dir / "python3.11"
    on_path.write_text("#!/bin/sh\n")
    on_path.chmod(0o755)
    (bin_dir / "python3.12").write_text("")  # another minor
    pyenv_exe = tmp_path / "pyenv" / "versions" / "3.11.9" / "bin" / "python3.11"
    pyenv_exe.parent.mkdir(parents=True)
    pyenv_exe.write_text("")

    found = candidate_paths("3.11", path_env=str(bin_dir), pyenv_root=tmp_path / "pyenv")

    assert found == [str(on_path), str(pyenv_exe)]


def test_probe_real_interpreter_reports_its_version() -> None:
    found = pythons.probe(sys.executable)

    assert found is not None
    assert found.version == sys.version_info[:3]
    assert Path(found.path).is_file()


@pytest.mark.parametrize("path", ["/no/such/python", "/bin/false"])
def test_probe_not_an_interpreter_is_none(path: str) -> None:
    assert pythons.probe(path) is None


def test_find_interpreters_finds_this_minor() -> None:
    found = pythons.find_interpreters(".".join(map(str, sys.version_info[:2])))

    assert any(i.version[:2] == sys.version_info[:2] for i in found)


def test_choose_python_override_is_used_with_a_note() -> None:
    chosen, notes = choose_python("3.9.1", sys.executable)

    assert chosen.version_text == HERE
    assert notes == [
        f"--python {sys.executable}: using Python {HERE} instead of the 3.9.1 that render.yaml "
        "names"
    ]


def test_choose_python_bad_override_is_named() -> None:
    with pytest.raises(ScriptError, match=r"^--python '/bin/false' is not a working Python"):
        choose_python("3.11", "/bin/false")
