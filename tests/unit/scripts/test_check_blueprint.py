"""scripts.check_blueprint and scripts.render_schema: render.yaml against Render's schema."""

from __future__ import annotations

import http.server
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from scripts import check_blueprint, render_schema
from scripts.check_blueprint import SECRET_NAME, dotted, main, yaml_nodes
from scripts.project import RENDER_YAML, ROOT

# Render's Blueprint schema: $RENDER_SCHEMA, else the copy shared beside the repository. Read
# once here, because the autouse fixture below removes RENDER_SCHEMA from each test's environment.
SCHEMA = Path(
    os.environ.get("RENDER_SCHEMA") or ROOT.parent / "shared" / "render" / "render.yaml.schema.json"
)


@pytest.fixture
def schema() -> Path:
    path = SCHEMA
    if not path.is_file():
        pytest.skip(f"Render's Blueprint schema is not at {path}: set RENDER_SCHEMA to a copy")
    return path


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """An empty cache, and a schema URL on a closed loopback port: no test reaches Render."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("RENDER_SCHEMA", raising=False)
    with socket.socket() as sock:  # bind, then close: nothing listens on this port
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    monkeypatch.setattr(render_schema, "SCHEMA_URL", f"http://127.0.0.1:{port}/schema.json")


@pytest.fixture
def blueprint(tmp_path: Path) -> Callable[..., Path]:
    """A copy of the real render.yaml and .python-version, with text replacements applied."""

    def make(*edits: tuple[str, str], python_version: str | None = None) -> Path:
        text = (ROOT / RENDER_YAML).read_text()
        for old, new in edits:
            assert old in text, f"the test's edit no longer matches render.yaml: {old!r}"
            text = text.replace(old, new)
        project = tmp_path / "project"
        project.mkdir(exist_ok=True)
        (project / RENDER_YAML).write_text(text)
        version = python_version or (ROOT / ".python-version").read_text()
        (project / ".python-version").write_text(version)
        return project / RENDER_YAML

    return make


def run_check(capsys, *argv: str) -> tuple[int, list[str], str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


# --- the real render.yaml ------------------------------------------------------------------------


def test_main_real_render_yaml_passes(schema, capsys):
    code, out, err = run_check(capsys, "--schema", str(schema))

    assert code == 0, out
    assert len(out) == 1
    assert "OK: web service 'featherweight'" in out[0]
    assert err == ""


def test_main_schema_from_render_schema_env_passes(schema, capsys, monkeypatch):
    monkeypatch.setenv("RENDER_SCHEMA", str(schema))

    code, out, _ = run_check(capsys)

    assert code == 0
    assert str(schema) in out[0]


def test_main_copy_with_its_python_version_file_passes(schema, blueprint, capsys):
    code, out, _ = run_check(capsys, str(blueprint()), "--schema", str(schema))

    assert code == 0, out


# --- each extra check fails on a broken copy -----------------------------------------------------

BROKEN = {
    "unquoted_false": (
        [('value: "false"', "value: false")],
        "services[0].envVars[1].value: USE_LOCAL_ASR is the YAML boolean false, not a string: "
        'quote it: value: "false"',
    ),
    "unquoted_number": (
        [('value: "30"', "value: 30")],
        "services[0].envVars[4].value: HF_TIMEOUT is the YAML number 30, not a string",
    ),
    "secret_with_value": (
        [
            (
                "      - key: HF_TOKEN\n        sync: false",
                '      - key: HF_TOKEN\n        value: "x"',
            )
        ],
        "services[0].envVars[6].value: HF_TOKEN looks like a secret and has a value in the file",
    ),
    "no_build_command": (
        [("    buildCommand:", "    # buildCommand:")],
        "services[0]: no buildCommand: add `buildCommand: pip install --require-hashes",
    ),
    "no_start_command": (
        [("    startCommand:", "    # startCommand:")],
        "services[0]: no startCommand: add `startCommand: uvicorn backend.app.main:app",
    ),
    "fixed_port": (
        [("--port $PORT", "--port 8000")],
        "services[0].startCommand: listens on port 8000, not $PORT: pass --port $PORT",
    ),
    "loopback_host": (
        [("--host 0.0.0.0", "--host 127.0.0.1")],
        "services[0].startCommand: binds 127.0.0.1, which Render cannot reach",
    ),
    "uvicorn_default_host": (
        [("--host 0.0.0.0 ", "")],
        "services[0].startCommand: uvicorn binds 127.0.0.1 unless told otherwise",
    ),
    "graceful_after_sigkill": (
        [("maxShutdownDelaySeconds: 45", "maxShutdownDelaySeconds: 40")],
        "--timeout-graceful-shutdown 40 is not below maxShutdownDelaySeconds (40)",
    ),
    "no_health_check": (
        [("    healthCheckPath: /health", "")],
        "services[0]: no healthCheckPath: add `healthCheckPath: /health`",
    ),
    "partial_python_version": (
        [('value: "3.11.14"', 'value: "3.11"')],
        'services[0].envVars[0].value: PYTHON_VERSION "3.11" is not a full x.y.z: '
        'use "3.11.<patch>"',
    ),
    "no_python_version": (
        [("key: PYTHON_VERSION", "key: PYTHON_VERSION_UNUSED")],
        "services[0].envVars: PYTHON_VERSION has no value",
    ),
    "legacy_env_key": (
        [("    runtime: python", "    env: python")],
        "services[0].env: 'env' is not allowed — use runtime: python",
    ),
    "misspelt_field": (
        [("healthCheckPath:", "healthcheckPath:")],
        "services[0].healthcheckPath: 'healthcheckPath' is not allowed — did you mean "
        "'healthCheckPath'?",
    ),
    "unknown_plan": (
        [("plan: free", "plan: hobby")],
        "services[0].plan: 'hobby' is not allowed: use one of 'free', 'starter'",
    ),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_main_broken_copy_fails_with_one_line_naming_the_fix(case, schema, blueprint, capsys):
    edits, expected = BROKEN[case]

    path = blueprint(*edits)

    code, out, err = run_check(capsys, str(path), "--schema", str(schema))

    assert code == 1
    assert any(expected in line for line in out), out
    assert all(re.match(rf"{re.escape(str(path))}:\d+: \S", line) for line in out), out
    assert err == ""


def test_main_unquoted_false_reports_once_not_again_as_a_schema_error(schema, blueprint, capsys):
    path = blueprint(('value: "false"', "value: false"))

    code, out, _ = run_check(capsys, str(path), "--schema", str(schema))

    assert code == 1
    assert len(out) == 1, out
    assert "USE_LOCAL_ASR is the YAML boolean false" in out[0]


def test_main_disagreeing_python_version_file_fails(schema, blueprint, capsys):
    code, out, _ = run_check(
        capsys, str(blueprint(python_version="3.12\n")), "--schema", str(schema)
    )

    assert code == 1
    assert out == [
        f"{blueprint(python_version='3.12')}:{line_of_python_version()}: services[0].envVars[0]"
        ".value: PYTHON_VERSION 3.11.14 disagrees with .python-version (3.12): make them name "
        "one minor version, then run make render-reqs (requirements-render.txt is for it)"
    ]


def line_of_python_version() -> int:
    text = (ROOT / RENDER_YAML).read_text().splitlines()
    return next(i for i, line in enumerate(text, 1) if 'value: "3.11.14"' in line)


def test_main_legacy_env_key_reports_the_line_it_is_on(schema, blueprint, capsys):
    path = blueprint(("    runtime: python", "    env: python"))
    env_line = path.read_text().splitlines().index("    env: python") + 1

    code, out, _ = run_check(capsys, str(path), "--schema", str(schema))

    assert code == 1
    assert f"{path}:{env_line}: services[0].env: 'env' is not allowed" in "\n".join(out)
    assert any("no Python web service" in line for line in out)


def test_main_invalid_yaml_fails_with_one_line(schema, blueprint, capsys):
    path = blueprint(("services:", "services: [unclosed"))

    code, out, err = run_check(capsys, str(path), "--schema", str(schema))

    assert code == 1
    assert out == []
    assert len(err.splitlines()) == 1 and "not valid YAML" in err


def test_main_missing_blueprint_is_a_usage_error(schema, tmp_path, capsys):
    code, _, err = run_check(capsys, str(tmp_path / "nope.yaml"), "--schema", str(schema))

    assert code == 2
    assert "not found" in err


# --- where the schema comes from -----------------------------------------------------------------


def test_main_schema_unavailable_exits_2_with_one_line(capsys):
    code, out, err = run_check(capsys)

    assert code == 2
    assert out == []
    errors = [line for line in err.splitlines() if not line.startswith("==> ")]
    assert len(errors) == 1
    assert "schema is unavailable" in errors[0]
    assert "pass --schema PATH" in errors[0] and "connect to the internet" in errors[0]


def test_main_unreadable_schema_file_exits_2(tmp_path, capsys):
    code, _, err = run_check(capsys, "--schema", str(tmp_path / "missing.json"))

    assert code == 2
    assert "cannot read schema" in err


def test_main_schema_that_is_not_json_exits_2(tmp_path, capsys):
    bad = tmp_path / "schema.json"
    bad.write_text("<html>not found</html>")

    code, _, err = run_check(capsys, "--schema", str(bad))

    assert code == 2
    assert "is not JSON" in err


def test_main_schema_with_byte_order_mark_is_accepted(schema, tmp_path, capsys):
    with_bom = tmp_path / "schema.json"
    with_bom.write_text("\ufeff" + schema.read_text())

    code, _, _ = run_check(capsys, "--schema", str(with_bom))

    assert code == 0


def test_main_uses_the_cached_copy_without_fetching(schema, tmp_path, capsys):
    cached = render_schema.cache_file(os.environ)
    cached.parent.mkdir(parents=True)
    shutil.copy(schema, cached)

    code, out, err = run_check(capsys)

    assert code == 0
    assert f"cached {cached}" in out[0]
    assert "fetching" not in err


@pytest.fixture
def serve_schema(schema: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Serve the schema on loopback, standing in for render.com."""
    body = schema.read_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{server.server_port}/schema/render.yaml.json"
    monkeypatch.setattr(render_schema, "SCHEMA_URL", url)
    yield url
    server.shutdown()
    server.server_close()


def test_main_fetches_the_schema_into_the_cache(serve_schema, capsys):
    code, out, err = run_check(capsys)

    assert code == 0
    assert serve_schema in out[0]
    assert f"==> fetching Render's Blueprint schema from {serve_schema}" in err
    assert render_schema.cache_file(os.environ).is_file()


def test_main_refresh_schema_replaces_a_broken_cache(serve_schema, schema, capsys):
    cached = render_schema.cache_file(os.environ)
    cached.parent.mkdir(parents=True)
    cached.write_text("{")

    code, _, _ = run_check(capsys, "--refresh-schema")

    assert code == 0
    assert json.loads(cached.read_text()) == json.loads(schema.read_text())


def test_cache_file_follows_xdg_cache_home(tmp_path):
    environ = {"XDG_CACHE_HOME": str(tmp_path)}

    assert render_schema.cache_file(environ) == tmp_path / "featherweight" / (
        "render.yaml.schema.json"
    )


# --- pure helpers --------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["HF_TOKEN", "API_KEY", "APIKEY", "SECRET_KEY", "DB_PASSWORD"])
def test_secret_name_matches_secret_looking_names(name):
    assert SECRET_NAME.search(name)


@pytest.mark.parametrize("name", ["HF_SPACE", "HF_SPACE_API", "MONKEY_MODE", "KEYCLOAK_URL"])
def test_secret_name_leaves_ordinary_names_alone(name):
    assert not SECRET_NAME.search(name)


def test_dotted_formats_yaml_paths():
    assert dotted(("services", 0, "envVars", 2, "value")) == "services[0].envVars[2].value"
    assert dotted(()) == "(top level)"


def test_yaml_nodes_keeps_lines_and_text_as_written():
    lines, raw = yaml_nodes("services:\n  - name: a\n    value: 3.10\n")

    assert lines[("services", 0, "value")] == 3
    assert raw[("services", 0, "value")] == "3.10"


def test_check_blueprint_help_runs_as_a_module():
    result = subprocess.run(
        [sys.executable, "-m", "scripts.check_blueprint", "--help"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0
    assert "RENDER_SCHEMA" in result.stdout
    assert check_blueprint.__doc__.splitlines()[0] in result.stdout
