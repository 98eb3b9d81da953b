"""render-reqs-check: each mistake, made in a small project, fails with one line naming its fix."""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

from scripts import render_reqs_check
from tests.pipeline.projects import (
    MINOR,
    RENDER_IN,
    RENDER_TXT,
    Locked,
    blueprint,
    compiled,
    edit,
    pin_block,
    pyproject_text,
    render_in_text,
    uv_lock,
)

MakeProject = Callable[..., Path]
BASE_PINS = {
    "anyio": "4.7.0",
    "fastapi": "0.115.6",
    "pydantic": "2.10.4",
    "starlette": "0.41.3",
    "typing-extensions": "4.12.2",
}


_installed = functools.cache(packages_distributions)


@pytest.fixture(autouse=True)
def installed_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """The installed distributions, read once: the same answer, without 0.1 s a test."""
    monkeypatch.setattr(render_reqs_check, "packages_distributions", _installed)


def run_check(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], str]:
    code = render_reqs_check.main(["--root", str(root)])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out.splitlines(), err


def files_of(root: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def test_check_agreeing_project_passes_with_one_line(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_check(make_project(), capsys)

    assert (code, err) == (0, "")
    assert out == [
        f"{RENDER_TXT}: 5 pins, current, hashed, agrees with uv.lock, no heavy packages, "
        "covers production imports"
    ]


# --- which side is stale --------------------------------------------------------------------


def test_check_pyproject_edited_after_lock_names_uv_lock_and_changes_nothing(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project()
    edit(root / "pyproject.toml", '"fastapi>=0.115"', '"fastapi>=0.116"')
    before = files_of(root)

    code, out, _ = run_check(root, capsys)

    assert code == 1
    assert out == [
        "uv.lock is stale: pyproject.toml changed since the last `uv lock` (fastapi >=0.116): "
        "run `uv lock`, then `make render-reqs`"
    ]
    assert files_of(root) == before  # uv.lock (bytes and mtime) and everything else untouched
    assert not (root / ".venv").exists()


@pytest.mark.parametrize(
    ("deps", "extras", "change"),
    [
        (["fastapi>=0.115", "orjson"], {}, "added orjson"),
        ([], {}, "removed fastapi"),
        (["fastapi>=0.115"], {"ml": ["numpy"]}, "added numpy (extra ml)"),
    ],
)
def test_check_lock_behind_pyproject_names_the_change(
    make_project: MakeProject,
    capsys: pytest.CaptureFixture[str],
    deps: list[str],
    extras: dict[str, list[str]],
    change: str,
) -> None:
    root = make_project()
    (root / "pyproject.toml").write_text(pyproject_text("quotebot", deps, extras))

    code, out, _ = run_check(root, capsys)

    assert code == 1
    assert out[0].startswith("uv.lock is stale: pyproject.toml changed since the last `uv lock`")
    assert change in out[0]
    assert out[0].endswith("run `uv lock`, then `make render-reqs`")
    assert not any(line.startswith(RENDER_TXT) for line in out)


def test_check_dependency_removed_and_relocked_leads_with_one_render_reqs_line(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """The render file is the stale side: one line says so, not one line per package."""
    deps = ["fastapi>=0.115", "uvicorn>=0.30"]
    root = make_project(deps=deps)
    (root / "pyproject.toml").write_text(pyproject_text("quotebot", deps[:1], {}))
    (root / "uv.lock").write_text(uv_lock("quotebot", deps[:1]))
    (root / RENDER_IN).write_text(render_in_text(deps[:1]))

    code, out, _ = run_check(root, capsys)

    assert code == 1
    assert out == [
        f"{RENDER_TXT} is stale: {RENDER_IN} (or the compile flags) changed since it was "
        "compiled; 2 pins disagree with uv.lock (click 8.1.8, not in uv.lock; uvicorn 0.34.0, "
        "not in uv.lock): run `make render-reqs`"
    ]


def test_check_lock_upgraded_render_file_behind_shows_five_and_counts_the_rest(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    newer = {
        name: Locked(version + ".1", deps)
        for name, (version, deps) in {
            "fastapi": ("0.115.6", ("starlette", "pydantic")),
            "starlette": ("0.41.3", ("anyio",)),
            "pydantic": ("2.10.4", ("typing-extensions",)),
            "anyio": ("4.7.0", ("idna", "sniffio")),
            "typing-extensions": ("4.12.2", ()),
            "idna": ("3.10", ()),
            "sniffio": ("1.3.1", ()),
        }.items()
    }
    older = {name: Locked(e.version.removesuffix(".1"), e.deps) for name, e in newer.items()}
    root = make_project(locked=older)
    (root / "uv.lock").write_text(uv_lock("quotebot", ["fastapi>=0.115"], locked=newer))

    code, out, _ = run_check(root, capsys)

    assert code == 1
    assert len(out) == 1
    assert out[0].startswith(f"{RENDER_TXT} is stale: 7 pins disagree with uv.lock (anyio 4.7.0, ")
    assert "fastapi 0.115.6, locked 0.115.6.1" in out[0]
    assert out[0].endswith("; and 2 more): run `make render-reqs`")
    assert out[0].count("make render-reqs") == 1


def test_check_pin_absent_from_current_lock_names_render_file(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project()
    edit(root / RENDER_TXT, "anyio==", pin_block("left-over", "1.0") + "anyio==")

    code, out, _ = run_check(root, capsys)

    assert code == 1
    assert out == [
        f"{RENDER_TXT} is stale: 1 pins disagree with uv.lock (left-over 1.0, not in uv.lock): "
        "run `make render-reqs`"
    ]


def test_check_in_file_requirement_changed_is_stale(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project()
    edit(root / RENDER_IN, "fastapi>=0.115", "fastapi>=0.115.2")

    code, out, _ = run_check(root, capsys)

    assert code == 1
    assert out == [
        f"{RENDER_TXT} is stale: {RENDER_IN} (or the compile flags) changed since it was "
        "compiled: run `make render-reqs`"
    ]


def test_check_in_file_comment_edit_is_not_stale(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project()
    edit(root / RENDER_IN, "# Needed by the service", "# The web framework, needed")

    assert run_check(root, capsys)[0] == 0


def test_check_render_python_changed_names_both_versions(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    other = f"{MINOR.split('.')[0]}.{int(MINOR.split('.')[1]) + 1}"
    root = make_project(render_yaml=blueprint(python=f"{other}.1"))

    code, out, _ = run_check(root, capsys)

    assert code == 1
    assert out == [
        f"{RENDER_TXT} is stale: it was compiled for Python {MINOR} but render.yaml names "
        f"{other}: run `make render-reqs`"
    ]


def test_check_python_version_file_used_without_render_yaml_version(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(render_yaml=False, python_version_file=f"{MINOR}\n")

    assert run_check(root, capsys)[0] == 0


def test_check_no_python_version_anywhere_says_where_to_set_it(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(render_yaml=False)

    code, out, err = run_check(root, capsys)

    assert (code, out) == (1, [])
    assert err.strip() == (
        "error: no Python version for Render: set PYTHON_VERSION in render.yaml or write "
        ".python-version"
    )


def test_check_missing_fingerprint_line_is_stale(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project()
    edit(root / RENDER_TXT, "# inputs-sha256: ", "# ")

    code, out, _ = run_check(root, capsys)

    assert code == 1
    assert out == [
        f"{RENDER_TXT} is stale: it has no inputs-sha256 line (edited by hand?): "
        "run `make render-reqs`"
    ]


# --- pinned and hashed ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("block", "spec"),
    [
        (pin_block("fastapi", "0.115.6", operator=">="), "fastapi>=0.115.6"),
        (pin_block("fastapi", "0.115.6", hashes=0), "fastapi==0.115.6"),
        (pin_block("fastapi", "0.115.*"), "fastapi==0.115.*"),
    ],
    ids=["unpinned", "unhashed", "wildcard"],
)
def test_check_requirement_not_pinned_with_hashes_names_its_line(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str], block: str, spec: str
) -> None:
    pins = {k: v for k, v in BASE_PINS.items() if k != "fastapi"}
    body = "".join(pin_block(n, v) for n, v in sorted(pins.items())) + block
    root = make_project(render_txt=compiled(body, render_in_text(["fastapi>=0.115"])))
    line = (root / RENDER_TXT).read_text().splitlines().index(
        next(x for x in (root / RENDER_TXT).read_text().splitlines() if x.startswith(spec))
    ) + 1

    code, out, _ = run_check(root, capsys)

    assert code == 1
    assert out == [
        f"{RENDER_TXT}:{line}: {spec!r} is not pinned with == and --hash: run `make render-reqs` "
        "(never edit the file by hand)"
    ]


# --- heavy packages -------------------------------------------------------------------------


def test_check_package_only_an_extra_reaches_is_heavy(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    in_text = render_in_text(["fastapi>=0.115"])
    body = "".join(pin_block(n, v) for n, v in sorted(BASE_PINS.items()))
    body += pin_block("torch", "2.5.1", via=("-c uv.lock", "fastapi"))
    root = make_project(
        extras={"ml": ["torch>=2"]},
        render_txt=compiled(body, in_text),
    )
    number = (root / RENDER_TXT).read_text().splitlines().index("torch==2.5.1 \\") + 1

    code, out, _ = run_check(root, capsys)

    assert code == 1
    assert out == [
        f"{RENDER_TXT}:{number}: heavy package torch (via -c uv.lock, fastapi): move the "
        f"requirement that pulls it into an extra in pyproject.toml and out of {RENDER_IN}, "
        "then `uv lock` and `make render-reqs`"
    ]


def test_check_heavy_packages_setting_adds_names(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(deps=["fastapi>=0.115", "orjson"], config={"heavy-packages": ["ORJSON"]})

    code, out, _ = run_check(root, capsys)

    assert code == 1
    assert len(out) == 1
    assert out[0].startswith(f"{RENDER_TXT}:") and ": heavy package orjson (via " in out[0]


def test_check_package_in_base_and_extra_is_not_heavy(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(deps=["fastapi>=0.115", "orjson"], extras={"fast": ["orjson", "numpy"]})

    assert run_check(root, capsys)[0] == 0


# --- production imports ---------------------------------------------------------------------


def test_check_undeclared_import_in_renamed_package_is_caught(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(
        name="quote-bot",
        files={
            "src/quote_bot/__init__.py": "from quote_bot import app\n",
            "src/quote_bot/app.py": "import os\n\nimport fastapi\nimport yaml\n",
        },
    )

    code, out, _ = run_check(root, capsys)

    assert code == 1
    assert out == [
        "src/quote_bot/app.py:4: imports yaml from pyyaml, which requirements-render.txt lacks: "
        f"add pyyaml to [project.dependencies] and {RENDER_IN}, then `uv lock` and "
        "`make render-reqs`"
    ]


def test_check_import_nothing_provides_names_both_fixes(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(files={"src/quotebot/__init__.py": "import zzz_no_such_module\n"})

    code, out, _ = run_check(root, capsys)

    assert code == 1
    assert out == [
        "src/quotebot/__init__.py:1: imports zzz_no_such_module, which no installed distribution "
        "provides and uv.lock does not hold: fix the import, or declare the distribution that "
        f"provides it in [project.dependencies] and {RENDER_IN}, then `uv lock` and "
        "`make render-reqs`"
    ]


def test_check_import_only_an_extra_provides_gets_extra_modules_fix_first(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(
        extras={"ml": ["torch>=2"]},
        files={
            "src/quotebot/__init__.py": "",
            "src/quotebot/ml.py": "def model():\n    import torch\n    return torch\n",
        },
    )

    code, out, _ = run_check(root, capsys)

    assert code == 1
    assert out == [
        "src/quotebot/ml.py:2: imports torch from torch, which only the 'ml' extra installs: "
        "if only that extra's code needs it, import it lazily and list the importing module "
        """under [tool.render-pipeline.extra-modules] ("quotebot.ml" = "ml"); if production """
        f"needs it, move torch to [project.dependencies] and {RENDER_IN}, then `uv lock` and "
        "`make render-reqs`"
    ]
    assert "uv add" not in out[0]


def test_check_extra_modules_setting_skips_the_module_and_its_submodules(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(
        extras={"ml": ["torch>=2"]},
        config={"extra-modules": {"quotebot.ml": "ml"}},
        files={
            "src/quotebot/__init__.py": "",
            "src/quotebot/ml/__init__.py": "import torch\n",
            "src/quotebot/ml/layers.py": "import numpy\n",
            "src/quotebot/mlops.py": "import torch\n",
        },
    )

    code, out, _ = run_check(root, capsys)

    assert code == 1
    assert len(out) == 1  # quotebot.mlops is not under quotebot.ml
    assert out[0].startswith("src/quotebot/mlops.py:1: imports torch from torch, which only")


def test_check_function_level_import_must_be_provided(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    source = "def load():\n    import yaml\n    return yaml\n"
    root = make_project(files={"src/quotebot/__init__.py": source})

    code, out, _ = run_check(root, capsys)

    assert code == 1
    assert out[0].startswith("src/quotebot/__init__.py:2: imports yaml from pyyaml")


def test_check_type_checking_import_is_not_production(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    source = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import yaml\n"
    root = make_project(files={"src/quotebot/__init__.py": source})

    assert run_check(root, capsys)[0] == 0


HATCH_PACKAGES = """\
[build-system]
requires = ["hatchling"]
build-backend = "hatchling.build"

[tool.hatch.build.targets.wheel]
packages = ["src/quotebot", "service"]
"""
SETUPTOOLS_FIND = """\
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[tool.setuptools.packages.find]
where = ["src"]
"""
SETUPTOOLS_LIST = """\
[build-system]
requires = ["setuptools"]
build-backend = "setuptools.build_meta"

[tool.setuptools]
packages = ["quotebot", "quotebot.api", "service"]
package-dir = { "" = "src" }
"""
UV_BUILD = """\
[build-system]
requires = ["uv_build"]
build-backend = "uv_build"
"""
UV_BUILD_NAMED = UV_BUILD + '\n[tool.uv.build-backend]\nmodule-name = "quotes"\nmodule-root = ""\n'
FLIT = """\
[build-system]
requires = ["flit_core"]
build-backend = "flit_core.buildapi"

[tool.flit.module]
name = "quotes"
"""
# (build configuration, its source files); each imports the other first-party names.
LAYOUTS = {
    "hatch packages": (
        HATCH_PACKAGES,
        {
            "src/quotebot/__init__.py": "import service\nfrom quotebot import api\n",
            "src/quotebot/api.py": "import fastapi\nimport yaml\n",
            "service/__init__.py": "import quotebot.api\n",
        },
    ),
    "hatch default src/<name>": (
        "",
        {
            "src/quotebot/__init__.py": "import quotebot.api\n",
            "src/quotebot/api.py": "import yaml\n",
        },
    ),
    "hatch default flat": (
        "",
        {
            "quotebot/__init__.py": "from quotebot.api import x\n",
            "quotebot/api.py": "import yaml\n",
        },
    ),
    "setuptools find": (
        SETUPTOOLS_FIND,
        {
            "src/quotebot/__init__.py": "import service\n",
            "src/service/__init__.py": "import quotebot\nimport yaml\n",
        },
    ),
    "setuptools packages": (
        SETUPTOOLS_LIST,
        {
            "src/quotebot/__init__.py": "import service\n",
            "src/quotebot/api/__init__.py": "import quotebot\n",
            "src/service/__init__.py": "import yaml\n",
        },
    ),
    "uv_build default": (
        UV_BUILD,
        {
            "src/quotebot/__init__.py": "import quotebot.api\n",
            "src/quotebot/api.py": "import yaml\n",
        },
    ),
    "uv_build module-name": (
        UV_BUILD_NAMED,
        {"quotes/__init__.py": "import quotes.api\n", "quotes/api.py": "import yaml\n"},
    ),
    "flit module": (
        FLIT,
        {"src/quotes/__init__.py": "import quotes.api\n", "src/quotes/api.py": "import yaml\n"},
    ),
}


@pytest.mark.parametrize("layout", LAYOUTS)
def test_check_first_party_found_from_build_config_is_not_reported(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str], layout: str
) -> None:
    """Only the third-party import is reported, which also proves every tree was read."""
    build, files = LAYOUTS[layout]
    root = make_project(build=build, files=files) if build else make_project(files=files)

    code, out, _ = run_check(root, capsys)

    assert code == 1
    assert len(out) == 1, out
    assert ": imports yaml from pyyaml, which requirements-render.txt lacks" in out[0]


def test_check_configured_source_tree_missing_is_an_error(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(build=HATCH_PACKAGES)  # names service/, which is not there

    code, out, err = run_check(root, capsys)

    assert (code, out) == (2, [])
    assert err.strip() == (
        "error: pyproject.toml: the build configuration names service, which does not exist: "
        "fix the path, or create the package"
    )


def test_check_no_package_where_the_backend_looks_is_an_error(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(files={"app/__init__.py": ""})

    code, _, err = run_check(root, capsys)

    assert code == 2
    assert err.strip() == (
        "error: pyproject.toml: hatchling finds no package 'quotebot' (src/quotebot or quotebot): "
        "set [tool.hatch.build.targets.wheel] packages to your package directories"
    )


# --- settings -------------------------------------------------------------------------------


def test_check_unknown_setting_is_an_error_naming_the_close_key(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(config={"heavy-package": ["torch"]})

    code, out, err = run_check(root, capsys)

    assert (code, out) == (2, [])
    assert err.strip() == (
        "error: pyproject.toml [tool.render-pipeline]: unknown key 'heavy-package': "
        "did you mean 'heavy-packages'?"
    )


def test_check_settings_under_another_table_name_is_an_error(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(pyproject_extra='[tool.quotebot]\nheavy-packages = ["torch"]\n')

    code, _, err = run_check(root, capsys)

    assert code == 2
    assert err.strip() == (
        "error: pyproject.toml [tool.quotebot] holds the pipeline's settings under another name, "
        "where nothing reads them: rename it to [tool.render-pipeline]"
    )


# --- requirements-render.in mirrors [project.dependencies] ----------------------------------


def test_check_in_file_lacks_a_dependency(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    deps = ["fastapi>=0.115", "orjson>=3"]
    in_text = render_in_text(deps[:1])
    root = make_project(deps=deps, render_in=in_text)
    pins = {**BASE_PINS, "orjson": "3.10.12"}
    (root / RENDER_TXT).write_text(compiled(pins, in_text))

    code, out, _ = run_check(root, capsys)

    assert code == 1
    assert out == [
        f"{RENDER_IN} lacks orjson, which pyproject.toml [project.dependencies] declares: add it "
        f"to {RENDER_IN} with a comment, then `make render-reqs`"
    ]


def test_check_in_file_has_a_name_pyproject_lacks(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    in_text = render_in_text(["fastapi>=0.115", "orjson>=3"])
    root = make_project(render_in=in_text)
    (root / RENDER_TXT).write_text(compiled(BASE_PINS, in_text))

    code, out, _ = run_check(root, capsys)

    assert code == 1
    assert out == [
        f"{RENDER_IN} has orjson, which pyproject.toml [project.dependencies] lacks: add it to "
        f"pyproject.toml (`uv add orjson`) or remove it from {RENDER_IN}, then `make render-reqs`"
    ]


def test_check_in_file_option_lines_and_name_spelling_do_not_matter(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    in_text = "--only-binary :all:\nFastAPI >= 0.115  # the framework\n"
    root = make_project(render_in=in_text)
    (root / RENDER_TXT).write_text(compiled(BASE_PINS, in_text))

    assert run_check(root, capsys)[0] == 0


def test_check_in_file_broken_line_is_named(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(render_in="fastapi>=0.115\nfastapi >>= 1\n")

    code, _, err = run_check(root, capsys)

    assert code == 1
    assert err.startswith(f"error: {RENDER_IN}: 'fastapi >>= 1' is not a requirement")


# --- missing or broken files ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("missing", "code", "message"),
    [
        ({"render_txt": False}, 2, f"{RENDER_TXT} not found: run `make render-reqs`"),
        ({"render_in": False, "render_txt": ""}, 2, f"{RENDER_IN} not found: create it"),
        ({"lock": False}, 1, "uv.lock not found: run `uv lock`"),
        ({"lock": "[[package]\n"}, 1, "uv.lock is not valid TOML"),
        (
            {"lock": uv_lock("other", ["fastapi"])},
            1,
            "uv.lock has no entry for the project 'quotebot': run `uv lock`",
        ),
        ({"pyproject": "[project]\n"}, 2, "has no [project] name: add one"),
        ({"pyproject": "[project\n"}, 2, "pyproject.toml is not valid TOML"),
    ],
    ids=["render-txt", "render-in", "lock", "lock-toml", "lock-entry", "name", "toml"],
)
def test_check_missing_or_broken_file_is_one_line(
    make_project: MakeProject,
    capsys: pytest.CaptureFixture[str],
    missing: dict[str, object],
    code: int,
    message: str,
) -> None:
    root = make_project(**missing)

    got, out, err = run_check(root, capsys)

    assert (got, out) == (code, [])
    assert len(err.splitlines()) == 1
    assert err.startswith("error: ") and message in err


def test_check_missing_pyproject_asks_whether_it_is_a_project(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_check(tmp_path, capsys)

    assert code == 2
    assert err.strip() == (
        f"error: {tmp_path / 'pyproject.toml'} not found: is {tmp_path} a Python project?"
    )


def test_check_unparsable_source_names_file_and_line(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(files={"src/quotebot/__init__.py": "import os\ndef (:\n"})

    code, _, err = run_check(root, capsys)

    assert code == 1
    assert err.strip().startswith("error: src/quotebot/__init__.py:2: cannot parse:")


def test_check_every_problem_is_one_line_naming_a_fix(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    """Many mistakes at once: one line each, each ending with the command that fixes it."""
    in_text = render_in_text(["fastapi>=0.115", "orjson"])
    body = "".join(pin_block(n, v) for n, v in sorted(BASE_PINS.items()))
    body += pin_block("torch", "2.5.1") + pin_block("uvicorn", "0.34.0", hashes=0)
    root = make_project(
        extras={"ml": ["torch"]},
        render_in=in_text,
        render_txt=compiled(body, in_text),
        files={"src/quotebot/__init__.py": "import yaml\nimport zzz_nowhere\n"},
    )

    code, out, _ = run_check(root, capsys)

    assert code == 1
    assert len(out) == 6, out
    assert all(re.search(r"`(make|uv) [a-z -]+`", line) for line in out), out
