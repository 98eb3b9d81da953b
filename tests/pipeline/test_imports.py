"""scripts.imports: the third-party modules production code imports, found in its source."""

from __future__ import annotations

from pathlib import Path, PurePosixPath

import pytest

from scripts.imports import Import, imported_modules, module_name, production_imports
from scripts.packages import Package
from scripts.proc import ScriptError

SOURCE = """\
from __future__ import annotations
import typing
from typing import TYPE_CHECKING
if TYPE_CHECKING:
    import torch
else:
    import orjson
if typing.TYPE_CHECKING:
    from numpy import ndarray
from . import sibling
from .sub import thing
import os.path, yaml.loader as loader
from quotebot.store import Store

def connect():
    import httpx
    return httpx
"""


def test_imported_modules_lists_top_levels_in_order_skipping_relative_and_type_checking() -> None:
    assert imported_modules(SOURCE) == [
        ("__future__", 1),
        ("typing", 2),
        ("typing", 3),
        ("orjson", 7),
        ("os", 12),
        ("yaml", 12),
        ("quotebot", 13),
        ("httpx", 16),
    ]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("src/quotebot/__init__.py", "quotebot"),
        ("src/quotebot/api/routes.py", "quotebot.api.routes"),
        ("src/quotebot.py", "quotebot"),
    ],
)
def test_module_name_is_dotted_from_the_import_root(path: str, expected: str) -> None:
    assert module_name(Path(path), Path("src")) == expected


def write(root: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text)


def test_production_imports_first_place_of_each_third_party_module(tmp_path: Path) -> None:
    write(
        tmp_path,
        {
            "src/quotebot/__init__.py": "import sys\nimport yaml\n",
            "src/quotebot/api.py": "import fastapi\nimport yaml\nimport service\n",
            "src/quotebot/ml/__init__.py": "import torch\n",
            "src/quotebot/ml/layers.py": "import numpy\n",
            "service.py": "import quotebot\nimport orjson\n",
        },
    )
    packages = (
        Package("quotebot", PurePosixPath("src/quotebot")),
        Package("service", PurePosixPath("service.py")),
    )

    found = production_imports(
        tmp_path, packages, frozenset({"quotebot", "service"}), {"quotebot.ml": "ml"}
    )

    assert found == [
        Import("fastapi", "src/quotebot/api.py", 1, "quotebot.api"),
        Import("orjson", "service.py", 2, "service"),
        Import("yaml", "src/quotebot/__init__.py", 2, "quotebot"),
    ]


def test_production_imports_namespace_package_is_named_from_its_root(tmp_path: Path) -> None:
    write(tmp_path, {"src/acme/quotes/app.py": "import acme.store\nimport yaml\n"})
    package = Package("acme", PurePosixPath("src/acme/quotes"), PurePosixPath("src"))

    found = production_imports(tmp_path, (package,), frozenset({"acme"}), {})

    assert found == [Import("yaml", "src/acme/quotes/app.py", 2, "acme.quotes.app")]


def test_production_imports_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    write(tmp_path, {"quotebot/__init__.py": "x = 1\ndef (:\n"})

    with pytest.raises(ScriptError, match=r"^quotebot/__init__.py:2: cannot parse: "):
        production_imports(
            tmp_path, (Package("quotebot", PurePosixPath("quotebot")),), frozenset(), {}
        )
