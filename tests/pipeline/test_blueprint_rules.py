"""scripts.blueprint_rules: what Render's schema misses, each mistake named with its fix."""

from __future__ import annotations

from typing import Any

import pytest

from scripts.blueprint_rules import (
    SECRET_NAME,
    Problem,
    build_problems,
    env_problems,
    extra_problems,
    python_problems,
    service_problems,
    simple_commands,
    start_problems,
)
from tests.pipeline.projects import BUILD_COMMAND

RENDER_TXT = "requirements-render.txt"
INSTALL = f"pip install --require-hashes -r {RENDER_TXT}"
USE_BUILD = f"use `{INSTALL} && pip install --no-deps . && pip check`"
NEVER = f"the build never installs {RENDER_TXT}: {USE_BUILD}"


# --- the build command ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "command",
    [
        BUILD_COMMAND,
        f"{INSTALL} && pip install --no-deps .",
        f"python -m pip install --require-hashes -r ./{RENDER_TXT} "
        "&& python3 -m pip install --no-deps ./",
        f"pip3.11 install --require-hashes --requirement={RENDER_TXT}; pip install --no-deps -e .",
        f"PIP_NO_CACHE_DIR=1 pip install --require-hashes -r{RENDER_TXT} "
        "&& pip install --no-deps .",
        f"uv pip install --require-hashes -r {RENDER_TXT} && uv pip install --no-deps .",
        f"pip install --upgrade --progress-bar off --require-hashes -r {RENDER_TXT} "
        "--no-cache-dir && pip install --no-deps --no-build-isolation .",
        f"{INSTALL} -c constraints.txt && pip check",
        f"{INSTALL}\npip install --no-deps .\npip check\n",
        f"pip install --require-hashes \\\n  -r {RENDER_TXT} && \\\n  pip install --no-deps .",
        f"{INSTALL} # the pinned set\npip install --no-deps .",
    ],
    ids=[
        "template",
        "no-pip-check",
        "python-m-pip",
        "requirement-equals",
        "env-prefix",
        "uv-pip",
        "options-with-values",
        "constraint",
        "one-per-line",
        "continued-lines",
        "comment",
    ],
)
def test_build_problems_exact_render_file_install_is_accepted(command: str) -> None:
    assert build_problems(command) == []


@pytest.mark.parametrize(
    ("command", "expected"),
    [
        (
            "uv sync --frozen",
            [
                f"`uv sync` installs uv.lock, extras and all, not the hashed {RENDER_TXT}: "
                + USE_BUILD,
                NEVER,
            ],
        ),
        (
            "pip install -r requirements.txt && pip install --no-deps .",
            [
                f"installs requirements.txt, not only {RENDER_TXT}: use `{INSTALL}`",
                NEVER,
            ],
        ),
        (
            f"pip install -r {RENDER_TXT} && pip install --no-deps .",
            [f"installs {RENDER_TXT} without --require-hashes: use `{INSTALL}`"],
        ),
        (
            f"{INSTALL} && pip install .",
            [
                "`pip install .` resolves the project's dependencies itself, outside the hashed "
                f"{RENDER_TXT}: use `pip install --no-deps .`"
            ],
        ),
        (
            f"{INSTALL} && pip install --no-deps . && pip install gunicorn",
            [
                f"`pip install gunicorn` installs packages outside the hashed {RENDER_TXT}: add "
                "them to requirements-render.in and run make render-reqs"
            ],
        ),
        (
            f"{INSTALL} gunicorn && pip install --no-deps .",
            [
                f"installs gunicorn beside {RENDER_TXT}: install the project alone, in a "
                "separate `pip install --no-deps .`"
            ],
        ),
        ("pip install --no-deps . && pip check", [NEVER]),
        ("echo building", [NEVER]),
        (
            f"{INSTALL} && poetry install",
            [f"`poetry install` installs poetry's lock, not the hashed {RENDER_TXT}: {USE_BUILD}"],
        ),
        (
            f"{INSTALL} && uv add orjson",
            [f"`uv add` changes the project, not the hashed {RENDER_TXT}: {USE_BUILD}"],
        ),
        (
            f"{INSTALL} && pipenv install",
            [f"`pipenv install` installs Pipfile.lock, not the hashed {RENDER_TXT}: {USE_BUILD}"],
        ),
        (
            f"{INSTALL} && pip-sync other.txt",
            [
                f"`pip-sync` installs another requirements file, not the hashed {RENDER_TXT}: "
                + USE_BUILD
            ],
        ),
        (
            f"{INSTALL} && uv pip sync other.txt",
            [
                f"`uv pip sync` installs another requirements file, not the hashed {RENDER_TXT}: "
                + USE_BUILD
            ],
        ),
        (
            f"{INSTALL} && conda install numpy",
            [f"`conda install` installs from conda, not the hashed {RENDER_TXT}: {USE_BUILD}"],
        ),
        (
            f"pip install 'unclosed -r {RENDER_TXT}",
            ["cannot read the build command (No closing quotation): fix its quoting"],
        ),
    ],
    ids=[
        "uv-sync",
        "other-requirements-file",
        "no-require-hashes",
        "project-with-deps",
        "extra-package",
        "package-beside-render-file",
        "never-installs-render-file",
        "installs-nothing",
        "poetry",
        "uv-add",
        "pipenv",
        "pip-sync",
        "uv-pip-sync",
        "conda",
        "bad-quoting",
    ],
)
def test_build_problems_each_mistake_names_the_fix(command: str, expected: list[str]) -> None:
    assert build_problems(command) == expected


def test_simple_commands_split_on_operators_and_lines_not_inside_quotes() -> None:
    command = "A=1 pip install x&&echo 'a; b'\nB=2\npip check | cat; true"

    assert simple_commands(command) == [
        ["pip", "install", "x"],
        ["echo", "a; b"],
        ["pip", "check"],
        ["cat"],
        ["true"],
    ]


# --- the start command ----------------------------------------------------------------------

START = "uvicorn quotebot.app:app --host 0.0.0.0 --port $PORT"


@pytest.mark.parametrize(
    "start",
    [
        START,
        "uvicorn quotebot.app:app --host=0.0.0.0 --port=${PORT}",
        "gunicorn -k uvicorn.workers.UvicornWorker -b 0.0.0.0:$PORT quotebot.app:app",
        "python -m quotebot --host :: --port $PORT",
        f"{START} --forwarded-allow-ips 10.0.0.0/8",
    ],
)
def test_start_problems_good_commands_pass(start: str) -> None:
    assert start_problems(start, 30) == []


@pytest.mark.parametrize(
    ("start", "delay", "expected"),
    [
        (
            "uvicorn app:app --host 0.0.0.0",
            30,
            "never uses $PORT: pass --port $PORT (Render routes traffic there)",
        ),
        (
            "uvicorn app:app --host 0.0.0.0 --port 8000",
            30,
            "listens on port 8000, not $PORT: pass --port $PORT (Render routes traffic there)",
        ),
        (
            "gunicorn -b 0.0.0.0:8000 app:app",
            30,
            "listens on port 8000, not $PORT: pass --port $PORT (Render routes traffic there)",
        ),
        (
            "uvicorn app:app --host 127.0.0.1 --port $PORT",
            30,
            "binds 127.0.0.1, which Render cannot reach: use --host 0.0.0.0",
        ),
        (
            "gunicorn --bind localhost:$PORT app:app",
            30,
            "binds localhost, which Render cannot reach: use --host 0.0.0.0",
        ),
        (
            "uvicorn app:app --port $PORT",
            30,
            "uvicorn binds 127.0.0.1 unless told otherwise: add --host 0.0.0.0",
        ),
        (
            f"{START} --timeout-graceful-shutdown 30",
            30,
            "--timeout-graceful-shutdown 30 is not below maxShutdownDelaySeconds (30), when "
            "Render sends SIGKILL: lower it",
        ),
        *(
            (
                f"{START} --proxy-headers {flag}",
                30,
                "--forwarded-allow-ips='*' trusts every X-Forwarded-For, so a client can forge "
                "its address: set FORWARDED_ALLOW_IPS to the proxies' networks instead",
            )
            for flag in (
                "--forwarded-allow-ips='*'",
                '--forwarded-allow-ips="*"',
                "--forwarded-allow-ips=*",
            )
        ),
    ],
)
def test_start_problems_each_mistake_names_the_fix(start: str, delay: int, expected: str) -> None:
    assert start_problems(start, delay) == [expected]


# --- services, env vars, PYTHON_VERSION -----------------------------------------------------


def web(**fields: Any) -> dict[str, Any]:
    service = {
        "type": "web",
        "name": "quotebot",
        "runtime": "python",
        "buildCommand": BUILD_COMMAND,
        "startCommand": START,
        "healthCheckPath": "/health",
        "envVars": [{"key": "PYTHON_VERSION", "value": "3.11.14"}],
    }
    return {k: v for k, v in (service | fields).items() if v is not None}


def test_service_problems_good_web_service_passes() -> None:
    assert service_problems(0, web(), True) == []


def test_service_problems_missing_commands_name_what_to_write() -> None:
    problems = service_problems(2, web(buildCommand=None, startCommand=" "), True)

    assert problems == [
        Problem(("services", 2), f"no buildCommand: add `buildCommand: {INSTALL} && pip install "
                "--no-deps . && pip check`"),
        Problem(("services", 2), "no startCommand: add `startCommand: uvicorn <module>:app "
                "--host 0.0.0.0 --port $PORT`"),
    ]  # fmt: skip


def test_service_problems_no_health_check_says_why_it_matters() -> None:
    assert service_problems(0, web(healthCheckPath=None), True) == [
        Problem(
            ("services", 0),
            "no healthCheckPath: add `healthCheckPath: /health`, or Render marks a deploy live "
            "as soon as the port opens",
        )
    ]


def test_service_problems_worker_needs_no_port_or_health_check() -> None:
    worker = web(type="worker", startCommand="python -m quotebot.worker", healthCheckPath=None)

    assert service_problems(0, worker, True) == []


def test_service_problems_build_rules_apply_to_python_only() -> None:
    node = web(runtime="node", buildCommand="npm ci")

    assert service_problems(0, node, False) == []
    assert service_problems(0, web(buildCommand="npm ci"), True)[0].path == (
        "services",
        0,
        "buildCommand",
    )


@pytest.mark.parametrize(
    ("value", "raw", "kind"),
    [
        (False, "false", "boolean"),
        (30, "30", "number"),
        (3.1, "3.10", "number"),
        (None, "", "null"),
    ],
)
def test_env_problems_non_string_value_says_quote_it(value: Any, raw: str, kind: str) -> None:
    at = ("services", 0, "envVars", 0, "value")

    problems = env_problems(
        ("services", 0, "envVars"), [{"key": "DEBUG", "value": value}], {at: raw}
    )

    shown = raw or "(empty)"
    assert problems == [
        Problem(at, f'DEBUG is the YAML {kind} {shown}, not a string: quote it: value: "{raw}"')
    ]


@pytest.mark.parametrize("field", ["value", "previewValue"])
def test_env_problems_secret_with_value_says_sync_false_and_rotate(field: str) -> None:
    problems = env_problems(("envVarGroups", 1, "envVars"), [{"key": "API_TOKEN", field: "x"}], {})

    assert problems == [
        Problem(
            ("envVarGroups", 1, "envVars", 0, field),
            f"API_TOKEN looks like a secret and has a {field} in the file: replace it with "
            "`sync: false` (Render asks for it in the Dashboard), and rotate it",
        )
    ]


@pytest.mark.parametrize(
    "name", ["API_TOKEN", "API_KEY", "APIKEY", "SECRET_KEY", "DB_PASSWORD", "GH_CREDENTIALS", "KEY"]
)
def test_secret_name_matches_secret_looking_names(name: str) -> None:
    assert SECRET_NAME.search(name)


@pytest.mark.parametrize("name", ["QUOTES_URL", "MONKEY_MODE", "KEYCLOAK_URL", "TURKEY", "PORT"])
def test_secret_name_leaves_ordinary_names_alone(name: str) -> None:
    assert not SECRET_NAME.search(name)


def python_service(version: str | None) -> dict[str, Any]:
    env = [{"key": "PYTHON_VERSION", "value": version}] if version else [{"key": "X", "value": "1"}]
    return web(envVars=env)


@pytest.mark.parametrize(
    ("version", "pinned", "expected"),
    [
        ("3.11.14", "3.11", None),
        ("3.11.14", None, None),
        (
            None,
            "3.12",
            'PYTHON_VERSION has no value: add `- key: PYTHON_VERSION` `value: "3.12.<patch>"`, '
            "or Render picks its current default (3.14.x)",
        ),
        (None, None, 'PYTHON_VERSION has no value: add `- key: PYTHON_VERSION` `value: "3.11.14"`'),
        ("3.11", "3.11", 'PYTHON_VERSION "3.11" is not a full x.y.z: use "3.11.<patch>"'),
        ("3.11.x", "3.11.9", 'PYTHON_VERSION "3.11.x" is not a full x.y.z: use "3.11.9"'),
        (
            "3.11.14",
            "3.12",
            "PYTHON_VERSION 3.11.14 disagrees with .python-version (3.12): make them name one "
            f"minor version, then run make render-reqs ({RENDER_TXT} is for it)",
        ),
    ],
)
def test_python_problems_python_version_rules(
    version: str | None, pinned: str | None, expected: str | None
) -> None:
    problems = python_problems(0, python_service(version), pinned)

    if expected is None:
        assert problems == []
    else:
        assert len(problems) == 1
        assert problems[0].message.startswith(expected)


def test_extra_problems_whole_blueprint() -> None:
    doc = {
        "services": [
            {"type": "web", "name": "docs", "runtime": "static"},
            web(startCommand="uvicorn app:app --host 0.0.0.0 --port 8000"),
            {"type": "web", "name": "img", "runtime": "docker"},
        ],
        "envVarGroups": [{"name": "g", "envVars": [{"key": "PASSWORD", "value": "hunter2"}]}],
    }

    problems = extra_problems(doc, {}, None)

    assert [p.path for p in problems] == [
        ("services", 1, "startCommand"),
        ("envVarGroups", 0, "envVars", 0, "value"),
    ]


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (
            ["not", "a", "mapping"],
            [Problem((), "not a mapping: start the Blueprint with `services:`")],
        ),
        (
            {"services": [{"type": "web", "runtime": "node"}]},
            [
                Problem(
                    ("services",),
                    "render.yaml has no Python web service: add one with `runtime: python`",
                )
            ],
        ),
    ],
)
def test_extra_problems_blueprint_without_python_web_service(
    doc: Any, expected: list[Problem]
) -> None:
    assert extra_problems(doc, {}, None)[: len(expected)] == expected
