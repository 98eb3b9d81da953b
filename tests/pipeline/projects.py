"""Small throwaway projects for the pipeline's tests: pyproject, uv.lock, render files, sources.

Everything here is written from the arguments, never copied from the repository around the
tests, so the tests pass unchanged in any project that adopted the template. The lock is
hand-built in uv's format (only the fields the pipeline reads), and the compiled render file
is built with the pipeline's own fingerprint, as `make render-reqs` would write it.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from scripts.requirements import fingerprint, finish_output

PYTHON = ".".join(map(str, sys.version_info[:3]))
"""The running interpreter's full version: render-sim and render-reqs can use it here."""
MINOR = ".".join(map(str, sys.version_info[:2]))
REGISTRY = '{ registry = "https://pypi.org/simple" }'
RENDER_IN = "requirements-render.in"
RENDER_TXT = "requirements-render.txt"
BUILD_COMMAND = (
    "pip install --require-hashes -r requirements-render.txt && pip install --no-deps . "
    "&& pip check"
)
HATCH = '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n'


@dataclass(frozen=True)
class Locked:
    """One package as uv.lock records it: a version, its dependencies and its extras."""

    version: str = "1.0.0"
    deps: tuple[str, ...] = ()
    extras: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


# Made-up versions for the names the tests use most; any other name is locked at 1.0.0.
KNOWN: dict[str, Locked] = {
    "fastapi": Locked("0.115.6", ("starlette", "pydantic")),
    "starlette": Locked("0.41.3", ("anyio",)),
    "pydantic": Locked("2.10.4", ("typing-extensions",)),
    "anyio": Locked("4.7.0"),
    "typing-extensions": Locked("4.12.2"),
    "uvicorn": Locked("0.34.0", ("click",)),
    "click": Locked("8.1.8"),
    "orjson": Locked("3.10.12"),
    "numpy": Locked("2.2.1"),
    "torch": Locked("2.5.1", ("numpy", "filelock")),
    "filelock": Locked("3.16.1"),
    "pyyaml": Locked("6.0.2"),
    "pytest": Locked("8.3.4"),
}


def toml_value(value: Any) -> str:
    """A TOML value for str, bool, number, list and dict (as an inline table)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value)
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, Mapping):
        items = ", ".join(f"{json.dumps(str(k))} = {toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }" if items else "{}"
    return "[" + ", ".join(toml_value(v) for v in value) + "]"


def pyproject_text(
    name: str,
    deps: Sequence[str],
    extras: Mapping[str, Sequence[str]],
    *,
    build: str = HATCH,
    config: Mapping[str, Any] | None = None,
    extra: str = "",
) -> str:
    lines = [
        "[project]",
        f"name = {json.dumps(name)}",
        'version = "0.1.0"',
        'requires-python = ">=3.11"',
        f"dependencies = {toml_value(list(deps))}",
        "",
    ]
    if extras:
        lines += ["[project.optional-dependencies]"]
        lines += [f"{json.dumps(k)} = {toml_value(list(v))}" for k, v in extras.items()]
        lines += [""]
    lines += [build]
    if config is not None:
        lines += ["[tool.render-pipeline]"]
        lines += [f"{json.dumps(k)} = {toml_value(v)}" for k, v in config.items()]
        lines += [""]
    return "\n".join(lines) + "\n" + extra


def _dep_entry(text: str) -> str:
    requirement = Requirement(text)
    name = canonicalize_name(requirement.name)
    if requirement.extras:
        return f'{{ name = "{name}", extra = {toml_value(sorted(requirement.extras))} }}'
    return f'{{ name = "{name}" }}'


def _requires_dist(text: str, extra: str | None) -> str:
    requirement = Requirement(text)
    parts = [f'name = "{canonicalize_name(requirement.name)}"']
    if requirement.extras:
        parts.append(f"extras = {toml_value(sorted(requirement.extras))}")
    if extra is not None:
        parts.append(f"marker = \"extra == '{extra}'\"")
    if requirement.specifier:
        parts.append(f'specifier = "{requirement.specifier}"')
    return "{ " + ", ".join(parts) + " }"


def _entry(name: str, locked: Locked, source: str = REGISTRY) -> list[str]:
    lines = [
        "[[package]]",
        f'name = "{name}"',
        f'version = "{locked.version}"',
        f"source = {source}",
    ]
    if locked.deps:
        lines += ["dependencies = ["] + [f"    {_dep_entry(d)}," for d in locked.deps] + ["]"]
    if locked.extras:
        lines += ["", "[package.optional-dependencies]"]
        for extra, deps in locked.extras.items():
            lines += [f"{extra} = ["] + [f"    {_dep_entry(d)}," for d in deps] + ["]"]
    return [*lines, ""]


def reachable(
    start: Iterable[str], locked: Mapping[str, Locked], *, every_extra: bool = False
) -> dict[str, Locked]:
    """Every package reached from the requirements `start`, each with its lock entry.

    Extras count where a requirement names them (`gpu-lib[fast]`), or all of them with
    `every_extra` (what the lock holds).
    """
    found: dict[str, Locked] = {}
    seen: set[tuple[str, str | None]] = set()
    stack = list(start)
    while stack:
        requirement = Requirement(stack.pop())
        name = canonicalize_name(requirement.name)
        entry = locked.get(name) or KNOWN.get(name) or Locked()
        found[name] = entry
        wanted = set(entry.extras) if every_extra else requirement.extras
        for node in [(name, None), *((name, e) for e in wanted)]:
            if node not in seen:
                seen.add(node)
                stack.extend(entry.deps if node[1] is None else entry.extras.get(node[1], ()))
    return found


def uv_lock(
    name: str,
    deps: Sequence[str],
    extras: Mapping[str, Sequence[str]] | None = None,
    *,
    locked: Mapping[str, Locked] | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
) -> str:
    """uv.lock text for a project that declares `deps` and `extras`, as `uv lock` writes it."""
    extras, locked, groups = extras or {}, dict(locked or {}), groups or {}
    me = canonicalize_name(name)
    every = [
        *deps,
        *(d for v in extras.values() for d in v),
        *(d for v in groups.values() for d in v),
    ]
    project = Locked("0.1.0", tuple(deps), {k: tuple(v) for k, v in extras.items()})
    lines = ["version = 1", "revision = 3", 'requires-python = ">=3.11"', ""]
    lines += _entry(me, project, '{ editable = "." }')[:-1]
    if groups:
        lines += ["", "[package.dev-dependencies]"]
        for group, texts in groups.items():
            lines += [f"{group} = ["] + [f"    {_dep_entry(d)}," for d in texts] + ["]"]
    declared = [(d, None) for d in deps] + [(d, k) for k, v in extras.items() for d in v]
    lines += ["", "[package.metadata]", "requires-dist = ["]
    lines += [f"    {_requires_dist(d, extra)}," for d, extra in declared]
    lines += ["]"]
    if extras:
        lines += [f"provides-extras = {toml_value(list(extras))}"]
    lines += [""]
    for package, entry in sorted(reachable(every, locked, every_extra=True).items()):
        lines += _entry(package, entry)
    return "\n".join(lines)


def fake_hash(*parts: str) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()


def pin_block(
    name: str,
    version: str,
    *,
    hashes: int = 2,
    via: Sequence[str] = ("-c uv.lock", f"-r {RENDER_IN}"),
    operator: str = "==",
) -> str:
    """One requirement of a compiled file in pip-compile's split annotation style."""
    spec = f"{name}{operator}{version}"
    hash_lines = [f"    --hash=sha256:{fake_hash(name, version, str(n))}" for n in range(hashes)]
    lines = [spec + (" \\" if hashes else ""), *(h + " \\" for h in hash_lines)]
    if hashes:
        lines[-1] = lines[-1].removesuffix(" \\")
    lines += (
        ["    # via", *(f"    #   {v}" for v in via)]
        if len(via) > 1
        else [f"    # via {v}" for v in via]
    )
    return "\n".join(lines) + "\n"


def compiled(
    pins: Mapping[str, str] | str, in_text: str, minor: str = MINOR, *, compiled_with: str = ""
) -> str:
    """A compiled render file, fingerprinted as `make render-reqs` writes it.

    `pins` maps names to versions (each gets two fake hashes), or is the body text itself.
    """
    body = (
        pins if isinstance(pins, str) else "".join(pin_block(n, v) for n, v in sorted(pins.items()))
    )
    header = (
        "#\n"
        f"# This file is autogenerated by pip-compile with Python {compiled_with or minor}\n"
        "# by the following command:\n"
        "#\n"
        "#    make render-reqs\n"
        "#\n"
    )
    temporary = "/tmp/render-reqs-x/uv-lock-constraints.txt"
    return finish_output(header + body, temporary, fingerprint(in_text, minor))


def render_in_text(deps: Sequence[str]) -> str:
    lines = ["# Production requirements for Render, one a line, each with its reason."]
    for dep in deps:
        lines += [f"# Needed by the service: {Requirement(dep).name}.", dep]
    return "\n".join(lines) + "\n"


def blueprint(
    service: str = "quotebot",
    *,
    python: str = PYTHON,
    build: str = BUILD_COMMAND,
    start: str = "uvicorn quotebot.app:app --host 0.0.0.0 --port $PORT",
    health: str | None = "/health",
    env: str = "",
    extra: str = "",
) -> str:
    """A render.yaml with one Python web service that every check accepts."""
    lines = [
        "services:",
        "  - type: web",
        f"    name: {service}",
        "    runtime: python",
        "    plan: free",
        f"    buildCommand: {build}",
        f"    startCommand: {start}",
    ]
    if health:
        lines.append(f"    healthCheckPath: {health}")
    lines.append(extra.rstrip("\n")) if extra else None
    lines += ["    envVars:", "      - key: PYTHON_VERSION", f'        value: "{python}"']
    return "\n".join(lines) + "\n" + env


@dataclass
class Spec:
    """What `make_project` writes; every field has a working default."""

    name: str = "quotebot"
    deps: Sequence[str] = ("fastapi>=0.115",)
    extras: Mapping[str, Sequence[str]] = field(default_factory=dict)
    locked: Mapping[str, Locked] = field(default_factory=dict)
    groups: Mapping[str, Sequence[str]] = field(default_factory=dict)
    config: Mapping[str, Any] | None = None
    build: str = HATCH
    pyproject_extra: str = ""
    pyproject: str | None = None
    lock: str | bool | None = None
    render_in: str | bool | None = None
    render_txt: str | bool | None = None
    render_yaml: str | bool | None = None
    python_version_file: str | None = None
    files: Mapping[str, str] | None = None

    @property
    def import_name(self) -> str:
        return self.name.replace("-", "_").replace(".", "_").lower()

    def base_pins(self) -> dict[str, str]:
        """What pip-compile would pin for the .in: the base closure of the lock."""
        return {n: e.version for n, e in reachable(self.deps, dict(self.locked)).items()}

    def contents(self) -> dict[str, str | None]:
        """Each file's text (None: leave it out)."""
        in_text = render_in_text(self.deps) if self.render_in is None else self.render_in
        texts: dict[str, str | bool | None] = {
            "pyproject.toml": self.pyproject
            or pyproject_text(
                self.name,
                self.deps,
                self.extras,
                build=self.build,
                config=self.config,
                extra=self.pyproject_extra,
            ),
            "uv.lock": self.lock
            if self.lock is not None
            else uv_lock(self.name, self.deps, self.extras, locked=self.locked, groups=self.groups),
            RENDER_IN: in_text,
            RENDER_TXT: self.render_txt
            if self.render_txt is not None
            else compiled(self.base_pins(), in_text if isinstance(in_text, str) else ""),
            "render.yaml": self.render_yaml if self.render_yaml is not None else blueprint(),
            ".python-version": self.python_version_file,
        }
        files = (
            self.files
            if self.files is not None
            else {f"src/{self.import_name}/__init__.py": '"""The service."""\n'}
        )
        out: dict[str, str | None] = {
            name: text if isinstance(text, str) else None for name, text in texts.items()
        }
        return out | dict(files)


def write_tree(root: Path, contents: Mapping[str, str | None]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in contents.items():
        if text is None:
            continue
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return root


def edit(path: Path, old: str, new: str) -> None:
    """Replace `old` (which must be there) by `new` in `path`: one mistake, made by hand."""
    text = path.read_text()
    assert old in text, f"{old!r} is not in {path.name}"
    path.write_text(text.replace(old, new, 1))
