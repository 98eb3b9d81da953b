"""scripts.project: one model of a project, read once from its own files."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path, PurePosixPath

import pytest

from scripts.packages import Package
from scripts.proc import ScriptError, UsageError
from scripts.project import load_project
from tests.pipeline.projects import PYTHON, blueprint, edit

MakeProject = Callable[..., Path]


def test_load_project_reads_every_file(make_project: MakeProject) -> None:
    root = make_project(
        name="Quote_Bot",
        deps=["fastapi>=0.115", "orjson"],
        extras={"ml": ["torch>=2"]},
        config={"heavy-packages": ["onnx"]},
        python_version_file="3.11\n",
        files={"src/quote_bot/__init__.py": ""},
    )

    project = load_project(root)

    assert project.root == root.resolve()
    assert project.name == "quote-bot"
    assert project.dependencies == ["fastapi>=0.115", "orjson"]
    assert project.extras == {"ml": ["torch>=2"]}
    assert project.packages == (Package("quote_bot", PurePosixPath("src/quote_bot")),)
    assert project.first_party == {"quote_bot"}
    assert project.config.heavy_packages == {"onnx"}
    assert project.web_service is not None and project.web_service.name == "quotebot"
    assert project.render_in is not None and "fastapi>=0.115" in project.render_in
    assert project.render_txt is not None and "fastapi==0.115.6" in project.render_txt
    assert project.python_version_file == "3.11"
    assert project.stale_lock() is None
    assert project.heavy() == {"torch", "numpy", "filelock", "onnx"}


def test_load_project_missing_files_are_none(make_project: MakeProject) -> None:
    root = make_project(lock=False, render_yaml=False, render_in=False, render_txt=False)

    project = load_project(root)

    assert (project.lock, project.blueprint_doc, project.web_service) == (None, None, None)
    assert (project.render_in, project.render_txt, project.python_version_file) == (
        None,
        None,
        None,
    )
    with pytest.raises(ScriptError, match=r"uv.lock not found: run `uv lock`$"):
        project.require_lock()


def test_render_python_prefers_render_yaml(make_project: MakeProject) -> None:
    root = make_project(python_version_file="3.10\n")

    assert load_project(root).render_python() == (PYTHON, "render.yaml")


def test_render_python_falls_back_to_python_version_file(make_project: MakeProject) -> None:
    root = make_project(
        render_yaml=blueprint().replace(
            f'      - key: PYTHON_VERSION\n        value: "{PYTHON}"\n', ""
        ),
        python_version_file="3.12\n",
    )

    assert load_project(root).render_python() == ("3.12", ".python-version")


def test_render_python_none_anywhere_says_where_to_set_it(make_project: MakeProject) -> None:
    with pytest.raises(ScriptError, match=r"set PYTHON_VERSION in render\.yaml or write"):
        load_project(make_project(render_yaml=False)).render_python()


def test_stale_lock_names_what_pyproject_changed(make_project: MakeProject) -> None:
    root = make_project()
    edit(root / "pyproject.toml", '"fastapi>=0.115"', '"fastapi>=0.115", "orjson"')

    assert load_project(root).stale_lock() == (
        "pyproject.toml changed since the last `uv lock` (added orjson)"
    )


def test_load_project_invalid_render_yaml_names_the_line(make_project: MakeProject) -> None:
    root = make_project(render_yaml="services:\n  - name: [unclosed\n")

    with pytest.raises(ScriptError, match=r"^render.yaml:\d+: not valid YAML"):
        load_project(root)


@pytest.mark.parametrize(
    ("pyproject", "message"),
    [
        (None, "not found: is"),
        ("[project\n", "is not valid TOML"),
        ("[tool.x]\na = 1\n", "has no [project] name: add one"),
    ],
)
def test_load_project_bad_pyproject_is_a_usage_error(
    tmp_path: Path, pyproject: str | None, message: str
) -> None:
    if pyproject is not None:
        (tmp_path / "pyproject.toml").write_text(pyproject)

    with pytest.raises(UsageError) as caught:
        load_project(tmp_path)

    assert message in str(caught.value)
