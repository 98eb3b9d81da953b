"""Check render.yaml against Render's Blueprint JSON Schema and the rules that schema misses."""

from __future__ import annotations

import argparse
import difflib
import os
import re
import sys
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator, ValidationError

from scripts.blueprint import DEFAULT_SHUTDOWN_DELAY, find_web_service, read_blueprint
from scripts.proc import ScriptError
from scripts.project import RENDER_TXT, RENDER_YAML, ROOT, python_version_file
from scripts.render_schema import SCHEMA_ENV, SCHEMA_URL, SchemaUnavailableError, load_schema

FULL_VERSION = re.compile(r"\d+\.\d+\.\d+")
SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|(?:^|_|API)KEY(?:_|$)", re.I)
PORT_FLAG = re.compile(r"(?<!\S)(?:--port[= ]\s*|(?:--bind|-b)[= ]\s*\S*:)(\d+)")
HOST_FLAG = re.compile(r"(?<!\S)(?:--host|--bind|-b)[= ]\s*['\"]?(\[[^\]]*\]|[^\s:'\"]+)")
GRACEFUL_FLAG = re.compile(r"--timeout-graceful-shutdown[= ]\s*(\d+)")
ANY_HOST = {"0.0.0.0", "::", "[::]"}
BUILD_HINT = f"pip install --require-hashes -r {RENDER_TXT} && pip install --no-deps ."
START_HINT = "uvicorn backend.app.main:app --host 0.0.0.0 --port $PORT"
# Fixes for fields the schema rejects that people commonly write.
FIELD_HINTS = {"env": "use runtime: python (Render's schema rejects the old `env:` key)"}

YamlPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    path: YamlPath
    message: str
    validator: str = ""  # the JSON Schema keyword, for problems the schema found


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


def branch_cost(errors: list[ValidationError]) -> tuple[bool, int, int]:
    """Rank one branch of an anyOf: the branch that fits the instance best explains it best."""
    wrong_kind = any(
        e.validator in ("const", "enum") and list(e.relative_path) in (["type"], ["runtime"])
        for e in errors
    )
    extras = sum(
        len(set(e.instance) - set(e.schema.get("properties", {})))
        for e in errors
        if e.validator == "additionalProperties" and isinstance(e.instance, dict)
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
        allowed = known_fields(schema, error.schema)
        problems = []
        for key in (k for k in error.instance if k not in allowed):
            close = difflib.get_close_matches(str(key), sorted(allowed), n=1)
            hint = FIELD_HINTS.get(key) or (
                f"did you mean '{close[0]}'?" if close else "remove it (not a Render field here)"
            )
            problems.append(Problem((*path, key), f"'{key}' is not allowed — {hint}", kind))
        return problems  # empty when every key is known: it failed elsewhere, reported there
    if kind == "required":
        return [Problem(path, f"{error.message}: add it", kind)]
    if kind == "enum":
        choices = [repr(c) for c in error.validator_value]
        shown = ", ".join(choices[:8]) + (", …" if len(choices) > 8 else "")
        return [Problem(path, f"{error.instance!r} is not allowed: use one of {shown}", kind)]
    if kind == "anyOf":  # only type alternatives are left here (see leaf_errors)
        types = " or a ".join(sorted({str(e.validator_value) for e in error.context}))
        return [Problem(path, f"{error.instance!r} must be a {types}", "type")]
    return [Problem(path, error.message, kind)]


def schema_problems(doc: Any, schema: dict[str, Any]) -> list[Problem]:
    errors = Draft202012Validator(schema).iter_errors(doc)
    return [p for e in errors for leaf in leaf_errors(e) for p in describe(leaf, schema)]


# --- what the schema misses ----------------------------------------------------------------------


def start_problems(start: str, delay: Any) -> list[str]:
    """A web service listens on 0.0.0.0:$PORT and stops before Render's SIGKILL."""
    problems = []
    if not re.search(r"\bPORT\b", start):
        port = PORT_FLAG.search(start)
        said = f"listens on port {port.group(1)}, not $PORT" if port else "never uses $PORT"
        problems.append(f"{said}: pass --port $PORT (Render routes traffic there)")
    host = HOST_FLAG.search(start)
    if host and host.group(1) not in ANY_HOST:
        problems.append(f"binds {host.group(1)}, which Render cannot reach: use --host 0.0.0.0")
    elif not host and re.search(r"\buvicorn\b", start):
        problems.append("uvicorn binds 127.0.0.1 unless told otherwise: add --host 0.0.0.0")
    graceful = GRACEFUL_FLAG.search(start)
    if graceful and isinstance(delay, int) and int(graceful.group(1)) >= delay:
        problems.append(
            f"--timeout-graceful-shutdown {graceful.group(1)} is not below "
            f"maxShutdownDelaySeconds ({delay}), when Render sends SIGKILL: lower it"
        )
    return problems


def service_problems(i: int, service: dict[str, Any]) -> list[Problem]:
    """Build and start commands exist; a web service binds $PORT and has a health check."""
    here: YamlPath = ("services", i)
    problems = [
        Problem(here, f"no {field}: add `{field}: {hint}`")
        for field, hint in (("buildCommand", BUILD_HINT), ("startCommand", START_HINT))
        if not str(service.get(field) or "").strip()
    ]
    start = str(service.get("startCommand") or "")
    if service.get("type") != "web":
        return problems
    delay = service.get("maxShutdownDelaySeconds", DEFAULT_SHUTDOWN_DELAY)
    at = (*here, "startCommand")
    problems += [Problem(at, message) for message in start_problems(start, delay) if start]
    if not service.get("healthCheckPath"):
        message = "no healthCheckPath: add `healthCheckPath: /health`, or Render marks a deploy "
        problems.append(Problem(here, message + "live as soon as the port opens"))
    return problems


def env_problems(base: YamlPath, env_vars: Any, raw: Mapping[YamlPath, str]) -> list[Problem]:
    """Values are strings, and names that look secret carry no value in the file."""
    problems = []
    for j, var in enumerate(env_vars if isinstance(env_vars, list) else []):
        key = str(var.get("key", "")) if isinstance(var, dict) else ""
        for field in ("value", "previewValue") if key else ():
            if field not in var:
                continue
            at, value = (*base, j, field), var[field]
            if not isinstance(value, str):
                text = raw.get(at, "")
                kind = {bool: "boolean", type(None): "null"}.get(type(value), "number")
                message = f"{key} is the YAML {kind} {text or '(empty)'}, not a string: "
                problems.append(Problem(at, message + f'quote it: {field}: "{text}"'))
            if SECRET_NAME.search(key):
                message = f"{key} looks like a secret and has a {field} in the file: replace it "
                message += "with `sync: false` (Render asks for it in the Dashboard), and rotate it"
                problems.append(Problem(at, message))
    return problems


def python_problems(i: int, service: dict[str, Any], root: Path) -> list[Problem]:
    """PYTHON_VERSION is a full x.y.z naming the minor version that .python-version names."""
    env_vars = service.get("envVars") if isinstance(service.get("envVars"), list) else []
    found = [
        (j, var)
        for j, var in enumerate(env_vars)
        if isinstance(var, dict) and var.get("key") == "PYTHON_VERSION" and "value" in var
    ]
    pinned = python_version_file(root / str(service.get("rootDir") or "."))
    example = f"{pinned}.<patch>" if pinned and pinned.count(".") == 1 else pinned or "3.11.14"
    if not found:
        message = f'PYTHON_VERSION has no value: add `- key: PYTHON_VERSION` `value: "{example}"`'
        message += ", or Render picks its current default (3.14.x)"
        return [Problem(("services", i, "envVars"), message)]
    j, var = found[0]
    at, version = ("services", i, "envVars", j, "value"), str(var["value"])
    if not FULL_VERSION.fullmatch(version):
        return [Problem(at, f'PYTHON_VERSION "{version}" is not a full x.y.z: use "{example}"')]
    if pinned and version.split(".")[:2] != pinned.split(".")[:2]:
        message = f"PYTHON_VERSION {version} disagrees with .python-version ({pinned}): make them"
        message += f" name one minor version, then run make render-reqs ({RENDER_TXT} is for it)"
        return [Problem(at, message)]
    return []


def extra_problems(doc: Any, root: Path, raw: Mapping[YamlPath, str]) -> list[Problem]:
    if not isinstance(doc, dict):
        return [Problem((), "not a mapping: start the Blueprint with `services:`")]
    problems = []
    if find_web_service(doc) is None:
        message = "render.yaml has no Python web service: add one with `runtime: python`"
        problems.append(Problem(("services",), message))
    services = doc.get("services") if isinstance(doc.get("services"), list) else []
    for i, service in enumerate(s if isinstance(s, dict) else {} for s in services):
        kind, runtime = service.get("type"), service.get("runtime")
        if kind in ("web", "worker", "pserv") and runtime not in ("docker", "image", "static"):
            problems += service_problems(i, service)
        if runtime == "python":
            problems += python_problems(i, service, root)
        problems += env_problems(("services", i, "envVars"), service.get("envVars"), raw)
    groups = doc.get("envVarGroups") if isinstance(doc.get("envVarGroups"), list) else []
    for g, group in enumerate(g if isinstance(g, dict) else {} for g in groups):
        problems += env_problems(("envVarGroups", g, "envVars"), group.get("envVars"), raw)
    return problems


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


def check(text: str, doc: Any, schema: dict[str, Any], root: Path) -> list[str]:
    """Every problem as `line: path: message`, in file order.

    A schema type error at a path an extra check reports (an unquoted `false`) is left out:
    the extra check says how to fix it.
    """
    lines, raw = yaml_nodes(text)
    extras = extra_problems(doc, root, raw)
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
            "$XDG_CACHE_HOME (or ~/.cache)/featherweight/, else it is fetched from\n"
            f"{SCHEMA_URL} into that cache.\n\n"
            "examples:\n"
            "  make render-yaml-check\n"
            "  python -m scripts.check_blueprint --schema ~/Downloads/render.yaml.json"
        ),
    )
    parser.add_argument(
        "blueprint",
        nargs="?",
        type=Path,
        default=ROOT / RENDER_YAML,
        help=f"the Blueprint to check (default: {RENDER_YAML} at the project root)",
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
    path: Path = args.blueprint
    if not path.is_file():
        print(f"error: {path} not found: pass the Blueprint's path", file=sys.stderr)
        return 2
    try:
        schema, source = load_schema(args.schema, os.environ, refresh=args.refresh_schema)
    except SchemaUnavailableError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    shown = os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd()) else str(path)
    try:
        doc = read_blueprint(path)
        problems = check(path.read_text(encoding="utf-8"), doc, schema, path.parent)
    except ScriptError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if problems:
        print("\n".join(f"{shown}:{line}" for line in problems))
        return 1
    service = find_web_service(doc)[1]
    version = next(v["value"] for v in service["envVars"] if v.get("key") == "PYTHON_VERSION")
    plan = service.get("plan", "starter (the default)")
    print(
        f"{shown} OK: web service '{service['name']}' (Python {version}, plan {plan}) passes "
        f"Render's schema ({source}) and the extra checks"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
