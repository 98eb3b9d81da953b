"""What Render's Blueprint schema does not check, but Render (or a lean build) needs.

Each rule takes parsed render.yaml data and returns problems at their YAML path. The build
command must install exactly the hashed render file and nothing else; a web service binds
0.0.0.0:$PORT, has a health check and stops before SIGKILL; env var values are strings and
secrets are not in the file; PYTHON_VERSION is a full x.y.z agreeing with .python-version.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from scripts.blueprint import DEFAULT_SHUTDOWN_DELAY, find_web_service
from scripts.proc import ScriptError
from scripts.pythons import is_full, minor_of
from scripts.requirements import RENDER_TXT

SECRET_NAME = re.compile(r"TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|(?:^|_|API)KEY(?:_|$)", re.I)
PORT_FLAG = re.compile(r"(?<!\S)(?:--port[= ]\s*|(?:--bind|-b)[= ]\s*\S*:)(\d+)")
HOST_FLAG = re.compile(r"(?<!\S)(?:--host|--bind|-b)[= ]\s*['\"]?(\[[^\]]*\]|[^\s:'\"]+)")
GRACEFUL_FLAG = re.compile(r"--timeout-graceful-shutdown[= ]\s*(\d+)")
ANY_HOST = {"0.0.0.0", "::", "[::]"}
TRUST_ALL = re.compile(r"--forwarded-allow-ips[= ]\s*['\"]?\*")
RENDER_INSTALL = f"pip install --require-hashes -r {RENDER_TXT}"
BUILD_HINT = f"{RENDER_INSTALL} && pip install --no-deps . && pip check"
START_HINT = "uvicorn <module>:app --host 0.0.0.0 --port $PORT"
SEPARATOR_CHARS = frozenset(";&|\n")
# pip (and uv pip) install options that take a value, so the value is not a package to install.
VALUE_OPTIONS = frozenset(
    {
        "-c", "--constraint", "-e", "--editable", "-t", "--target", "--platform",
        "--python-version", "--implementation", "--abi", "--root", "--prefix", "--src",
        "--upgrade-strategy", "-C", "--config-settings", "--global-option", "-i", "--index-url",
        "--extra-index-url", "--index", "--default-index", "-f", "--find-links", "--log",
        "--proxy", "--retries", "--timeout", "--exists-action", "--trusted-host", "--cert",
        "--client-cert", "--cache-dir", "--progress-bar", "--root-user-action", "--report",
        "--python", "-p", "--keyring-provider", "--no-binary", "--only-binary", "--use-feature",
        "--use-deprecated", "--override", "-b", "--build-constraints", "--group",
    }
)  # fmt: skip
# Installers that resolve requirements themselves, bypassing the hashed render file.
OTHER_INSTALLERS = {
    ("uv", "sync"): "installs uv.lock, extras and all",
    ("uv", "add"): "changes the project",
    ("uv", "pip", "sync"): "installs another requirements file",
    ("poetry", "install"): "installs poetry's lock",
    ("pipenv", "install"): "installs Pipfile.lock",
    ("pip-sync",): "installs another requirements file",
    ("conda", "install"): "installs from conda",
}

YamlPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    path: YamlPath
    message: str
    validator: str = ""  # the JSON Schema keyword, for problems the schema found


def simple_commands(command: str) -> list[list[str]]:
    """Split a shell command line into its simple commands' words (env assignments dropped).

    Commands end at `;`, `&`, `|` and at line ends, as in the shell Render runs the build in
    (a YAML block scalar gives one command a line); a backslash-newline continues a line, and
    a `#` word starts a comment that runs to the line's end.
    """
    lexer = shlex.shlex(command.replace("\\\n", " "), posix=True, punctuation_chars=";&|\n")
    lexer.whitespace = " \t\r"
    lexer.whitespace_split = True
    lexer.commenters = ""
    commands: list[list[str]] = [[]]
    in_comment = False
    for token in lexer:
        if set(token) <= SEPARATOR_CHARS:
            in_comment = in_comment and "\n" not in token
            commands.append([])
        elif in_comment or token.startswith("#"):
            in_comment = True
        elif commands[-1] or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*=.*", token):
            commands[-1].append(token)
    return [words for words in commands if words]


def _pip_install_args(words: list[str]) -> list[str] | None:
    """The arguments after `install` when `words` is a pip install, else None."""
    program = words[0].rsplit("/", 1)[-1]
    if re.fullmatch(r"pip3?(\.\d+)?", program) and words[1:2] == ["install"]:
        return words[2:]
    if re.fullmatch(r"python3?(\.\d+)?", program) and words[1:4] == ["-m", "pip", "install"]:
        return words[4:]
    if program == "uv" and words[1:3] == ["pip", "install"]:
        return words[3:]
    return None


def _install_problem(args: list[str]) -> tuple[bool, str | None]:
    """(installs the render file, problem) for one pip install's arguments."""
    files: list[str] = []
    targets: list[str] = []
    flags: set[str] = set()
    it = iter(args)
    for arg in it:
        if arg in ("-r", "--requirement"):
            files.append(next(it, ""))
        elif arg.startswith(("--requirement=", "-r")) and arg not in ("-r",):
            files.append(arg.split("=", 1)[1] if "=" in arg else arg[2:])
        elif arg in VALUE_OPTIONS:
            value = next(it, "")
            if arg in ("-e", "--editable"):
                targets.append(value)
        elif arg.startswith("-"):
            flags.add(arg.split("=", 1)[0])
        else:
            targets.append(arg)
    if files:
        others = [f for f in files if f.removeprefix("./") != RENDER_TXT]
        if others:
            return (
                False,
                f"installs {', '.join(others)}, not only {RENDER_TXT}: use `{RENDER_INSTALL}`",
            )
        if targets:
            return (
                True,
                f"installs {' '.join(targets)} beside {RENDER_TXT}: install the project "
                "alone, in a separate `pip install --no-deps .`",
            )
        if "--require-hashes" not in flags:
            return True, f"installs {RENDER_TXT} without --require-hashes: use `{RENDER_INSTALL}`"
        return True, None
    if not targets:
        return False, None
    extra = [t for t in targets if t.rstrip("/") not in (".", "./")]
    if extra:
        return False, (
            f"`pip install {' '.join(extra)}` installs packages outside the hashed {RENDER_TXT}: "
            "add them to requirements-render.in and run make render-reqs"
        )
    if "--no-deps" not in flags:
        return False, (
            "`pip install .` resolves the project's dependencies itself, outside the hashed "
            f"{RENDER_TXT}: use `pip install --no-deps .`"
        )
    return False, None


def build_problems(command: str) -> list[str]:
    """The build installs exactly the hashed render file (and the project with --no-deps)."""
    try:
        commands = simple_commands(command)
    except ValueError as exc:
        return [f"cannot read the build command ({exc}): fix its quoting"]
    problems = []
    installs_render = False
    for words in commands:
        args = _pip_install_args(words)
        if args is not None:
            found, problem = _install_problem(args)
            installs_render = installs_render or found
            problems += [problem] if problem else []
            continue
        program = words[0].rsplit("/", 1)[-1]
        for prefix, why in OTHER_INSTALLERS.items():
            if (program, *words[1:])[: len(prefix)] == prefix:
                problems.append(
                    f"`{' '.join(prefix)}` {why}, not the hashed {RENDER_TXT}: use `{BUILD_HINT}`"
                )
    if not installs_render:
        problems.append(f"the build never installs {RENDER_TXT}: use `{BUILD_HINT}`")
    return problems


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
    if TRUST_ALL.search(start):
        problems.append(
            "--forwarded-allow-ips='*' trusts every X-Forwarded-For, so a client can forge its "
            "address: set FORWARDED_ALLOW_IPS to the proxies' networks instead"
        )
    graceful = GRACEFUL_FLAG.search(start)
    if graceful and isinstance(delay, int) and int(graceful.group(1)) >= delay:
        problems.append(
            f"--timeout-graceful-shutdown {graceful.group(1)} is not below "
            f"maxShutdownDelaySeconds ({delay}), when Render sends SIGKILL: lower it"
        )
    return problems


def service_problems(i: int, service: Mapping[str, Any], is_python: bool) -> list[Problem]:
    """Build and start commands exist; a web service binds $PORT and has a health check."""
    here: YamlPath = ("services", i)
    problems = [
        Problem(here, f"no {field}: add `{field}: {hint}`")
        for field, hint in (("buildCommand", BUILD_HINT), ("startCommand", START_HINT))
        if not str(service.get(field) or "").strip()
    ]
    build = str(service.get("buildCommand") or "")
    if build.strip() and is_python:
        at = (*here, "buildCommand")
        problems += [Problem(at, message) for message in build_problems(build)]
    start = str(service.get("startCommand") or "")
    if service.get("type") != "web":
        return problems
    delay = service.get("maxShutdownDelaySeconds", DEFAULT_SHUTDOWN_DELAY)
    at = (*here, "startCommand")
    problems += [Problem(at, message) for message in start_problems(start, delay) if start.strip()]
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


def python_problems(i: int, service: Mapping[str, Any], pinned: str | None) -> list[Problem]:
    """PYTHON_VERSION is a full x.y.z naming the minor version that .python-version names."""
    env_vars = service.get("envVars") if isinstance(service.get("envVars"), list) else []
    found = [
        (j, var)
        for j, var in enumerate(env_vars or [])
        if isinstance(var, dict) and var.get("key") == "PYTHON_VERSION" and "value" in var
    ]
    example = f"{pinned}.<patch>" if pinned and pinned.count(".") == 1 else pinned or "3.11.14"
    if not found:
        message = f'PYTHON_VERSION has no value: add `- key: PYTHON_VERSION` `value: "{example}"`'
        message += ", or Render picks its current default (3.14.x)"
        return [Problem(("services", i, "envVars"), message)]
    j, var = found[0]
    at, version = ("services", i, "envVars", j, "value"), str(var["value"])
    if not is_full(version):
        return [Problem(at, f'PYTHON_VERSION "{version}" is not a full x.y.z: use "{example}"')]
    try:
        disagrees = pinned is not None and minor_of(version) != minor_of(pinned)
    except ScriptError:
        disagrees = False
    if disagrees:
        message = f"PYTHON_VERSION {version} disagrees with .python-version ({pinned}): make them"
        message += f" name one minor version, then run make render-reqs ({RENDER_TXT} is for it)"
        return [Problem(at, message)]
    return []


def extra_problems(
    doc: Any, raw: Mapping[YamlPath, str], python_version_file: str | None
) -> list[Problem]:
    """Every rule above over a whole Blueprint."""
    if not isinstance(doc, dict):
        return [Problem((), "not a mapping: start the Blueprint with `services:`")]
    problems = []
    if find_web_service(doc) is None:
        message = "render.yaml has no Python web service: add one with `runtime: python`"
        problems.append(Problem(("services",), message))
    services = doc.get("services") if isinstance(doc.get("services"), list) else []
    for i, service in enumerate(s if isinstance(s, dict) else {} for s in services or []):
        kind, runtime = service.get("type"), service.get("runtime")
        if kind in ("web", "worker", "pserv") and runtime not in ("docker", "image", "static"):
            problems += service_problems(i, service, runtime == "python")
        if runtime == "python":
            problems += python_problems(i, service, python_version_file)
        problems += env_problems(("services", i, "envVars"), service.get("envVars"), raw)
    groups = doc.get("envVarGroups") if isinstance(doc.get("envVarGroups"), list) else []
    for g, group in enumerate(g if isinstance(g, dict) else {} for g in groups or []):
        problems += env_problems(("envVarGroups", g, "envVars"), group.get("envVars"), raw)
    return problems
