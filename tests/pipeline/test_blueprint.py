"""scripts.blueprint: the facts the pipeline reads from render.yaml's Python web service."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from scripts.blueprint import find_web_service, load_web_service, read_blueprint
from scripts.proc import ScriptError
from tests.pipeline.projects import BUILD_COMMAND, blueprint

TWO_SERVICES = """\
services:
  - type: web
    name: site
    runtime: static
  - type: web
    name: api
    runtime: python
    buildCommand: pip install .
    startCommand: uvicorn app:app --host 0.0.0.0 --port $PORT
    envVars:
{env}
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "render.yaml"
    path.write_text(text)
    return path


def test_load_web_service_reads_every_field(tmp_path: Path) -> None:
    env = (
        '      - key: GREETING\n        value: "hello"\n'
        "      - key: API_TOKEN\n        sync: false\n"
    )
    extra = "    maxShutdownDelaySeconds: 45\n    rootDir: service"
    path = write(tmp_path, blueprint(python="3.12.8", env=env, extra=extra))

    service = load_web_service(path)

    assert (service.name, service.runtime, service.plan) == ("quotebot", "python", "free")
    assert service.build_command == BUILD_COMMAND
    assert service.start_command == "uvicorn quotebot.app:app --host 0.0.0.0 --port $PORT"
    assert service.health_check_path == "/health"
    assert service.env == {"PYTHON_VERSION": "3.12.8", "GREETING": "hello"}
    assert service.python_version == "3.12.8"
    assert service.secrets == ["API_TOKEN"]
    assert (service.max_shutdown_delay, service.root_dir, service.index) == (45, "service", 0)


def test_load_web_service_skips_other_services_and_applies_render_defaults(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, TWO_SERVICES.format(env="      - key: WORKERS\n        value: 2"))

    service = load_web_service(path)

    assert (service.name, service.index) == ("api", 1)
    assert service.plan == "starter"
    assert service.max_shutdown_delay == 30
    assert (service.python_version, service.health_check_path) == (None, None)
    assert service.env == {"WORKERS": "2"}  # Render exports numbers as strings
    assert service.root_dir == "."


def test_load_web_service_sorts_env_vars_by_origin(tmp_path: Path) -> None:
    env = (
        "      - key: TOKEN\n        sync: false\n"
        "      - key: SECRET_KEY\n        generateValue: true\n"
        "      - key: DB_HOST\n        fromService: {type: pserv, name: db, property: host}\n"
        "      - fromGroup: shared\n"
        "      - key: PLAIN\n        value: text\n"
    )

    service = load_web_service(write(tmp_path, TWO_SERVICES.format(env=env)))

    assert service.env == {"PLAIN": "text"}
    assert service.secrets == ["TOKEN"]
    assert service.unresolved == ["SECRET_KEY", "DB_HOST"]


@pytest.mark.parametrize("value", ["false", "null"])
def test_load_web_service_unquoted_non_string_raises_with_the_fix(
    tmp_path: Path, value: str
) -> None:
    path = write(tmp_path, TWO_SERVICES.format(env=f"      - key: DEBUG\n        value: {value}"))

    with pytest.raises(ScriptError) as caught:
        load_web_service(path)

    assert str(caught.value).startswith("render.yaml: services[1].envVars[0].value for DEBUG: ")
    assert str(caught.value).endswith("quote it and run make render-yaml-check")


def test_load_web_service_no_python_web_service_says_how_to_add_one(tmp_path: Path) -> None:
    path = write(tmp_path, "services:\n  - type: web\n    name: x\n    runtime: node\n")

    with pytest.raises(ScriptError) as caught:
        load_web_service(path)

    assert (
        str(caught.value) == "render.yaml has no Python web service: add one with `runtime: python`"
    )


def test_read_blueprint_invalid_yaml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "services:\n  - type: web\n    name: [unclosed\n")

    with pytest.raises(ScriptError, match=r"^render\.yaml:4: not valid YAML: "):
        read_blueprint(path)


def test_read_blueprint_missing_file_says_it_cannot_read(tmp_path: Path) -> None:
    with pytest.raises(ScriptError, match=r"^cannot read .*render.yaml: No such file"):
        read_blueprint(tmp_path / "render.yaml")


@pytest.mark.parametrize(
    "doc",
    [None, [], "text", {"services": None}, {"services": ["x", 3]}, {"services": [{"type": "web"}]}],
)
def test_find_web_service_odd_documents_find_nothing(doc: Any) -> None:
    assert find_web_service(doc) is None
