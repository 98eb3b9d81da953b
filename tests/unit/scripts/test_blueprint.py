"""scripts.blueprint: the facts render-sim and the other scripts read from render.yaml."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from scripts.blueprint import find_web_service, load_web_service, read_blueprint
from scripts.proc import ScriptError
from scripts.project import RENDER_YAML, ROOT

MINIMAL = """\
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


@pytest.fixture
def write_blueprint(tmp_path: Path) -> Callable[[str], Path]:
    def write(text: str) -> Path:
        path = tmp_path / RENDER_YAML
        path.write_text(text)
        return path

    return write


def test_load_web_service_real_render_yaml_reads_every_field():
    service = load_web_service(ROOT / RENDER_YAML)

    assert service.name == "featherweight"
    assert service.runtime == "python"
    assert service.plan in ("free", "starter")
    assert service.build_command.startswith("pip install --require-hashes -r requirements-render")
    assert "--port $PORT" in service.start_command
    assert service.health_check_path == "/health"
    assert service.python_version == service.env["PYTHON_VERSION"]
    assert service.env["USE_LOCAL_ASR"] == "false"
    assert {"HF_SPACE", "HF_SPACE_API", "HF_TIMEOUT"} <= service.env.keys()
    assert service.secrets == ["HF_TOKEN", "API_KEYS"]
    assert "HF_TOKEN" not in service.env
    assert service.root_dir == "."
    assert service.index == 0


def test_load_web_service_skips_other_services_and_applies_render_defaults(write_blueprint):
    path = write_blueprint(MINIMAL.format(env="      - key: WORKERS\n        value: 2"))

    service = load_web_service(path)

    assert (service.name, service.index) == ("api", 1)
    assert service.plan == "starter"
    assert service.max_shutdown_delay == 30
    assert service.python_version is None
    assert service.health_check_path is None
    assert service.env == {"WORKERS": "2"}


def test_load_web_service_sorts_env_vars_by_origin(write_blueprint):
    env = (
        "      - key: TOKEN\n        sync: false\n"
        "      - key: SECRET_KEY\n        generateValue: true\n"
        "      - key: DB_HOST\n        fromService: {type: pserv, name: db, property: host}\n"
        "      - fromGroup: shared\n"
        "      - key: PLAIN\n        value: text\n"
    )
    service = load_web_service(write_blueprint(MINIMAL.format(env=env)))

    assert service.env == {"PLAIN": "text"}
    assert service.secrets == ["TOKEN"]
    assert service.unresolved == ["SECRET_KEY", "DB_HOST"]


def test_load_web_service_unquoted_boolean_raises_with_the_fix(write_blueprint):
    path = write_blueprint(MINIMAL.format(env="      - key: USE_LOCAL_ASR\n        value: false"))

    with pytest.raises(ScriptError, match=r"envVars\[0\]\.value for USE_LOCAL_ASR.*quote it"):
        load_web_service(path)


def test_load_web_service_no_python_web_service_says_how_to_add_one(write_blueprint):
    path = write_blueprint("services:\n  - type: web\n    name: x\n    env: python\n")

    with pytest.raises(ScriptError) as caught:
        load_web_service(path)

    assert str(caught.value) == (
        "render.yaml has no Python web service: add one with `runtime: python`"
    )


def test_read_blueprint_invalid_yaml_names_the_line(write_blueprint):
    path = write_blueprint("services:\n  - type: web\n    name: [unclosed\n")

    with pytest.raises(ScriptError, match=r"^render\.yaml:\d+: not valid YAML"):
        read_blueprint(path)


def test_read_blueprint_missing_file_raises_script_error(tmp_path):
    with pytest.raises(ScriptError, match="cannot read"):
        read_blueprint(tmp_path / RENDER_YAML)


@pytest.mark.parametrize("doc", [None, [], {"services": None}, {"services": ["x", 3]}])
def test_find_web_service_odd_documents_find_nothing(doc):
    assert find_web_service(doc) is None
