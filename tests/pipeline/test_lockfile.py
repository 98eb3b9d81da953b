"""scripts.lockfile: uv.lock's versions, graph, extras and declared requirements."""

from __future__ import annotations

import pytest
from packaging.utils import canonicalize_name

from scripts import lockfile
from scripts.proc import ScriptError
from tests.pipeline.projects import Locked, uv_lock

# demo-app -> web -> shared;  demo-app -> gpu-lib[fast] -> fast-kernel (an extra, but of a base dep)
# demo-app[engine] -> big-engine -> shared, big-dep, numpy (two versions, one per Python range)
# dev group -> pytest (neither production nor heavy); tool is a workspace member
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
    { name = "tool" },
]

[package.metadata]
requires-dist = [
    { name = "web", specifier = ">=1" },
    { name = "gpu-lib", extras = ["fast"] },
    { name = "big-engine", marker = "os_name != 'nt' and extra == 'engine'", specifier = "~=2.0" },
]

[[package]]
name = "Web"
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

[[package]]
name = "tool"
version = "0.2.0"
source = { directory = "tools/tool" }
"""
DEPS = ["web>=1", "Gpu_Lib[fast]"]
EXTRAS = {"engine": ["big-engine~=2.0; os_name != 'nt'"]}


@pytest.fixture
def lock() -> lockfile.Lock:
    return lockfile.parse_lock(LOCK)


def test_parse_lock_broken_toml_says_uv_lock() -> None:
    with pytest.raises(ScriptError, match=r"^uv.lock is not valid TOML \(.*\): run `uv lock`$"):
        lockfile.parse_lock("[[package]\n")


def test_lock_versions_normalise_names_and_keep_every_version(lock: lockfile.Lock) -> None:
    versions = lock.versions

    assert versions[canonicalize_name("numpy")] == {"1.0", "2.0"}
    assert versions[canonicalize_name("Web")] == {"1.2.0"}
    assert "Web" not in versions


def test_lock_members_are_the_packages_built_from_source(lock: lockfile.Lock) -> None:
    assert lock.members == {"demo-app", "tool"}


def test_lock_entry_finds_names_in_any_spelling(lock: lockfile.Lock) -> None:
    entry = lock.entry("GPU_lib")

    assert entry is not None and entry["version"] == "3.0"
    assert lock.entry("absent") is None


def test_lock_graph_extra_nodes_bring_their_base(lock: lockfile.Lock) -> None:
    graph = lock.graph()
    gpu, kernel, app = (canonicalize_name(n) for n in ("gpu-lib", "fast-kernel", "demo-app"))

    assert graph[(gpu, "fast")] == [(gpu, None), (kernel, None)]
    assert (gpu, "fast") in graph[(app, None)]


def test_closure_follows_base_and_extra_edges(lock: lockfile.Lock) -> None:
    graph = lock.graph()

    assert lockfile.closure(graph, graph[(canonicalize_name("demo-app"), None)]) == {
        "web",
        "shared",
        "gpu-lib",
        "fast-kernel",
    }


def test_lock_declared_reads_requires_dist_with_extras_and_specifiers(lock: lockfile.Lock) -> None:
    declared = lock.declared("Demo_App")

    assert {key: str(spec) for key, spec in declared.items()} == {
        ("web", None): ">=1",
        ("gpu-lib", None): "",
        ("big-engine", "engine"): "~=2.0",
    }


def test_lock_declared_without_the_project_says_uv_lock(lock: lockfile.Lock) -> None:
    with pytest.raises(ScriptError) as caught:
        lock.declared("quotebot")

    assert str(caught.value) == "uv.lock has no entry for the project 'quotebot': run `uv lock`"


def test_extra_only_excludes_base_groups_and_base_extras(lock: lockfile.Lock) -> None:
    """shared is reached by both, fast-kernel through a base extra, pytest by a group."""
    assert lockfile.extra_only(lock, "demo-app") == {
        "big-engine": {"engine"},
        "big-dep": {"engine"},
        "numpy": {"engine"},
    }


def test_extra_only_names_every_extra_that_reaches_a_package() -> None:
    text = uv_lock(
        "quotebot",
        ["fastapi"],
        {"gpu": ["torch"], "cpu": ["torch", "onnx"]},
        locked={"torch": Locked("2.5.1", ("numpy",))},
    )

    assert lockfile.extra_only(lockfile.parse_lock(text), "quotebot") == {
        "torch": {"gpu", "cpu"},
        "numpy": {"gpu", "cpu"},
        "onnx": {"cpu"},
    }


def test_constraints_text_pins_single_versions_sorted_without_members(
    lock: lockfile.Lock,
) -> None:
    text = lockfile.constraints_text(lock, "demo-app")

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


def test_stale_reason_none_when_pyproject_matches(lock: lockfile.Lock) -> None:
    declared = lockfile.declared_by_pyproject(DEPS, EXTRAS)

    assert lockfile.stale_reason(lock, "demo-app", declared) is None


@pytest.mark.parametrize(
    ("deps", "extras", "expected"),
    [
        ([*DEPS, "new-thing"], EXTRAS, "(added new-thing)"),
        (DEPS[:1], EXTRAS, "(removed gpu-lib)"),
        (["web>=2", DEPS[1]], EXTRAS, "(web >=2)"),
        (["web", DEPS[1]], EXTRAS, "(web any)"),
        (DEPS, {"engine": ["big-engine>=3"]}, "(big-engine (extra engine) >=3)"),
        (DEPS, {"Engine": ["big-engine~=2.0"], "gpu": ["cuda"]}, "(added cuda (extra gpu))"),
        (DEPS, {}, "(removed big-engine (extra engine))"),
    ],
)
def test_stale_reason_names_the_change(
    lock: lockfile.Lock, deps: list[str], extras: dict[str, list[str]], expected: str
) -> None:
    declared = lockfile.declared_by_pyproject(deps, extras)

    reason = lockfile.stale_reason(lock, "demo-app", declared)

    assert reason == f"pyproject.toml changed since the last `uv lock` {expected}"


def test_declared_by_pyproject_bad_requirement_is_named() -> None:
    with pytest.raises(ScriptError, match=r"^pyproject.toml: 'web >>= 1' is not a requirement"):
        lockfile.declared_by_pyproject(["web >>= 1"], {})
