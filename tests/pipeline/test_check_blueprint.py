"""render-yaml-check: a project's render.yaml against Render's schema and the pipeline's rules."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from scripts import check_blueprint
from scripts.check_blueprint import dotted, yaml_nodes
from tests.pipeline.projects import PYTHON, blueprint

MakeProject = Callable[..., Path]
START = "uvicorn quotebot.app:app --host 0.0.0.0 --port $PORT --timeout-graceful-shutdown 40"
ENV = """\
      - key: DEBUG
        value: "false"
      - key: WORKERS
        value: "2"
      - key: API_TOKEN
        sync: false
"""
GOOD = blueprint(start=START, env=ENV, extra="    maxShutdownDelaySeconds: 45")


def run_check(
    capsys: pytest.CaptureFixture[str], root: Path, *argv: str
) -> tuple[int, list[str], str]:
    code = check_blueprint.main(["--root", str(root), *argv])
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return code, out.splitlines(), err


def test_check_good_blueprint_passes_naming_service_and_schema(
    make_project: MakeProject, schema_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(render_yaml=GOOD)

    code, out, err = run_check(capsys, root, "--schema", str(schema_file))

    assert (code, err) == (0, "")
    assert out == [
        f"{root / 'render.yaml'} OK: web service 'quotebot' (Python {PYTHON}, plan free) builds "
        f"from requirements-render.txt alone and passes Render's schema ({schema_file}) and the "
        "extra checks"
    ]


def test_check_schema_from_render_schema_variable(
    make_project: MakeProject,
    schema_file: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("RENDER_SCHEMA", str(schema_file))

    code, out, _ = run_check(capsys, make_project(render_yaml=GOOD))

    assert code == 0
    assert f"passes Render's schema ({schema_file})" in out[0]


BUILD = (
    "pip install --require-hashes -r requirements-render.txt && pip install --no-deps . "
    "&& pip check"
)
BROKEN = {
    "unquoted false": (
        ('value: "false"', "value: false"),
        "services[0].envVars[1].value: DEBUG is the YAML boolean false, not a string: quote it: "
        'value: "false"',
    ),
    "unquoted number": (
        ('value: "2"', "value: 2"),
        "services[0].envVars[2].value: WORKERS is the YAML number 2, not a string: quote it: "
        'value: "2"',
    ),
    "secret with a value": (
        (
            "      - key: API_TOKEN\n        sync: false",
            '      - key: API_TOKEN\n        value: "t"',
        ),
        "services[0].envVars[3].value: API_TOKEN looks like a secret and has a value in the file: "
        "replace it with `sync: false`",
    ),
    "no build command": (
        (f"    buildCommand: {BUILD}\n", ""),
        "services[0]: no buildCommand: add `buildCommand: pip install --require-hashes -r "
        "requirements-render.txt && pip install --no-deps . && pip check`",
    ),
    "uv sync build": (
        (BUILD, "uv sync --frozen"),
        "services[0].buildCommand: `uv sync` installs uv.lock, extras and all, not the hashed "
        "requirements-render.txt: use `pip install --require-hashes -r requirements-render.txt "
        "&& pip install --no-deps . && pip check`",
    ),
    "requirements.txt build": (
        (BUILD, "pip install -r requirements.txt"),
        "services[0].buildCommand: installs requirements.txt, not only requirements-render.txt: "
        "use `pip install --require-hashes -r requirements-render.txt`",
    ),
    "no start command": (
        (f"    startCommand: {START}\n", ""),
        "services[0]: no startCommand: add `startCommand: uvicorn <module>:app --host 0.0.0.0 "
        "--port $PORT`",
    ),
    "fixed port": (
        ("--port $PORT", "--port 8000"),
        "services[0].startCommand: listens on port 8000, not $PORT: pass --port $PORT",
    ),
    "loopback host": (
        ("--host 0.0.0.0", "--host 127.0.0.1"),
        "services[0].startCommand: binds 127.0.0.1, which Render cannot reach: use --host 0.0.0.0",
    ),
    "graceful after SIGKILL": (
        ("maxShutdownDelaySeconds: 45", "maxShutdownDelaySeconds: 40"),
        "services[0].startCommand: --timeout-graceful-shutdown 40 is not below "
        "maxShutdownDelaySeconds (40), when Render sends SIGKILL: lower it",
    ),
    "no health check": (
        ("    healthCheckPath: /health\n", ""),
        "services[0]: no healthCheckPath: add `healthCheckPath: /health`",
    ),
    "partial PYTHON_VERSION": (
        (f'value: "{PYTHON}"', 'value: "3.11"'),
        'services[0].envVars[0].value: PYTHON_VERSION "3.11" is not a full x.y.z: use "3.11.14"',
    ),
    "no PYTHON_VERSION": (
        ("key: PYTHON_VERSION", "key: PY_VERSION"),
        "services[0].envVars: PYTHON_VERSION has no value: add `- key: PYTHON_VERSION`",
    ),
    "legacy env key": (
        ("    runtime: python", "    env: python"),
        "services[0].env: 'env' is not allowed — use runtime: python (Render's schema rejects "
        "the old `env:` key)",
    ),
    "misspelt field": (
        ("healthCheckPath:", "healthcheckPath:"),
        "services[0].healthcheckPath: 'healthcheckPath' is not allowed — did you mean "
        "'healthCheckPath'?",
    ),
    "unknown plan": (
        ("plan: free", "plan: hobby"),
        "services[0].plan: 'hobby' is not allowed: use one of 'free', 'starter'",
    ),
    "unknown field": (
        ("    plan: free\n", "    plan: free\n    colour: blue\n"),
        "services[0].colour: 'colour' is not allowed — remove it (not a Render field here)",
    ),
    "missing service type": (
        ("  - type: web\n    name: quotebot\n", "  - name: quotebot\n"),
        "services[0]: 'type' is a required property: add it",
    ),
}


@pytest.mark.parametrize("case", BROKEN, ids=list(BROKEN))
def test_check_each_mistake_is_one_line_at_its_line_naming_the_fix(
    make_project: MakeProject, schema_file: Path, capsys: pytest.CaptureFixture[str], case: str
) -> None:
    (old, new), expected = BROKEN[case]
    assert old in GOOD
    root = make_project(render_yaml=GOOD.replace(old, new, 1))
    path = root / "render.yaml"

    code, out, err = run_check(capsys, root, "--schema", str(schema_file))

    assert (code, err) == (1, "")
    hits = [line for line in out if expected in line]
    assert len(hits) == 1, out
    assert all(re.match(rf"{re.escape(str(path))}:\d+: \S", line) for line in out), out


def test_check_reports_the_line_the_mistake_is_on(
    make_project: MakeProject, schema_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(render_yaml=GOOD.replace("plan: free", "plan: hobby"))
    line = GOOD.splitlines().index("    plan: free") + 1

    _, out, _ = run_check(capsys, root, "--schema", str(schema_file))

    assert len(out) == 1
    assert out[0].startswith(f"{root / 'render.yaml'}:{line}: services[0].plan: 'hobby' is not")


def test_check_unquoted_false_is_reported_once_not_again_by_the_schema(
    make_project: MakeProject, schema_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(render_yaml=GOOD.replace('value: "false"', "value: false"))

    code, out, _ = run_check(capsys, root, "--schema", str(schema_file))

    assert code == 1
    assert len(out) == 1, out


def test_check_python_version_file_disagreeing_names_both(
    make_project: MakeProject, schema_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    minor = ".".join(PYTHON.split(".")[:2])
    other = f"{minor.split('.')[0]}.{int(minor.split('.')[1]) + 1}"
    root = make_project(render_yaml=GOOD, python_version_file=f"{other}\n")

    code, out, _ = run_check(capsys, root, "--schema", str(schema_file))

    assert code == 1
    line = GOOD.splitlines().index(f'        value: "{PYTHON}"') + 1
    assert out == [
        f"{root / 'render.yaml'}:{line}: "
        f"services[0].envVars[0].value: PYTHON_VERSION {PYTHON} disagrees with .python-version "
        f"({other}): make them name one minor version, then run make render-reqs "
        "(requirements-render.txt is for it)"
    ]


def test_check_invalid_yaml_is_one_line(
    make_project: MakeProject, schema_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(render_yaml="services: [unclosed\n")

    code, out, err = run_check(capsys, root, "--schema", str(schema_file))

    assert (code, out) == (1, [])
    assert len(err.splitlines()) == 1 and "render.yaml:2: not valid YAML" in err


def test_check_missing_blueprint_is_a_usage_error(
    make_project: MakeProject, schema_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(render_yaml=False)

    code, _, err = run_check(capsys, root, "--schema", str(schema_file))

    assert code == 2
    assert (
        err.strip() == f"error: {root / 'render.yaml'} not found: write a Blueprint (see the docs)"
    )


def test_check_bad_project_settings_are_a_usage_error(
    make_project: MakeProject, schema_file: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = make_project(config={"sim": {"probes": [{"name": "x"}]}})

    code, _, err = run_check(capsys, root, "--schema", str(schema_file))

    assert code == 2
    assert err.strip() == (
        "error: pyproject.toml [[tool.render-pipeline.sim.probes]] #1: command must be a "
        "non-empty string"
    )


# --- where the schema comes from (the tool's own order; see test_render_schema) --------------


def test_check_no_schema_anywhere_exits_2_with_one_line(
    make_project: MakeProject, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = run_check(capsys, make_project())

    assert (code, out) == (2, [])
    errors = [line for line in err.splitlines() if not line.startswith("==> ")]
    assert len(errors) == 1
    assert errors[0].startswith("error: Render's Blueprint schema is unavailable: ")
    assert errors[0].endswith(
        "pass --schema PATH to a saved copy, or connect to the internet and rerun"
    )


def test_check_unreadable_schema_file_exits_2(
    make_project: MakeProject, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = run_check(capsys, make_project(), "--schema", str(tmp_path / "gone.json"))

    assert code == 2
    assert err.startswith(f"error: cannot read schema {tmp_path / 'gone.json'}: ")


def test_check_fetched_schema_is_cached_and_used(
    make_project: MakeProject,
    httpserver: HTTPServer,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A tiny schema served on loopback stands in for Render's."""
    from scripts import render_schema

    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"}
    httpserver.expect_oneshot_request("/schema/render.yaml.json").respond_with_json(schema)
    url = httpserver.url_for("/schema/render.yaml.json")
    monkeypatch.setattr(render_schema, "SCHEMA_URL", url)
    root = make_project()

    first = run_check(capsys, root)
    second = run_check(capsys, root)  # the one-shot handler is gone: this one reads the cache

    assert first[0] == 0 and f"passes Render's schema ({url})" in first[1][0]
    assert f"==> fetching Render's Blueprint schema from {url}" in first[2]
    assert second[0] == 0 and "passes Render's schema (cached " in second[1][0]
    assert "fetching" not in second[2]


# --- helpers --------------------------------------------------------------------------------


def test_dotted_formats_yaml_paths() -> None:
    assert dotted(("services", 0, "envVars", 2, "value")) == "services[0].envVars[2].value"
    assert dotted(()) == "(top level)"


def test_yaml_nodes_keep_lines_and_text_as_written() -> None:
    lines, raw = yaml_nodes("services:\n  - name: a\n    value: 3.10\n")

    assert lines[("services", 0, "value")] == 3
    assert raw[("services", 0, "value")] == "3.10"
