"""Settings: strict parsing, one-line errors, defaults, and the engine they select."""

from __future__ import annotations

import pytest

from backend.app.config import ConfigError, Settings, get_settings, load_settings
from backend.app.lifespan import engine_spec
from backend.app.version import app_version


@pytest.mark.parametrize(
    ("value", "expected"),
    [("true", True), ("false", False), ("TRUE", True), ("1", True), ("0", False)],
)
def test_config_use_local_asr_accepted_words_parse(monkeypatch, value, expected):
    monkeypatch.setenv("USE_LOCAL_ASR", value)
    assert load_settings().use_local_asr is expected


@pytest.mark.parametrize("value", ["maybe", "yes", "on", "", "2"])
def test_config_use_local_asr_other_word_is_one_line_error(monkeypatch, value):
    monkeypatch.setenv("USE_LOCAL_ASR", value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    message = str(info.value)
    assert message == f"USE_LOCAL_ASR={value!r} is not valid: use true or false (or 1 or 0)"
    assert "\n" not in message


def test_config_unknown_engine_names_choices(monkeypatch):
    monkeypatch.setenv("LOCAL_ASR_ENGINE", "whisper")
    with pytest.raises(
        ConfigError, match=r"^LOCAL_ASR_ENGINE='whisper' is not valid: .*'sensevoice'"
    ):
        load_settings()


def test_config_several_bad_values_share_one_line(monkeypatch):
    monkeypatch.setenv("USE_LOCAL_ASR", "maybe")
    monkeypatch.setenv("MAX_SESSIONS", "0")
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert "USE_LOCAL_ASR" in str(info.value) and "MAX_SESSIONS='0'" in str(info.value)
    assert "\n" not in str(info.value)


def test_config_defaults_are_production_safe():
    settings = Settings(_env_file=None)
    assert settings.use_local_asr is False
    assert (settings.hf_space, settings.hf_space_api) == ("hz6666/SenseVoiceSmall", "/predict")
    assert settings.hf_token is None
    assert settings.max_frame_bytes <= 1024 * 1024  # under render.yaml's --ws-max-size
    assert settings.hf_timeout < 40  # under render.yaml's --timeout-graceful-shutdown


def test_config_empty_token_means_none(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "")
    assert load_settings().hf_token is None


def test_config_placeholder_token_is_refused(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "changethis")
    with pytest.raises(ConfigError, match="HF_TOKEN is the placeholder"):
        load_settings()


def test_config_token_stays_out_of_repr(monkeypatch):
    monkeypatch.setenv("HF_TOKEN", "hf_secret_value")
    assert "hf_secret_value" not in repr(load_settings())


def test_config_dotenv_file_is_read(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    (tmp_path / ".env").write_text("LOCAL_ASR_ENGINE=pocketsphinx\n")
    assert load_settings().local_asr_engine == "pocketsphinx"


def test_get_settings_is_cached():
    get_settings.cache_clear()
    try:
        assert get_settings() is get_settings()
    finally:
        get_settings.cache_clear()


def test_engine_spec_remote_passes_space_options():
    settings = Settings(_env_file=None, hf_token="hf_x", hf_space="http://127.0.0.1:1/")
    assert engine_spec(settings) == (
        "hf-space",
        {
            "space": "http://127.0.0.1:1/",
            "api_name": "/predict",
            "token": "hf_x",
            "timeout": 30.0,
            "token_to_any_host": False,
        },
    )


def test_engine_spec_token_to_any_host_needs_opt_in():
    settings = Settings(_env_file=None, hf_token_any_host=True)
    assert engine_spec(settings)[1]["token_to_any_host"] is True


def test_engine_spec_pocketsphinx_defaults_to_a_worker_per_core():
    settings = Settings(_env_file=None, use_local_asr=True, local_asr_engine="pocketsphinx")
    assert engine_spec(settings) == ("pocketsphinx", {"workers": None, "streams_per_worker": None})
    chosen = Settings(
        _env_file=None, use_local_asr=True, local_asr_engine="pocketsphinx", engine_workers=3
    )
    assert engine_spec(chosen)[1]["workers"] == 3


def test_engine_spec_sensevoice_passes_model_only_when_set():
    settings = Settings(_env_file=None, use_local_asr=True)
    assert engine_spec(settings) == ("sensevoice", {"device": "cpu", "hub": "ms"})
    chosen = Settings(_env_file=None, use_local_asr=True, sensevoice_model="/models/sv")
    assert engine_spec(chosen)[1]["model"] == "/models/sv"


def test_version_render_commit_wins(tmp_path):
    assert app_version("abc123", root=tmp_path) == "abc123"


def test_version_without_git_is_dev(tmp_path):
    assert app_version(None, root=tmp_path) == "dev"


def test_version_reads_head_without_git(tmp_path):
    commit = "0123456789abcdef0123456789abcdef01234567"
    git = tmp_path / ".git"
    (git / "refs" / "heads").mkdir(parents=True)
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "refs" / "heads" / "main").write_text(commit + "\n")
    assert app_version(None, root=tmp_path) == commit


def test_version_reads_packed_ref(tmp_path):
    commit = "89abcdef0123456789abcdef0123456789abcdef"
    git = tmp_path / ".git"
    git.mkdir()
    (git / "HEAD").write_text("ref: refs/heads/main\n")
    (git / "packed-refs").write_text(f"# pack-refs with: peeled\n{commit} refs/heads/main\n")
    assert app_version(None, root=tmp_path) == commit
