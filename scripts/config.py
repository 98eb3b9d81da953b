"""The pipeline's settings: one `[tool.render-pipeline]` table in pyproject.toml, checked strictly.

The table's name belongs to the pipeline, not to the project, so renaming the project keeps it.
Unknown keys and a lookalike table under another name are errors: a setting that silently
stops applying is how checks go quiet.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from packaging.utils import NormalizedName, canonicalize_name

from scripts.proc import UsageError

TABLE = "render-pipeline"
WHERE = f"[tool.{TABLE}]"
KEYS = ("heavy-packages", "extra-modules", "sim")
SIM_KEYS = ("services", "probes")
SERVICE_KEYS = ("name", "command", "ready", "env", "timeout")
PROBE_KEYS = ("name", "command", "timeout")
DEFAULT_TIMEOUT = 120.0


@dataclass(frozen=True)
class SimService:
    """A process render-sim starts beside the service (a stand-in for a remote dependency).

    `command` runs under bash in the project root with the development environment; `{port}`
    and `{url}` in it and in `env` become the service's port and base URL. `env` is given to
    the service under test, so it talks to the stand-in instead of the real thing.
    """

    name: str
    command: str
    ready: str = "/"
    env: Mapping[str, str] = field(default_factory=dict)
    timeout: float = DEFAULT_TIMEOUT


@dataclass(frozen=True)
class SimProbe:
    """A command render-sim runs against the started service; exit 0 passes.

    `{url}`, `{ws_url}` and `{port}` become the service's http and ws base URLs and its port.
    The last line the command prints is the step's detail.
    """

    name: str
    command: str
    timeout: float = DEFAULT_TIMEOUT


@dataclass(frozen=True)
class Config:
    heavy_packages: frozenset[NormalizedName] = frozenset()
    extra_modules: Mapping[str, str] = field(default_factory=dict)
    services: tuple[SimService, ...] = ()
    probes: tuple[SimProbe, ...] = ()


def _unknown(keys: object, allowed: tuple[str, ...], where: str) -> None:
    for key in keys if isinstance(keys, Mapping) else ():
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(allowed)}"
            raise UsageError(f"pyproject.toml {where}: unknown key {key!r}: {hint}")


def _text(entry: Mapping[str, Any], key: str, where: str) -> str:
    value = entry.get(key)
    if not isinstance(value, str) or not value.strip():
        raise UsageError(f"pyproject.toml {where}: {key} must be a non-empty string")
    return value


def _timeout(entry: Mapping[str, Any], where: str) -> float:
    value = entry.get("timeout", DEFAULT_TIMEOUT)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        raise UsageError(f"pyproject.toml {where}: timeout must be a positive number of seconds")
    return float(value)


def _entries(sim: Mapping[str, Any], key: str) -> list[tuple[str, Mapping[str, Any]]]:
    items = sim.get(key, [])
    if not isinstance(items, list) or not all(isinstance(i, Mapping) for i in items):
        raise UsageError(f"pyproject.toml {WHERE}: sim.{key} must be an array of tables")
    return [(f"[[tool.{TABLE}.sim.{key}]] #{n}", item) for n, item in enumerate(items, 1)]


def _service(where: str, entry: Mapping[str, Any]) -> SimService:
    _unknown(entry, SERVICE_KEYS, where)
    env = entry.get("env", {})
    if not isinstance(env, Mapping) or not all(isinstance(v, str) for v in env.values()):
        raise UsageError(f"pyproject.toml {where}: env must be a table of strings")
    ready = entry.get("ready", "/")
    if not isinstance(ready, str) or not ready.startswith("/"):
        raise UsageError(f"pyproject.toml {where}: ready must be a path such as '/health'")
    return SimService(
        name=_text(entry, "name", where),
        command=_text(entry, "command", where),
        ready=ready,
        env={str(k): str(v) for k, v in env.items()},
        timeout=_timeout(entry, where),
    )


def _probe(where: str, entry: Mapping[str, Any]) -> SimProbe:
    _unknown(entry, PROBE_KEYS, where)
    return SimProbe(
        _text(entry, "name", where), _text(entry, "command", where), _timeout(entry, where)
    )


def _lookalikes(tools: Mapping[str, Any]) -> None:
    for name, table in tools.items():
        if (
            name != TABLE
            and isinstance(table, Mapping)
            and {"heavy-packages", "extra-modules"} & set(table)
        ):
            raise UsageError(
                f"pyproject.toml [tool.{name}] holds the pipeline's settings under another name, "
                f"where nothing reads them: rename it to {WHERE}"
            )


def read_config(pyproject: Mapping[str, Any]) -> Config:
    """The pipeline's settings from parsed pyproject.toml; UsageError names any bad value."""
    tools = pyproject.get("tool", {})
    tools = tools if isinstance(tools, Mapping) else {}
    _lookalikes(tools)
    table = tools.get(TABLE, {})
    if not isinstance(table, Mapping):
        raise UsageError(f"pyproject.toml {WHERE} must be a table")
    _unknown(table, KEYS, WHERE)
    heavy = table.get("heavy-packages", [])
    if not isinstance(heavy, list) or not all(isinstance(n, str) for n in heavy):
        raise UsageError(f"pyproject.toml {WHERE}: heavy-packages must be a list of names")
    modules = table.get("extra-modules", {})
    if not isinstance(modules, Mapping) or not all(isinstance(v, str) for v in modules.values()):
        raise UsageError(
            f"pyproject.toml [tool.{TABLE}.extra-modules]: map each module to the extra it needs"
        )
    sim = table.get("sim", {})
    if not isinstance(sim, Mapping):
        raise UsageError(f"pyproject.toml {WHERE}: sim must be a table")
    _unknown(sim, SIM_KEYS, f"[tool.{TABLE}.sim]")
    return Config(
        heavy_packages=frozenset(canonicalize_name(n) for n in heavy),
        extra_modules={str(k): str(v) for k, v in modules.items()},
        services=tuple(_service(w, e) for w, e in _entries(sim, "services")),
        probes=tuple(_probe(w, e) for w, e in _entries(sim, "probes")),
    )
