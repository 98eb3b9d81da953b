"""Read uv.lock offline: locked versions, pip constraints, and which packages are heavy."""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Iterable
from pathlib import Path

from scripts.proc import ScriptError
from scripts.project import ROOT, UV_LOCK, read_pyproject

# A dependency edge in the lock graph: (package name, extra name or None for its base).
Node = tuple[str, str | None]


def normalize(name: str) -> str:
    """PEP 503 normalised form of a distribution name (`Gradio_Client` -> `gradio-client`)."""
    return re.sub(r"[-_.]+", "-", name).lower()


@functools.lru_cache(maxsize=4)
def _parse_lock(data: bytes) -> dict:
    # uv.lock is large (~700 kB) and tomllib takes a noticeable fraction of a second over it;
    # several helpers read it in one check, so parse each distinct content once.
    return tomllib.loads(data.decode())


def read_lock(root: Path = ROOT) -> dict:
    """Parse uv.lock under `root` (shared, do not mutate); ScriptError with the fix if absent."""
    path = root / UV_LOCK
    try:
        return _parse_lock(path.read_bytes())
    except FileNotFoundError:
        raise ScriptError(f"{path} not found: run `uv lock`") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ScriptError(f"{path} is not valid TOML ({exc}): run `uv lock`") from None


def _packages(lock: dict) -> list[dict]:
    return lock.get("package", [])


def _is_workspace_member(package: dict) -> bool:
    source = package.get("source", {})
    return "editable" in source or "virtual" in source


def project_name(root: Path = ROOT) -> str:
    """The normalised name of the project itself, from pyproject.toml."""
    return normalize(read_pyproject(root)["project"]["name"])


def locked_versions(root: Path = ROOT) -> dict[str, set[str]]:
    """Map every package in uv.lock (normalised name) to the versions locked for it."""
    versions: dict[str, set[str]] = {}
    for package in _packages(read_lock(root)):
        versions.setdefault(normalize(package["name"]), set()).add(str(package.get("version", "")))
    return versions


def constraints_text(root: Path = ROOT) -> str:
    """pip constraints (`name==version`, sorted) for every package locked at exactly one version.

    The project and other workspace members are left out: they are not on an index. Packages
    locked at several versions (one per Python range) are left out too; the check compares
    the compiled pins against all of their versions.
    """
    members = {normalize(p["name"]) for p in _packages(read_lock(root)) if _is_workspace_member(p)}
    members.add(project_name(root))
    lines = [
        f"{name}=={next(iter(versions))}"
        for name, versions in sorted(locked_versions(root).items())
        if len(versions) == 1 and name not in members
    ]
    return "".join(f"{line}\n" for line in lines)


def _edges(lock: dict) -> dict[Node, list[Node]]:
    """The lock as a graph: base and per-extra nodes, all versions of a name merged."""
    graph: dict[Node, list[Node]] = {}

    def targets(deps: Iterable[dict]) -> list[Node]:
        out: list[Node] = []
        for dep in deps:
            name = normalize(dep["name"])
            out.append((name, None))
            out.extend((name, extra) for extra in dep.get("extra", []))
        return out

    for package in _packages(lock):
        name = normalize(package["name"])
        graph.setdefault((name, None), []).extend(targets(package.get("dependencies", [])))
        for extra, deps in package.get("optional-dependencies", {}).items():
            # An extra always brings its package's base dependencies too.
            graph.setdefault((name, extra), [(name, None)]).extend(targets(deps))
    return graph


def _closure(graph: dict[Node, list[Node]], start: Iterable[Node]) -> set[str]:
    seen: set[Node] = set()
    stack = list(start)
    while stack:
        node = stack.pop()
        if node not in seen:
            seen.add(node)
            stack.extend(graph.get(node, []))
    return {name for name, _ in seen}


def extra_only_packages(root: Path = ROOT) -> set[str]:
    """Packages that uv.lock reaches from the project only through one of its extras.

    Dependency groups (dev, test) count as neither: a package reached by them alone is not
    production, but it is not an engine's weight either.
    """
    lock = read_lock(root)
    graph = _edges(lock)
    me = project_name(root)
    base = _closure(graph, graph.get((me, None), []))
    extras = [node for node in graph if node[0] == me and node[1] is not None]
    with_extras = _closure(graph, [dep for node in extras for dep in graph[node]])
    return with_extras - base - {me}


def heavy_packages(root: Path = ROOT) -> set[str]:
    """Names (normalised) that must never reach Render's requirements file.

    The computed extra-only set (see `extra_only_packages`) plus the hand denylist
    `[tool.featherweight] heavy-packages` in pyproject.toml.
    """
    tool = read_pyproject(root).get("tool", {}).get("featherweight", {})
    denied = {normalize(name) for name in tool.get("heavy-packages", [])}
    return extra_only_packages(root) | denied


def _specifier(text: str) -> str:
    """`>= 1.0, <2` -> `<2,>=1.0`: comparable however it was written."""
    return ",".join(sorted(part.replace(" ", "") for part in text.split(",") if part.strip()))


def stale_lock_reason(root: Path = ROOT) -> str | None:
    """Why uv.lock no longer matches pyproject's [project.dependencies], or None if it does.

    uv records the project's requirements in `[package.metadata] requires-dist`; a name or
    version range that differs means pyproject.toml was edited after the last `uv lock`.
    """
    me = project_name(root)
    project = next((p for p in _packages(read_lock(root)) if normalize(p["name"]) == me), None)
    if project is None:
        return f"uv.lock has no entry for the project {me!r}"
    locked = {
        normalize(r["name"]): _specifier(r.get("specifier", ""))
        for r in project.get("metadata", {}).get("requires-dist", [])
        if "extra ==" not in r.get("marker", "")
    }
    declared = {}
    for dep in read_pyproject(root)["project"].get("dependencies", []):
        match = re.match(r"\s*([A-Za-z0-9._-]+)\s*(?:\[[^\]]*\])?\s*([^;@]*)", dep)
        if match:
            declared[normalize(match.group(1))] = _specifier(match.group(2).strip("() "))
    changed = [
        f"added {n}" if n not in locked else f"{n} {declared[n] or 'any'}"
        for n in sorted(declared)
        if locked.get(n) != declared[n]
    ] + [f"removed {n}" for n in sorted(locked.keys() - declared.keys())]
    if not changed:
        return None
    return f"pyproject.toml dependencies changed since the last lock ({', '.join(changed)})"
