"""uv.lock reading: versions, constraints and the computed heavy set."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from scripts import lockfile
from scripts.proc import ScriptError
from scripts.project import ROOT

PYPROJECT = """\
[project]
name = "Demo_App"
version = "0.1.0"
dependencies = ["web>=1", "Gpu_Lib[fast]"]

[project.optional-dependencies]
engine = ["big-engine"]

[tool.featherweight]
heavy-packages = ["Denied_Thing"]
"""

# A small lock graph:
#   demo-app -> web -> shared;  demo-app -> gpu-lib[fast] -> fast-kernel (base via an extra)
#   demo-app[engine] -> big-engine -> shared, big-dep, numpy (two versions)
#   dev group -> pytest (neither production nor heavy)
LOCK = """\
version = 1
revision = 3
requires-python = ">=3.11"

[[package]]
name = "demo-app"
version = "0.1.0"
source = { editable = "." }
dependencies = [
    { name = "web" },
    { name = "gpu-lib", extra = ["fast"] },
]

[package.optional-dependencies]
engine = [
    { name = "big-engine" },
]

[package.dev-dependencies]
dev = [
    { name = "pytest" },
]

[package.metadata]
requires-dist = [
    { name = "web", specifier = ">=1" },
    { name = "gpu-lib", extras = ["fast"] },
    { name = "big-engine", marker = "extra == 'engine'" },
]

[[package]]
name = "web"
version = "1.2.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "shared" },
]

[[package]]
name = "gpu-lib"
version = "3.0"
source = { registry = "https://pypi.org/simple" }

[package.optional-dependencies]
fast = [
    { name = "fast-kernel" },
]

[[package]]
name = "fast-kernel"
version = "0.9"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "big-engine"
version = "2.0"
source = { registry = "https://pypi.org/simple" }
dependencies = [
    { name = "shared" },
    { name = "big-dep" },
    { name = "numpy", version = "1.0", source = { registry = "https://pypi.org/simple" } },
    { name = "numpy", version = "2.0", source = { registry = "https://pypi.org/simple" } },
]

[[package]]
name = "big-dep"
version = "5.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "shared"
version = "1.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "numpy"
version = "1.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "numpy"
version = "2.0"
source = { registry = "https://pypi.org/simple" }

[[package]]
name = "pytest"
version = "8.0"
source = { registry = "https://pypi.org/simple" }
"""


@pytest.fixture
def make_lock_project(tmp_path: Path) -> Callable[..., Path]:
    """Write a pyproject.toml and uv.lock (optionally edited) into tmp_path."""

    def make(pyproject: str = PYPROJECT, lock: str = LOCK) -> Path:
        (tmp_path / "pyproject.toml").write_text(pyproject)
        (tmp_path / "uv.lock").write_text(lock)
        return tmp_path

    return make


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Gradio_Client", "gradio-client"),
        ("zope.interface", "zope-interface"),
        ("A--b__C", "a-b-c"),
    ],
)
def test_normalize_pep503_names(name: str, expected: str) -> None:
    assert lockfile.normalize(name) == expected


def test_locked_versions_collects_every_version(make_lock_project: Callable[..., Path]) -> None:
    versions = lockfile.locked_versions(make_lock_project())
    assert versions["numpy"] == {"1.0", "2.0"}
    assert versions["web"] == {"1.2.0"}


def test_constraints_text_single_versions_sorted_without_project(
    make_lock_project: Callable[..., Path],
) -> None:
    text = lockfile.constraints_text(make_lock_project())
    assert text.splitlines() == [
        "big-dep==5.0",
        "big-engine==2.0",
        "fast-kernel==0.9",
        "gpu-lib==3.0",
        "pytest==8.0",
        "shared==1.0",
        "web==1.2.0",
    ]
    assert text.endswith("\n")


def test_extra_only_packages_excludes_base_groups_and_base_extras(
    make_lock_project: Callable[..., Path],
) -> None:
    """`shared` is reached by both, `fast-kernel` through a base extra, `pytest` by a group."""
    assert lockfile.extra_only_packages(make_lock_project()) == {"big-engine", "big-dep", "numpy"}


def test_heavy_packages_adds_normalized_denylist(make_lock_project: Callable[..., Path]) -> None:
    heavy = lockfile.heavy_packages(make_lock_project())
    assert heavy == {"big-engine", "big-dep", "numpy", "denied-thing"}


def test_read_lock_missing_file_says_uv_lock(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match="uv lock"):
        lockfile.read_lock(tmp_path)


def test_read_lock_broken_toml_says_uv_lock(make_lock_project: Callable[..., Path]) -> None:
    root = make_lock_project(lock="[[package]\n")
    with pytest.raises(ScriptError, match="not valid TOML"):
        lockfile.read_lock(root)


def test_stale_lock_reason_none_when_in_step(make_lock_project: Callable[..., Path]) -> None:
    assert lockfile.stale_lock_reason(make_lock_project()) is None


@pytest.mark.parametrize(
    ("dependencies", "expected"),
    [
        ('["web>=1", "gpu-lib[fast]", "new-thing"]', "added new-thing"),
        ('["web>=1"]', "removed gpu-lib"),
        ('["web>=2", "gpu-lib[fast]"]', "web >=2"),
    ],
)
def test_stale_lock_reason_names_the_change(
    make_lock_project: Callable[..., Path], dependencies: str, expected: str
) -> None:
    pyproject = PYPROJECT.replace('["web>=1", "Gpu_Lib[fast]"]', dependencies)
    reason = lockfile.stale_lock_reason(make_lock_project(pyproject=pyproject))
    assert reason is not None
    assert expected in reason


def test_heavy_packages_real_repo_has_engines_not_production() -> None:
    heavy = lockfile.heavy_packages(ROOT)
    assert {"torch", "funasr", "pocketsphinx", "numpy"} <= heavy
    assert not {"fastapi", "uvicorn", "gradio-client", "pydantic", "httpx"} & heavy


def test_constraints_text_real_repo_pins_fastapi_not_project() -> None:
    names = [line.split("==")[0] for line in lockfile.constraints_text(ROOT).splitlines()]
    assert "fastapi" in names
    assert "featherweight" not in names
    assert names == sorted(names)
