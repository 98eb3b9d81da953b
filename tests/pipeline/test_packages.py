"""scripts.packages: a project's import packages, read from its build backend's configuration."""

from __future__ import annotations

import tomllib
from pathlib import Path, PurePosixPath

import pytest

from scripts.packages import Package, source_packages
from scripts.proc import UsageError


def project(root: Path, build: str, files: list[str], name: str = "quote-bot") -> Path:
    (root / "pyproject.toml").write_text(f'[project]\nname = "{name}"\n\n{build}')
    for rel in files:
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text("")
    return root


def found(root: Path) -> list[tuple[str, str, str]]:
    pyproject = tomllib.loads((root / "pyproject.toml").read_text())
    return [(p.name, str(p.path), str(p.import_root)) for p in source_packages(pyproject, root)]


def backend(name: str) -> str:
    return f'[build-system]\nbuild-backend = "{name}"\n'


HATCH = backend("hatchling.build")
SETUPTOOLS = backend("setuptools.build_meta")
UV_BUILD = backend("uv_build")
FLIT = backend("flit_core.buildapi")


@pytest.mark.parametrize(
    ("files", "expected"),
    [
        (["src/quote_bot/__init__.py"], [("quote_bot", "src/quote_bot", "src")]),
        (["quote_bot/__init__.py"], [("quote_bot", "quote_bot", ".")]),
        (["src/quote_bot.py"], [("quote_bot", "src/quote_bot.py", "src")]),
        (["quote_bot.py"], [("quote_bot", "quote_bot.py", ".")]),
    ],
    ids=["src", "flat", "src-module", "module"],
)
def test_source_packages_hatch_default_finds_the_project_name(
    tmp_path: Path, files: list[str], expected: list[tuple[str, str, str]]
) -> None:
    assert found(project(tmp_path, HATCH, files)) == expected


def test_source_packages_hatch_packages_lists_each_directory(tmp_path: Path) -> None:
    build = HATCH + '[tool.hatch.build.targets.wheel]\npackages = ["src/quotes", "service/"]\n'
    root = project(tmp_path, build, ["src/quotes/__init__.py", "service/__init__.py"])

    assert found(root) == [("quotes", "src/quotes", "src"), ("service", "service", ".")]


def test_source_packages_hatch_nothing_found_names_the_setting(tmp_path: Path) -> None:
    root = project(tmp_path, HATCH, ["app/__init__.py"])

    with pytest.raises(UsageError) as caught:
        found(root)

    assert str(caught.value) == (
        "pyproject.toml: hatchling finds no package 'quote_bot' (src/quote_bot or quote_bot): "
        "set [tool.hatch.build.targets.wheel] packages to your package directories"
    )


def test_source_packages_empty_packages_list_is_an_error(tmp_path: Path) -> None:
    root = project(tmp_path, HATCH + "[tool.hatch.build.targets.wheel]\npackages = []\n", [])

    with pytest.raises(UsageError, match=r"packages is empty: list the package directories"):
        found(root)


def test_source_packages_configured_tree_missing_is_an_error(tmp_path: Path) -> None:
    build = HATCH + '[tool.hatch.build.targets.wheel]\npackages = ["src/quotes", "service"]\n'
    root = project(tmp_path, build, ["src/quotes/__init__.py"])

    with pytest.raises(UsageError) as caught:
        found(root)

    assert str(caught.value) == (
        "pyproject.toml: the build configuration names service, which does not exist: "
        "fix the path, or create the package"
    )


def test_source_packages_setuptools_find_lists_packages_under_where(tmp_path: Path) -> None:
    build = SETUPTOOLS + '[tool.setuptools.packages.find]\nwhere = ["src"]\n'
    files = ["src/quotes/__init__.py", "src/store/__init__.py", "src/data/readme.txt"]

    assert found(project(tmp_path, build, files)) == [
        ("quotes", "src/quotes", "src"),
        ("store", "src/store", "src"),
    ]


def test_source_packages_setuptools_packages_keeps_top_level_names(tmp_path: Path) -> None:
    build = SETUPTOOLS + (
        '[tool.setuptools]\npackages = ["quotes", "quotes.api", "store"]\n'
        'package-dir = { "" = "lib" }\n'
    )
    files = ["lib/quotes/__init__.py", "lib/quotes/api/__init__.py", "lib/store/__init__.py"]

    assert found(project(tmp_path, build, files)) == [
        ("quotes", "lib/quotes", "lib"),
        ("store", "lib/store", "lib"),
    ]


def test_source_packages_setuptools_find_nothing_names_the_settings(tmp_path: Path) -> None:
    build = SETUPTOOLS + '[tool.setuptools.packages.find]\nwhere = ["src"]\n'

    with pytest.raises(UsageError, match=r"setuptools finds no package under \['src'\]: set"):
        found(project(tmp_path, build, ["README.md"]))


def test_source_packages_setuptools_find_honours_include_and_exclude(tmp_path: Path) -> None:
    """setuptools ships only what include/exclude let through; the rest is not production."""
    build = SETUPTOOLS + (
        '[tool.setuptools.packages.find]\nwhere = ["."]\n'
        'include = ["quote*"]\nexclude = ["quotes_dev*"]\n'
    )
    files = ["quotes/__init__.py", "quotes_dev/__init__.py", "tests/__init__.py"]

    assert found(project(tmp_path, build, files)) == [("quotes", "quotes", ".")]


def test_source_packages_setuptools_automatic_discovery_skips_tooling(tmp_path: Path) -> None:
    """Without packages or find, setuptools discovers packages and leaves tests/ and scripts/ out.

    The pipeline's own scripts/ is a package in every adopted copy: it is not production.
    """
    files = ["quotes/__init__.py", "scripts/__init__.py", "tests/__init__.py", "docs/__init__.py"]

    assert found(project(tmp_path, SETUPTOOLS, files)) == [("quotes", "quotes", ".")]


def test_source_packages_setuptools_automatic_discovery_prefers_src(tmp_path: Path) -> None:
    files = ["src/quotes/__init__.py", "scripts/__init__.py"]

    assert found(project(tmp_path, SETUPTOOLS, files)) == [("quotes", "src/quotes", "src")]


def test_source_packages_no_build_system_means_setuptools(tmp_path: Path) -> None:
    root = project(tmp_path, "", ["src/quote_bot/__init__.py"])

    assert found(root) == [("quote_bot", "src/quote_bot", "src")]


def test_source_packages_uv_build_default_is_src_and_the_project_name(tmp_path: Path) -> None:
    root = project(tmp_path, UV_BUILD, ["src/quote_bot/__init__.py"])

    assert found(root) == [("quote_bot", "src/quote_bot", "src")]


def test_source_packages_uv_build_module_name_and_root(tmp_path: Path) -> None:
    build = (
        UV_BUILD + '[tool.uv.build-backend]\nmodule-name = ["quotes", "store"]\nmodule-root = ""\n'
    )
    root = project(tmp_path, build, ["quotes/__init__.py", "store/__init__.py"])

    assert found(root) == [("quotes", "quotes", "."), ("store", "store", ".")]


def test_source_packages_uv_build_namespace_module_imports_from_its_top(tmp_path: Path) -> None:
    """`module-name = "acme.quotes"` is the namespace package acme, imported from src."""
    build = UV_BUILD + '[tool.uv.build-backend]\nmodule-name = "acme.quotes"\n'
    root = project(tmp_path, build, ["src/acme/quotes/__init__.py"])

    assert found(root) == [("acme", "src/acme/quotes", "src")]


def test_source_packages_flit_module(tmp_path: Path) -> None:
    root = project(tmp_path, FLIT + '[tool.flit.module]\nname = "quotes"\n', ["quotes.py"])

    assert found(root) == [("quotes", "quotes.py", ".")]


def test_source_packages_flit_missing_module_names_the_setting(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match=r"flit finds no module 'quote_bot': set \[tool.flit"):
        found(project(tmp_path, FLIT, []))


def test_source_packages_unknown_backend_lists_the_known_ones(tmp_path: Path) -> None:
    root = project(tmp_path, backend("poetry.core.masonry.api"), ["quote_bot/__init__.py"])

    with pytest.raises(UsageError) as caught:
        found(root)

    assert str(caught.value) == (
        "pyproject.toml: build-backend 'poetry.core.masonry.api' is not one the pipeline reads "
        "(flit_core.buildapi, hatchling.build, setuptools.build_meta, uv_build): use one of "
        "them, so the checks can find your packages"
    )


def test_package_import_root_is_the_parent_directory() -> None:
    assert Package("quotes", PurePosixPath("src/quotes")).import_root == PurePosixPath("src")
