"""Read render.yaml into the facts the deploy scripts need about its Python web service."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from scripts.proc import ScriptError

# Render's default when a service omits maxShutdownDelaySeconds, and its plan when it omits plan.
DEFAULT_SHUTDOWN_DELAY = 30
DEFAULT_PLAN = "starter"


@dataclass(frozen=True)
class WebService:
    """The first Python web service of a Blueprint, with its env vars split by origin."""

    name: str
    runtime: str
    plan: str
    build_command: str | None
    start_command: str | None
    health_check_path: str | None
    env: dict[str, str] = field(default_factory=dict)
    """Variables with a literal `value`, as strings (numbers are stringified as Render does)."""
    secrets: list[str] = field(default_factory=list)
    """Keys declared with `sync: false`: set in the Dashboard, never in the file."""
    unresolved: list[str] = field(default_factory=list)
    """Keys whose value Render supplies (`generateValue`, `fromService`, `fromDatabase`)."""
    python_version: str | None = None
    max_shutdown_delay: int = DEFAULT_SHUTDOWN_DELAY
    root_dir: str = "."
    index: int = 0
    """Position in `services`, for messages such as `services[0].startCommand`."""


def read_blueprint(path: Path) -> Any:
    """Parse a Blueprint file; raise ScriptError with the YAML error's line if it is not YAML."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScriptError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path.name}:{mark.line + 1}" if mark else path.name
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ScriptError(f"{where}: not valid YAML: {problem}") from exc


def find_web_service(doc: Any) -> tuple[int, dict[str, Any]] | None:
    """Return (index, mapping) of the first `type: web` service with `runtime: python`."""
    services = doc.get("services") if isinstance(doc, dict) else None
    for index, service in enumerate(services if isinstance(services, list) else []):
        if (
            isinstance(service, dict)
            and service.get("type") == "web"
            and service.get("runtime") == "python"
        ):
            return index, service
    return None


def env_value(value: Any) -> str:
    """The string Render would export for a literal env var value."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{value!r} is not a string")
    return value if isinstance(value, str) else str(value)


def web_service_from(index: int, service: dict[str, Any]) -> WebService:
    """Build a WebService from one `services` entry (see find_web_service)."""
    env: dict[str, str] = {}
    secrets: list[str] = []
    unresolved: list[str] = []
    for i, var in enumerate(service.get("envVars") or []):
        if not isinstance(var, dict) or "key" not in var:
            continue  # fromGroup entries carry no key; the schema check reports malformed ones
        key = str(var["key"])
        if "value" in var:
            try:
                env[key] = env_value(var["value"])
            except ValueError as exc:
                raise ScriptError(
                    f"render.yaml: services[{index}].envVars[{i}].value for {key}: {exc}: "
                    "quote it and run make render-yaml-check"
                ) from exc
        elif var.get("sync") is False:
            secrets.append(key)
        else:
            unresolved.append(key)
    return WebService(
        name=str(service.get("name", "")),
        runtime=str(service.get("runtime")),
        plan=str(service.get("plan", DEFAULT_PLAN)),
        build_command=service.get("buildCommand"),
        start_command=service.get("startCommand"),
        health_check_path=service.get("healthCheckPath"),
        env=env,
        secrets=secrets,
        unresolved=unresolved,
        python_version=env.get("PYTHON_VERSION"),
        max_shutdown_delay=int(service.get("maxShutdownDelaySeconds", DEFAULT_SHUTDOWN_DELAY)),
        root_dir=str(service.get("rootDir") or "."),
        index=index,
    )


def load_web_service(path: Path) -> WebService:
    """Read `path` and return its first Python web service.

    Raises:
        ScriptError: the file is unreadable or not YAML, or has no `type: web` service with
            `runtime: python`.
    """
    found = find_web_service(read_blueprint(path))
    if found is None:
        raise ScriptError(f"{path.name} has no Python web service: add one with `runtime: python`")
    return web_service_from(*found)
