"""The environment Render gives a build and its server, rebuilt locally for render-sim."""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path

from scripts.pipenv import isolated_pip_env

# Only these pass from the caller's environment: the rest (PYTHONPATH, VIRTUAL_ENV, service
# settings, tokens) would make the local run differ from Render's. Certificates and proxies
# are this machine's network, not configuration.
PASSED_THROUGH = (
    "LANG",
    "LC_ALL",
    "LC_CTYPE",
    "TERM",
    "TZ",
    "TMPDIR",
    "USER",
    "LOGNAME",
    "SHELL",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "http_proxy",
    "https_proxy",
    "no_proxy",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "NO_PROXY",
)


def clean_path(path: str, venv_bin: Path) -> str:
    """`venv_bin` first, then `path` without any other virtualenv's bin directory.

    An activated (or `uv run`) development venv later on PATH would hide a tool that the
    build forgot to install, such as uvicorn.
    """
    kept = [
        entry
        for entry in path.split(os.pathsep)
        if entry and not (Path(entry).parent / "pyvenv.cfg").exists()
    ]
    return os.pathsep.join([str(venv_bin), *kept])


def build_env(
    base: Mapping[str, str],
    *,
    venv: Path,
    home: Path,
    pip_cache: Path,
    port: int,
    commit: str,
    service_name: str,
    blueprint_env: Mapping[str, str],
    secrets: Sequence[str],
) -> tuple[dict[str, str], list[str]]:
    """Render's environment for the build and start commands, and notes on what was chosen.

    Blueprint values, then Render's own variables. Secrets (`sync: false`) come from `base`
    when set there, else stay unset as on a service whose secret was never filled in.
    """
    env = {k: base[k] for k in PASSED_THROUGH if k in base}
    env["PATH"] = clean_path(base.get("PATH", os.defpath), venv / "bin")
    env["HOME"] = str(home)
    env["VIRTUAL_ENV"] = str(venv)
    env = isolated_pip_env(env)
    env["PIP_CACHE_DIR"] = str(pip_cache)
    env.update(blueprint_env)
    env.update(
        {
            "PORT": str(port),
            "RENDER": "true",
            "RENDER_GIT_COMMIT": commit,
            "RENDER_SERVICE_NAME": service_name,
            "RENDER_SERVICE_TYPE": "web",
            "RENDER_EXTERNAL_HOSTNAME": "127.0.0.1",
            "RENDER_EXTERNAL_URL": f"http://127.0.0.1:{port}",
            "IS_PULL_REQUEST": "false",
        }
    )
    notes = []
    for name in secrets:
        if base.get(name):
            env[name] = base[name]
            notes.append(f"secret {name}: taken from your environment")
        else:
            notes.append(f"secret {name}: not in your environment, left unset")
    return env, notes
