"""Check render.yaml against Render's Blueprint JSON Schema and the rules that schema misses."""

from __future__ import annotations

import argparse
import difflib
import os
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any, cast

import yaml
from jsonschema import Draft202012Validator, ValidationError

from scripts.blueprint import find_web_service
from scripts.blueprint_rules import Problem, YamlPath, extra_problems
from scripts.proc import ScriptError, UsageError
from scripts.project import RENDER_YAML, ROOT, load_project
from scripts.render_schema import (
    CACHE_NAME,
    SCHEMA_ENV,
    SCHEMA_URL,
    SchemaUnavailableError,
    load_schema,
)
from scripts.requirements import RENDER_TXT

# Fixes for fields the schema rejects that people commonly write.
FIELD_HINTS = {"env": "use runtime: python (Render's schema rejects the old `env:` key)"}


# --- schema errors, reported at their YAML path ------------------------------------------------


def known_fields(schema: dict[str, Any], node: dict[str, Any]) -> set[str]:
    """Property names a schema node allows, through allOf and local `$ref`s."""
    ref = node.get("$ref", "")
    if ref.startswith("#/"):
        node = schema
        for part in ref[2:].split("/"):
            node = node[part]
    names = set(node.get("properties", {}))
    for sub in node.get("allOf", []):
        names |= known_fields(schema, sub)
    return names


def _schema(error: ValidationError) -> dict[str, Any]:
    """The schema node an error is about ({} when jsonschema left it unset)."""
    return dict(error.schema) if isinstance(error.schema, Mapping) else {}


def _instance(error: ValidationError) -> Any:
    """The part of render.yaml an error is about (always set once validation reports it)."""
    return cast(Any, error.instance)


def _instance_list(value: object) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def branch_cost(errors: list[ValidationError]) -> tuple[bool, int, int]:
    """Rank one branch of an anyOf: the branch that fits the instance best explains it best."""
    wrong_kind = any(
        e.validator in ("const", "enum") and list(e.relative_path) in (["type"], ["runtime"])
        for e in errors
    )
    extras = sum(
        len(set(_instance(e)) - set(_schema(e).get("properties", {})))
        for e in errors
        if e.validator == "additionalProperties" and isinstance(_instance(e), dict)
    )
    return (wrong_kind, extras, len(errors))


def leaf_errors(error: ValidationError) -> list[ValidationError]:
    """Replace an anyOf error by the errors of its best-fitting branch, recursively."""
    if error.validator != "anyOf" or not error.context:
        return [error]
    if all(e.validator == "type" for e in error.context):
        return [error]  # "must be a string or a number": one line, not one per type
    branches: dict[Any, list[ValidationError]] = defaultdict(list)
    for sub in error.context:
        branches[sub.relative_schema_path[0]].append(sub)
    best = min(branches.values(), key=branch_cost)
    return [leaf for sub in best for leaf in leaf_errors(sub)]


def describe(error: ValidationError, schema: dict[str, Any]) -> list[Problem]:
    """Turn one leaf error into problems that say how to fix them."""
    path, kind = tuple(error.absolute_path), str(error.validator)
    if kind in ("additionalProperties", "unevaluatedProperties"):
        allowed = known_fields(schema, _schema(error))
        problems = []
        for key in (k for k in _instance(error) or {} if k not in allowed):
            close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            hint = FIELD_HINTS.get(key) or (
                f"did you mean '{close[0]}'?" if close else "remove it (not a Render field here)"
            )
            problems.append(Problem((*path, key), f"'{key}' is not allowed — {hint}", kind))
        return problems  # empty when every key is known: it failed elsewhere, reported there
    if kind == "required":
        return [Problem(path, f"{error.message}: add it", kind)]
    if kind == "enum":
        choices = [repr(c) for c in _instance_list(error.validator_value)]
        shown = ", ".join(choices[:8]) + (", …" if len(choices) > 8 else "")
        return [Problem(path, f"{error.instance!r} is not allowed: use one of {shown}", kind)]
    if kind == "anyOf":  # only type alternatives are left here (see leaf_errors)
        types = " or a ".join(sorted({str(e.validator_value) for e in error.context}))
        return [Problem(path, f"{error.instance!r} must be a {types}", "type")]
    return [Problem(path, error.message, kind)]


def schema_problems(doc: Any, schema: dict[str, Any]) -> list[Problem]:
    errors = Draft202012Validator(schema).iter_errors(doc)
    return [p for e in errors for leaf in leaf_errors(e) for p in describe(leaf, schema)]


# --- reporting ----------------------------------------------------------------------------------


def yaml_nodes(text: str) -> tuple[dict[YamlPath, int], dict[YamlPath, str]]:
    """Map each YAML path to its line, and each scalar's path to its text as written."""
    lines: dict[YamlPath, int] = {}
    raw: dict[YamlPath, str] = {}

    def walk(node: yaml.Node, path: YamlPath) -> None:
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                lines.setdefault((*path, key.value), key.start_mark.line + 1)
                walk(value, (*path, key.value))
        elif isinstance(node, yaml.SequenceNode):
            for index, item in enumerate(node.value):
                walk(item, (*path, index))
        else:
            raw[path] = node.value

    root = yaml.compose(text, Loader=yaml.SafeLoader)
    if root is not None:
        walk(root, ())
    return lines, raw


def line_of(path: YamlPath, lines: Mapping[YamlPath, int]) -> int:
    """The line of `path`, or of its nearest ancestor when the file lacks it."""
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path, 1)


def dotted(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else f".{part}" if out else str(part)
    return out or "(top level)"


def check(
    text: str, doc: Any, schema: dict[str, Any], python_version_file: str | None
) -> list[str]:
    """Every problem as `line: path: message`, in file order.

    A schema type error at a path an extra check reports (an unquoted `false`) is left out:
    the extra check says how to fix it.
    """
    lines, raw = yaml_nodes(text)
    extras = extra_problems(doc, raw, python_version_file)
    covered = {p.path for p in extras}
    found = extras + [
        p for p in schema_problems(doc, schema) if not (p.validator == "type" and p.path in covered)
    ]
    found.sort(key=lambda p: line_of(p.path, lines))
    return [f"{line_of(p.path, lines)}: {dotted(p.path)}: {p.message}" for p in found]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m scripts.check_blueprint",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=(
            f"The schema comes from --schema, else ${SCHEMA_ENV}, else a cached copy in\n"
            f"$XDG_CACHE_HOME (or ~/.cache)/{CACHE_NAME}, else it is fetched\n"
            f"from {SCHEMA_URL} into that cache.\n\n"
            "examples:\n"
            "  make render-yaml-check\n"
            "  python -m scripts.check_blueprint --schema ~/Downloads/render.yaml.json"
        ),
    )
    parser.add_argument(
        "--root", type=Path, default=ROOT, help="project directory (default: this repository)"
    )
    parser.add_argument(
        "--schema",
        type=Path,
        metavar="PATH",
        help=f"a saved copy of Render's Blueprint JSON Schema (env: {SCHEMA_ENV})",
    )
    parser.add_argument(
        "--refresh-schema",
        action="store_true",
        help="fetch the schema again even when a cached copy exists",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        project = load_project(args.root)
        path = project.root / RENDER_YAML
        if project.blueprint_doc is None and not path.is_file():
            raise UsageError(f"{path} not found: write a Blueprint (see the docs)")
        schema, source = load_schema(args.schema, os.environ, refresh=args.refresh_schema)
    except (UsageError, SchemaUnavailableError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except ScriptError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    shown = os.path.relpath(path) if path.is_relative_to(Path.cwd()) else str(path)
    doc = project.blueprint_doc
    problems = check(path.read_text(encoding="utf-8"), doc, schema, project.python_version_file)
    if problems:
        print("\n".join(f"{shown}:{line}" for line in problems))
        return 1
    found = find_web_service(doc)
    assert found is not None  # a Blueprint without one is a problem above
    service = project.web_service
    assert service is not None
    plan = found[1].get("plan", "starter (the default)")
    print(
        f"{shown} OK: web service '{service.name}' (Python {service.python_version}, plan {plan}) "
        f"builds from {RENDER_TXT} alone and passes Render's schema ({source}) and the extra checks"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
