import subprocess
import sys
import types

import pytest

import featherweight.asr
from featherweight.asr import ENGINE_NAMES, base, create_blocking_engine, create_engine
from featherweight.errors import EngineNotFoundError, EngineUnavailableError


def test_engine_names_are_sorted_registry():
    assert ENGINE_NAMES == ("hf-space", "pocketsphinx", "sensevoice")


def test_registry_unknown_name_lists_choices():
    with pytest.raises(EngineNotFoundError) as info:
        create_engine("foo")
    assert (
        str(info.value) == "unknown engine 'foo': choose one of hf-space, pocketsphinx, sensevoice"
    )


@pytest.mark.parametrize(
    ("name", "runtime", "extra"),
    [("pocketsphinx", "pocketsphinx", "lite-asr"), ("sensevoice", "funasr", "local-asr")],
)
def test_registry_missing_runtime_names_extra_and_command(monkeypatch, name, runtime, extra):
    monkeypatch.setitem(sys.modules, runtime, None)  # makes `import <runtime>` fail
    with pytest.raises(EngineUnavailableError) as info:
        create_engine(name)
    assert str(info.value) == f"engine '{name}' needs the '{extra}' extra: uv sync --extra {extra}"


def test_registry_hf_space_passes_options_to_its_engine(monkeypatch):
    module = types.ModuleType("featherweight.asr.hf_space")

    class HfSpaceEngine:
        def __init__(self, **options):
            self.options = options

    module.HfSpaceEngine = HfSpaceEngine
    monkeypatch.setitem(sys.modules, "featherweight.asr.hf_space", module)
    engine = create_engine("hf-space", space="user/space", api_name="/predict", timeout=5.0)
    assert isinstance(engine, HfSpaceEngine)
    assert engine.options == {"space": "user/space", "api_name": "/predict", "timeout": 5.0}


def test_registry_blocking_engine_of_remote_name_lists_local_choices():
    with pytest.raises(EngineNotFoundError) as info:
        create_blocking_engine("hf-space")
    assert str(info.value) == "unknown engine 'hf-space': choose one of pocketsphinx, sensevoice"


def test_registry_reexports_protocol_types():
    names = ("Engine", "Stream", "BlockingEngine", "BlockingStream", "Transcript", "EngineHealth")
    for name in (*names, "SAMPLE_RATE"):
        assert getattr(featherweight.asr, name) is getattr(base, name)
        assert name in featherweight.asr.__all__


def test_registry_import_loads_no_engine_runtime():
    """Importing the registry must not pull in any engine's dependencies."""
    code = (
        "import sys, featherweight.asr, featherweight.audio;"
        "print(sorted(m for m in ('pocketsphinx', 'funasr', 'numpy', 'gradio_client',"
        " 'featherweight.asr.pocketsphinx', 'featherweight.asr.sensevoice',"
        " 'featherweight.asr.hf_space', 'httpx', 'featherweight.asr.workers')"
        " if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"
