"""scripts.render_reqs_check: each mistake, made in a copy of the project, fails with its fix."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest

from scripts import render_reqs_check as check
from scripts.project import ROOT

TXT = "requirements-render.txt"
HASH = "--hash=sha256:" + "0" * 64
BACKEND_MAIN = "from fastapi import FastAPI\nimport os\nfrom . import deps\n\napp = FastAPI()\n"
REMOTE_ENGINE = (
    "from __future__ import annotations\n"
    "from typing import TYPE_CHECKING\n"
    "if TYPE_CHECKING:\n"
    "    import torch\n"
    "from featherweight.errors import Error\n\n"
    "def connect():\n"
    "    import httpx\n"
    "    return httpx\n"
)
SENSEVOICE_ENGINE = "import torch\nimport funasr\n"


@pytest.fixture
def make_project(tmp_path: Path) -> Callable[..., Path]:
    """A copy of the project's dependency files plus a tiny backend/ and src/ tree.

    Keyword arguments make one mistake each: `replace` maps a file name to (old, new) text
    edits; `files` adds or overwrites source files; `remove` deletes files from the copy.
    """

    def make(
        *,
        replace: Mapping[str, list[tuple[str, str]]] | None = None,
        files: Mapping[str, str] | None = None,
        remove: tuple[str, ...] = (),
    ) -> Path:
        root = tmp_path / "project"
        root.mkdir()
        for name in ("pyproject.toml", "uv.lock", "requirements-render.in", TXT, "render.yaml"):
            if (ROOT / name).exists():
                shutil.copy(ROOT / name, root / name)
        if (ROOT / ".python-version").exists():
            shutil.copy(ROOT / ".python-version", root / ".python-version")
        tree = {
            "backend/__init__.py": "",
            "backend/app/__init__.py": "",
            "backend/app/deps.py": "import starlette.requests\n",
            "backend/app/main.py": BACKEND_MAIN,
            "src/featherweight/__init__.py": '"""Library."""\n',
            "src/featherweight/errors.py": "class Error(Exception):\n    pass\n",
            "src/featherweight/asr/__init__.py": "",
            "src/featherweight/asr/remote.py": REMOTE_ENGINE,
            "src/featherweight/asr/sensevoice.py": SENSEVOICE_ENGINE,
            "src/featherweight/asr/pocketsphinx.py": "import pocketsphinx\n",
            **(files or {}),
        }
        for rel, text in tree.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(text)
        for name, edits in (replace or {}).items():
            text = (root / name).read_text()
            for old, new in edits:
                assert old in text, f"{old!r} not in {name}"
                text = text.replace(old, new, 1)
            (root / name).write_text(text)
        for name in remove:
            (root / name).unlink()
        return root

    return make


def run_check(root: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str], str]:
    code = check.main(["--root", str(root)])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err


def pin_line(name: str) -> str:
    """The first line of `name`'s pin in the real render file (e.g. 'fastapi==0.165.0 \\')."""
    return next(
        line for line in (ROOT / TXT).read_text().splitlines() if line.startswith(f"{name}==")
    )


def test_copy_of_project_passes(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_check(make_project(), capsys)
    assert (code, err) == (0, "")
    assert len(out) == 1
    assert "current, hashed, agrees with uv.lock, no heavy packages" in out[0]


def test_real_repo_passes(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_check(ROOT, capsys)
    assert code == 0, out
    assert out[0].startswith(f"{TXT}: ")


def test_changed_in_file_is_stale(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(replace={"requirements-render.in": [("fastapi>=0.115", "fastapi>=0.116")]})
    code, out, _ = run_check(root, capsys)
    assert code == 1
    assert out == [
        f"{TXT} is stale: requirements-render.in (or the compile flags) changed since: "
        "run `make render-reqs`"
    ]


def test_comment_edit_in_in_file_is_not_stale(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(replace={"requirements-render.in": [("# The web framework", "# Web")]})
    assert run_check(root, capsys)[0] == 0


def test_render_python_changed_names_the_version_to_compile_under(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    if (ROOT / "render.yaml").exists():
        root = make_project(replace={"render.yaml": [('value: "3.11.14"', 'value: "3.12.8"')]})
    else:
        root = make_project(replace={".python-version": [("3.11", "3.12")]})
    code, out, _ = run_check(root, capsys)
    assert code == 1
    assert len(out) == 1
    assert "compiled for Python 3.11 but" in out[0]
    assert out[0].endswith("run `uv run --python 3.12 python -m scripts.render_reqs`")


def test_missing_fingerprint_line_is_stale(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(replace={TXT: [("# inputs-sha256: ", "# ")]})
    code, out, _ = run_check(root, capsys)
    assert code == 1
    assert out == [f"{TXT} has no inputs-sha256 line (edited by hand?): run `make render-reqs`"]


def test_pin_disagreeing_with_lock_says_render_reqs(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    line = pin_line("starlette")
    root = make_project(replace={TXT: [(line, line.replace("==", "==0.0.1+"))]})
    code, out, _ = run_check(root, capsys)
    assert code == 1
    assert len(out) == 1
    assert "starlette==0.0.1+" in out[0]
    assert f"({TXT} is the stale side): run `make render-reqs`" in out[0]


def test_pin_absent_from_lock_says_lock_is_stale(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    line = pin_line("starlette")
    extra = f"zzz-not-locked==1.0 \\\n    {HASH}\n"
    root = make_project(replace={TXT: [(line, extra + line)]})
    code, out, _ = run_check(root, capsys)
    assert code == 1
    assert len(out) == 1
    assert "zzz-not-locked==1.0 is not in uv.lock (the lock is the stale side)" in out[0]
    assert "run `uv lock`, then `make render-reqs`" in out[0]


def test_pyproject_edited_after_lock_says_uv_lock(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(replace={"pyproject.toml": [('"fastapi>=0.115"', '"fastapi>=0.116"')]})
    code, out, _ = run_check(root, capsys)
    assert code == 1
    assert out == [
        "uv.lock is the stale side: pyproject.toml dependencies changed since the last lock "
        "(fastapi >=0.116): run `uv lock`, then `make render-reqs`"
    ]


def test_pin_without_hashes_fails(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    text = (ROOT / TXT).read_text()
    start = text.index("\nstarlette==") + 1
    block_end = text.index("    # via", start)
    version = text[start:block_end].split()[0]
    root = make_project(replace={TXT: [(text[start:block_end], version + "\n")]})
    code, out, _ = run_check(root, capsys)
    assert code == 1
    assert len(out) == 1
    assert f"{version!r} is not pinned with == and --hash: run `make render-reqs`" in out[0]


def test_unpinned_requirement_fails(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    line = pin_line("starlette")
    root = make_project(replace={TXT: [(line, line.replace("==", ">="))]})
    code, out, _ = run_check(root, capsys)
    assert code == 1
    assert "is not pinned with == and --hash: run `make render-reqs`" in out[0]


def test_heavy_package_is_named_with_its_source(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    from scripts.lockfile import locked_versions

    torch = sorted(locked_versions(ROOT)["torch"])[0]
    line = pin_line("starlette")
    heavy = f"torch=={torch} \\\n    {HASH}\n    # via -r requirements-render.in\n"
    root = make_project(replace={TXT: [(line, heavy + line)]})
    code, out, _ = run_check(root, capsys)
    assert code == 1
    assert len(out) == 1
    assert "heavy package torch (via -r requirements-render.in)" in out[0]
    assert "into an extra in pyproject.toml and remove it from requirements-render.in" in out[0]


def test_import_missing_from_file_names_distribution(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """pytest is installed in the dev environment but never in production."""
    root = make_project(files={"backend/app/testing.py": "def f():\n    import pytest\n"})
    code, out, _ = run_check(root, capsys)
    assert code == 1
    assert len(out) == 1
    assert out[0].startswith("backend/app/testing.py:2: imports pytest from pytest")
    assert "add pytest to [project.dependencies] and requirements-render.in" in out[0]


def test_unknown_import_is_reported_with_hint(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(files={"src/featherweight/audio.py": "import zzz_no_such_module\n"})
    code, out, _ = run_check(root, capsys)
    assert code == 1
    assert len(out) == 1
    assert out[0].startswith("src/featherweight/audio.py:1: imports zzz_no_such_module")
    assert "no installed distribution provides (unknown)" in out[0]
    assert "[tool.featherweight.extra-modules]" in out[0]


def test_lazy_production_import_must_be_provided(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    """httpx is imported inside a function, and the file still has to provide it."""
    text = (ROOT / TXT).read_text()
    root = make_project()
    (root / TXT).write_text(text.replace("\nhttpx==", "\nhttpx-renamed=="))
    code, out, _ = run_check(root, capsys)
    assert code == 1
    assert any(line.startswith("src/featherweight/asr/remote.py:8: imports httpx") for line in out)


def test_pyproject_dependency_missing_from_in_file(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(replace={"requirements-render.in": [("\nhttpx", "\n# httpx")]})
    code, out, _ = run_check(root, capsys)
    assert code == 1
    assert (
        "requirements-render.in lacks httpx, which pyproject.toml [project.dependencies] "
        "declares: add it to requirements-render.in with a comment, then `make render-reqs`"
    ) in out


def test_in_file_requirement_missing_from_pyproject(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(replace={"requirements-render.in": [("\nfastapi", "\nh11\nfastapi")]})
    code, out, _ = run_check(root, capsys)
    assert code == 1
    assert any(
        line.startswith("requirements-render.in has h11, which pyproject.toml")
        and "(`uv add h11`) or remove it from requirements-render.in" in line
        for line in out
    )


def test_missing_render_file_is_usage_error(
    make_project: Callable[..., Path], capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_check(make_project(remove=(TXT,)), capsys)
    assert (code, out) == (2, [])
    assert err.strip().endswith(f"{TXT} not found: run `make render-reqs`")


def test_parse_pins_reads_hashes_and_split_annotations() -> None:
    text = (
        "# header\n"
        "Foo_Bar[x]==1.0 \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n"
        "    # via\n    #   -c uv.lock\n    #   baz\n"
        "qux>=2\n    # via -r requirements-render.in\n"
    )
    foo, qux = check.parse_pins(text)
    assert (foo.name, foo.version, foo.hashes, foo.via) == (
        "foo-bar",
        "1.0",
        2,
        ("-c uv.lock", "baz"),
    )
    assert (qux.name, qux.version, qux.hashes, qux.line) == ("qux", None, 0, 8)
    assert qux.via == ("-r requirements-render.in",)


def test_imported_modules_includes_function_level_skips_relative_and_type_checking() -> None:
    assert check.imported_modules(REMOTE_ENGINE + BACKEND_MAIN) == [
        ("__future__", 1),
        ("typing", 2),
        ("featherweight", 5),
        ("httpx", 8),
        ("fastapi", 10),
        ("os", 11),
    ]


def test_module_name_maps_init_to_package(tmp_path: Path) -> None:
    src = tmp_path / "src"
    assert check.module_name(src / "featherweight/asr/__init__.py", src) == "featherweight.asr"
    assert check.module_name(src / "featherweight/asr/x.py", src) == "featherweight.asr.x"


def test_run_as_module_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "scripts.render_reqs_check", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0
    assert "make render-reqs-check" in result.stdout
