"""uv.lock as a model: locked versions, the dependency graph, extras, and what the lock declares."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import InvalidSpecifier, SpecifierSet
from packaging.utils import NormalizedName, canonicalize_name

from scripts.proc import ScriptError

LOCK_NAME = "uv.lock"
# A node of the lock graph: (package, extra), where extra None is the package's base.
Node = tuple[NormalizedName, str | None]
# A declared requirement as the lock records it: (name, extra of the project or None).
Declared = dict[tuple[NormalizedName, str | None], SpecifierSet]


@dataclass(frozen=True)
class Lock:
    """The parts of uv.lock the pipeline reads. Build one with `parse_lock`."""

    packages: tuple[Mapping[str, Any], ...]

    @property
    def versions(self) -> dict[NormalizedName, frozenset[str]]:
        """Every locked package (normalised name) and the versions locked for it."""
        found: dict[NormalizedName, set[str]] = {}
        for package in self.packages:
            name = canonicalize_name(str(package["name"]))
            found.setdefault(name, set()).add(str(package.get("version", "")))
        return {name: frozenset(versions) for name, versions in found.items()}

    @property
    def members(self) -> frozenset[NormalizedName]:
        """The project and other workspace members: built from source, not taken from an index."""
        return frozenset(
            canonicalize_name(str(p["name"]))
            for p in self.packages
            if {"editable", "virtual", "directory"} & set(p.get("source", {}))
        )

    def entry(self, name: str) -> Mapping[str, Any] | None:
        """The lock's entry for package `name`, or None."""
        wanted = canonicalize_name(name)
        return next((p for p in self.packages if canonicalize_name(str(p["name"])) == wanted), None)

    def graph(self) -> dict[Node, list[Node]]:
        """The lock as a graph of base and per-extra nodes, all versions of a name merged."""
        graph: dict[Node, list[Node]] = {}

        def targets(deps: Iterable[Mapping[str, Any]]) -> list[Node]:
            out: list[Node] = []
            for dep in deps:
                name = canonicalize_name(str(dep["name"]))
                out.append((name, None))
                out.extend((name, str(extra)) for extra in dep.get("extra", []))
            return out

        for package in self.packages:
            name = canonicalize_name(str(package["name"]))
            graph.setdefault((name, None), []).extend(targets(package.get("dependencies", [])))
            for extra, deps in package.get("optional-dependencies", {}).items():
                # An extra always brings its package's base dependencies too.
                graph.setdefault((name, str(extra)), [(name, None)]).extend(targets(deps))
        return graph

    def declared(self, project: str) -> Declared:
        """What the lock says `project` declared (`[package.metadata] requires-dist`)."""
        entry = self.entry(project)
        if entry is None:
            raise ScriptError(
                f"{LOCK_NAME} has no entry for the project {project!r}: run `uv lock`"
            )
        declared: Declared = {}
        for item in entry.get("metadata", {}).get("requires-dist", []):
            extra = _extra_of(str(item.get("marker", "")))
            name = canonicalize_name(str(item["name"]))
            declared[(name, extra)] = _specifier(str(item.get("specifier", "")))
        return declared


def _extra_of(marker: str) -> str | None:
    """The extra named in a uv marker such as `extra == 'gpu'`, or None."""
    if "extra ==" not in marker:
        return None
    return marker.split("extra ==", 1)[1].strip().split()[0].strip("'\"")


def _specifier(text: str) -> SpecifierSet:
    try:
        return SpecifierSet(text)
    except InvalidSpecifier:
        return SpecifierSet()


def parse_lock(text: str, origin: str = LOCK_NAME) -> Lock:
    """Parse uv.lock text; ScriptError with the fix when it is not valid TOML."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScriptError(f"{origin} is not valid TOML ({exc}): run `uv lock`") from None
    return Lock(packages=tuple(data.get("package", [])))


def closure(graph: Mapping[Node, Sequence[Node]], start: Iterable[Node]) -> set[NormalizedName]:
    """Names reachable from `start` in the lock graph."""
    seen: set[Node] = set()
    stack = list(start)
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(graph.get(node, []))
    return {name for name, _ in seen}


def extra_only(lock: Lock, project: str) -> dict[NormalizedName, frozenset[str]]:
    """Packages the lock reaches from `project` only through its extras, and those extras.

    Dependency groups (dev, test) count as neither: a package they alone reach is not
    production, but it is not an engine's weight either.
    """
    graph = lock.graph()
    me = canonicalize_name(project)
    base = closure(graph, graph.get((me, None), []))
    found: dict[NormalizedName, set[str]] = {}
    for node in graph:
        if node[0] == me and node[1] is not None:
            for name in closure(graph, graph[node]) - base - {me}:
                found.setdefault(name, set()).add(node[1])
    return {name: frozenset(extras) for name, extras in found.items()}


def constraints_text(lock: Lock, project: str) -> str:
    """pip constraints (`name==version`, sorted) for every package locked at exactly one version.

    Workspace members are left out: they are not on an index. Packages locked at several
    versions (one per Python range) are left out too; the check compares the compiled pins
    against all of their versions.
    """
    skip = lock.members | {canonicalize_name(project)}
    lines = [
        f"{name}=={next(iter(versions))}\n"
        for name, versions in sorted(lock.versions.items())
        if len(versions) == 1 and name not in skip
    ]
    return "".join(lines)


def declared_by_pyproject(
    dependencies: Sequence[str], extras: Mapping[str, Sequence[str]]
) -> Declared:
    """pyproject's requirements in the shape `Lock.declared` returns."""
    declared: Declared = {}
    for extra, texts in [(None, dependencies), *extras.items()]:
        for text in texts:
            try:
                requirement = Requirement(text)
            except InvalidRequirement as exc:
                raise ScriptError(f"pyproject.toml: {text!r} is not a requirement: {exc}") from None
            key = (canonicalize_name(requirement.name), canonicalize_name(extra) if extra else None)
            declared[key] = requirement.specifier
    return declared


def stale_reason(lock: Lock, project: str, pyproject_declared: Declared) -> str | None:
    """Why uv.lock no longer matches pyproject's requirements, or None if it does.

    uv records the project's requirements in `[package.metadata] requires-dist`; a name or
    version range that differs means pyproject.toml was edited after the last `uv lock`.
    """
    locked = lock.declared(project)

    def shown(key: tuple[NormalizedName, str | None]) -> str:
        return f"{key[0]} (extra {key[1]})" if key[1] else key[0]

    changed = [
        f"added {shown(k)}" if k not in locked else f"{shown(k)} {pyproject_declared[k] or 'any'}"
        for k in sorted(pyproject_declared, key=str)
        if locked.get(k) != pyproject_declared[k]
    ] + [f"removed {shown(k)}" for k in sorted(locked.keys() - pyproject_declared.keys(), key=str)]
    if not changed:
        return None
    return f"pyproject.toml changed since the last `uv lock` ({', '.join(changed)})"
