"""What render-sim asks of the running service: the Blueprint's health check, then the probes
and stand-in services the project declares in its settings."""

from __future__ import annotations

import http.client
import json
import os
from collections.abc import Mapping
from pathlib import Path

from scripts.config import SimProbe, SimService
from scripts.proc import ScriptError, run
from scripts.servers import HOST, http_get


def loopback_only(port: int, proc_net: Path = Path("/proc/net")) -> bool:
    """Whether the port listens on 127.0.0.1/::1 only, where Render's router cannot reach it."""
    addresses = set()
    for name in ("tcp", "tcp6"):
        try:
            lines = (proc_net / name).read_text().splitlines()[1:]
        except OSError:
            return False
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, port_hex = local.split(":")
            if state == "0A" and int(port_hex, 16) == port:  # 0A: LISTEN
                addresses.add(address)
    loopback = {"0100007F", "00000000000000000000000001000000"}
    return bool(addresses) and addresses <= loopback


def probe_health(port: int, path: str, commit: str) -> tuple[str, str | None]:
    """GET the health path once more: 2xx/3xx, and if the body is JSON with a `version`, it
    must be the deployed commit. Return (detail, note): a note when no version is reported."""
    try:
        status, body = http_get(f"http://{HOST}:{port}{path}")
    except (OSError, http.client.HTTPException) as exc:
        raise ScriptError(f"GET {path}: {exc or type(exc).__name__}") from exc
    if not 200 <= status < 400:
        raise ScriptError(f"GET {path} -> {status}: {body[:200]!r}")
    try:
        data = json.loads(body)
    except ValueError:
        data = None
    if not isinstance(data, dict) or "version" not in data:
        note = (
            f"GET {path} reports no `version`: `make deploy` can only wait for a new commit "
            "when the health body is JSON with the deployed commit (RENDER_GIT_COMMIT)"
        )
        return f"{status}", note
    if str(data["version"]) != commit:
        raise ScriptError(
            f"GET {path} says version {data['version']!r}, expected the deployed commit "
            f"{commit} (RENDER_GIT_COMMIT)"
        )
    shown = {k: data[k] for k in ("status", "version") if k in data}
    return f"{status} {json.dumps(shown)}", None


def fill(template: str, values: Mapping[str, str]) -> str:
    """`template` with `{name}` placeholders replaced; ScriptError names an unknown one."""
    try:
        return template.format_map(values)
    except (KeyError, ValueError, IndexError) as exc:
        known = ", ".join("{" + k + "}" for k in values)
        raise ScriptError(
            f"cannot fill {template!r}: {exc} (known placeholders: {known})"
        ) from None


def service_values(port: int) -> dict[str, str]:
    """Placeholders for a declared service's command and env."""
    return {"port": str(port), "url": f"http://{HOST}:{port}/"}


def probe_values(port: int) -> dict[str, str]:
    """Placeholders for a declared probe's command: the service under test."""
    return {"port": str(port), "url": f"http://{HOST}:{port}", "ws_url": f"ws://{HOST}:{port}"}


def service_env(service: SimService, port: int) -> dict[str, str]:
    """What the declared service asks the service under test to use instead of the real thing."""
    values = service_values(port)
    return {key: fill(value, values) for key, value in service.env.items()}


def run_probe(probe: SimProbe, port: int, cwd: Path) -> str:
    """Run a declared probe in the development environment; its last output line on success."""
    command = fill(probe.command, probe_values(port))
    result = run(["bash", "-c", command], cwd=cwd, env=dict(os.environ), check=False,
                 timeout=probe.timeout)  # fmt: skip
    lines = (result.stdout.strip() or result.stderr.strip()).splitlines()
    last = lines[-1] if lines else "(no output)"
    if result.returncode != 0:
        errors = result.stderr.strip().splitlines()
        raise ScriptError(
            f"`{command}` exited with code {result.returncode}: {errors[-1] if errors else last}"
        )
    return last
