"""scripts.config: [tool.render-pipeline] read strictly, each bad value named with its fix."""

from __future__ import annotations

from typing import Any

import pytest

from scripts.config import DEFAULT_TIMEOUT, Config, SimProbe, SimService, read_config
from scripts.proc import UsageError


def pyproject(table: Any = None, **tools: Any) -> dict[str, Any]:
    found = {"render-pipeline": table} if table is not None else {}
    return {"project": {"name": "quotebot"}, "tool": found | tools}


def test_read_config_no_table_gives_defaults() -> None:
    assert read_config({"project": {"name": "quotebot"}}) == Config()


def test_read_config_reads_every_setting() -> None:
    table = {
        "heavy-packages": ["Torch", "onnx_runtime"],
        "extra-modules": {"quotebot.ml": "ml"},
        "sim": {
            "services": [
                {"name": "quotes API", "command": "python -m stand_in --port {port}"},
                {
                    "name": "store",
                    "command": "store {port}",
                    "ready": "/ready",
                    "env": {"STORE_URL": "{url}"},
                    "timeout": 30,
                },
            ],
            "probes": [{"name": "GET /quote", "command": "curl {url}/quote", "timeout": 5.5}],
        },
    }

    config = read_config(pyproject(table))

    assert config.heavy_packages == {"torch", "onnx-runtime"}
    assert config.extra_modules == {"quotebot.ml": "ml"}
    assert config.services == (
        SimService("quotes API", "python -m stand_in --port {port}", "/", {}, DEFAULT_TIMEOUT),
        SimService("store", "store {port}", "/ready", {"STORE_URL": "{url}"}, 30.0),
    )
    assert config.probes == (SimProbe("GET /quote", "curl {url}/quote", 5.5),)


BAD = {
    "unknown key": (
        {"heavy-package": []},
        "[tool.render-pipeline]: unknown key 'heavy-package': did you mean 'heavy-packages'?",
    ),
    "unknown key far off": (
        {"colour": "blue"},
        "[tool.render-pipeline]: unknown key 'colour': known keys: heavy-packages, "
        "extra-modules, sim",
    ),
    "heavy not a list": (
        {"heavy-packages": "torch"},
        "[tool.render-pipeline]: heavy-packages must be a list of names",
    ),
    "extra-modules values": (
        {"extra-modules": {"quotebot.ml": ["ml"]}},
        "[tool.render-pipeline.extra-modules]: map each module to the extra it needs",
    ),
    "sim not a table": ({"sim": []}, "[tool.render-pipeline]: sim must be a table"),
    "sim unknown key": (
        {"sim": {"probe": []}},
        "[tool.render-pipeline.sim]: unknown key 'probe': did you mean 'probes'?",
    ),
    "services not tables": (
        {"sim": {"services": ["x"]}},
        "[tool.render-pipeline]: sim.services must be an array of tables",
    ),
    "service unknown key": (
        {"sim": {"services": [{"name": "a", "command": "b", "port": 1}]}},
        "[[tool.render-pipeline.sim.services]] #1: unknown key 'port': known keys: name, "
        "command, ready, env, timeout",
    ),
    "service without command": (
        {"sim": {"services": [{"name": "a", "command": " "}]}},
        "[[tool.render-pipeline.sim.services]] #1: command must be a non-empty string",
    ),
    "service ready not a path": (
        {"sim": {"services": [{"name": "a", "command": "b", "ready": "health"}]}},
        "[[tool.render-pipeline.sim.services]] #1: ready must be a path such as '/health'",
    ),
    "service env not strings": (
        {"sim": {"services": [{"name": "a", "command": "b", "env": {"N": 1}}]}},
        "[[tool.render-pipeline.sim.services]] #1: env must be a table of strings",
    ),
    "probe without name": (
        {"sim": {"probes": [{"command": "true"}]}},
        "[[tool.render-pipeline.sim.probes]] #1: name must be a non-empty string",
    ),
    "probe unknown key": (
        {"sim": {"probes": [{"name": "a", "command": "b"}, {"name": "c", "cmd": "d"}]}},
        "[[tool.render-pipeline.sim.probes]] #2: unknown key 'cmd': did you mean 'command'?",
    ),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_read_config_bad_value_is_named(case: str) -> None:
    table, message = BAD[case]

    with pytest.raises(UsageError) as caught:
        read_config(pyproject(table))

    assert str(caught.value) == f"pyproject.toml {message}"


@pytest.mark.parametrize("timeout", [0, -1, True, "10"])
def test_read_config_timeout_must_be_positive_seconds(timeout: Any) -> None:
    table = {"sim": {"probes": [{"name": "a", "command": "b", "timeout": timeout}]}}

    with pytest.raises(UsageError, match=r"#1: timeout must be a positive number of seconds$"):
        read_config(pyproject(table))


def test_read_config_table_that_is_not_a_table_is_named() -> None:
    with pytest.raises(UsageError, match=r"\[tool.render-pipeline\] must be a table"):
        read_config(pyproject("heavy"))


@pytest.mark.parametrize("key", ["heavy-packages", "extra-modules"])
def test_read_config_settings_under_the_project_name_say_rename(key: str) -> None:
    with pytest.raises(UsageError) as caught:
        read_config(pyproject(None, quotebot={key: {}}))

    assert str(caught.value) == (
        "pyproject.toml [tool.quotebot] holds the pipeline's settings under another name, "
        "where nothing reads them: rename it to [tool.render-pipeline]"
    )


def test_read_config_other_tools_tables_are_left_alone() -> None:
    config = read_config(pyproject({"heavy-packages": ["torch"]}, ruff={"line-length": 100}))

    assert config.heavy_packages == {"torch"}
