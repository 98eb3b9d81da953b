"""The record of where a project's pipeline came from: `.template.toml` at the project root.

Written by `make adopt` and rewritten by `make template-update`: the template's source and
commit, and the digest of every pipeline file as the template shipped it. A pipeline file whose
bytes differ from its digest is one the adopter changed, which an update leaves alone.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from scripts.proc import ScriptError

RECORD = ".template.toml"
HEADER = """\
# Where this project's deploy pipeline came from, written by `make adopt` and
# `make template-update` (docs/TEMPLATE.md). The digests tell an update which pipeline files
# you changed: it leaves those alone. Do not edit by hand.
"""


@dataclass(frozen=True)
class Record:
    source: str
    commit: str
    name: str
    example: str
    """'dropped' (the minimal service) or 'kept' (the example, renamed)."""
    files: Mapping[str, str] = field(default_factory=dict)


def _quote(text: str) -> str:
    return json.dumps(text)  # a JSON string is a valid TOML basic string


def render_record(record: Record) -> str:
    lines = [
        HEADER,
        "[template]",
        f"source = {_quote(record.source)}",
        f"commit = {_quote(record.commit)}",
        f"name = {_quote(record.name)}",
        f"example = {_quote(record.example)}",
        "",
        "[files]",
        *(f"{_quote(path)} = {_quote(value)}" for path, value in sorted(record.files.items())),
    ]
    return "\n".join(lines) + "\n"


def write_record(root: Path, record: Record) -> Path:
    path = root / RECORD
    path.write_text(render_record(record), encoding="utf-8")
    return path


def read_record(root: Path) -> Record | None:
    """The project's record, or None when it was never adopted."""
    path = root / RECORD
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except tomllib.TOMLDecodeError as exc:
        raise ScriptError(f"{path} is not valid TOML ({exc}): restore it with git") from None
    template = data.get("template", {})
    files = data.get("files", {})
    try:
        return Record(
            source=str(template["source"]),
            commit=str(template["commit"]),
            name=str(template["name"]),
            example=str(template.get("example", "dropped")),
            files={str(k): str(v) for k, v in files.items()},
        )
    except KeyError as exc:
        raise ScriptError(f"{path} lacks {exc.args[0]!r}: restore it with git") from None
