import json
import shutil
from pathlib import Path

import pytest

from scripts import proc
from tests.conftest import ROOT
from tools import make_fixtures
from tools.make_fixtures import FIXTURES, Fixture, Utterance, main, plan_commands, render_phrases

HAS_TOOLS = all(shutil.which(tool) for tool in make_fixtures.TOOLS)
needs_tools = pytest.mark.skipif(not HAS_TOOLS, reason="needs espeak-ng and sox")

ONE = Fixture("one", (Utterance("hello there", ("hello",)),))
TWO = Fixture("two", (Utterance("first", ("first",)), Utterance("second", ("second",))))


def test_plan_commands_one_utterance_pads_both_ends(tmp_path):
    commands = plan_commands(ONE, tmp_path, tmp_path / "one.wav")
    assert commands[0][:6] == ["espeak-ng", "-v", "en-us+klatt2", "-s", "140", "-w"]
    assert commands[0][-1] == "hello there"
    assert commands[1][-3:] == ["pad", "0.5", "0.5"]
    assert all(command[:2] == ["sox", "-R"] for command in commands[1:])
    assert commands[-1][-1] == str(tmp_path / "one.wav")


def test_plan_commands_two_utterances_leave_a_gap_between(tmp_path):
    commands = plan_commands(TWO, tmp_path, tmp_path / "two.wav")
    pads = [command[-3:] for command in commands if "pad" in command]
    assert pads == [["pad", "0.5", "1.5"], ["pad", "0", "0.5"]]
    concat = commands[4]
    assert concat[2:4] == [str(tmp_path / "two-0.wav"), str(tmp_path / "two-1.wav")]


def test_plan_commands_noise_is_mixed_at_full_speech_volume(tmp_path):
    noise, mix = plan_commands(ONE, tmp_path, tmp_path / "one.wav")[-2:]
    assert noise[-4:] == ["synth", "whitenoise", "vol", "0.01"]
    assert mix[2:5] == ["-m", "-v", "1"]


def test_render_phrases_lists_text_and_key_words():
    entries = json.loads(render_phrases([TWO]))
    assert entries == {
        "two": {
            "file": "two.wav",
            "utterances": [
                {"text": "first", "key_words": ["first"]},
                {"text": "second", "key_words": ["second"]},
            ],
        }
    }


def test_fixtures_key_words_are_spoken_words():
    for fixture in FIXTURES:
        for utterance in fixture.utterances:
            assert set(utterance.key_words) <= set(utterance.text.split()), fixture.name


def test_committed_phrases_match_the_script():
    assert (ROOT / "tests/fixtures/phrases.json").read_text() == render_phrases(FIXTURES)


def test_main_missing_tools_prints_install_command(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(shutil, "which", lambda tool: None)
    assert main(["--out-dir", str(tmp_path)]) == 1
    err = capsys.readouterr().err
    assert err == "error: espeak-ng and sox not found: apt-get install -y espeak-ng sox\n"


def test_main_runs_each_planned_command_through_proc(monkeypatch, tmp_path, capsys):
    ran = []

    def fake_run(command, **kwargs):
        ran.append(command)
        written = [arg for arg in command if arg.endswith(".wav")][-1]
        Path(written).touch()  # the file each command writes is its last .wav argument

    monkeypatch.setattr(shutil, "which", lambda tool: f"/usr/bin/{tool}")
    monkeypatch.setattr(proc, "run", fake_run)
    assert main(["--out-dir", str(tmp_path)]) == 0
    assert len(ran) == sum(3 + 2 * len(f.utterances) for f in FIXTURES)
    out = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in out] == [
        *(str(tmp_path / f"{f.name}.wav") for f in FIXTURES),
        str(tmp_path / "phrases.json"),
    ]


@needs_tools
def test_main_rerun_gives_identical_bytes(tmp_path):
    assert main(["--out-dir", str(tmp_path / "a")]) == 0
    assert main(["--out-dir", str(tmp_path / "b")]) == 0
    for path in (tmp_path / "a").iterdir():
        assert path.read_bytes() == (tmp_path / "b" / path.name).read_bytes(), path.name


@needs_tools
def test_main_check_stale_fixture_exits_1(tmp_path, capsys):
    assert main(["--out-dir", str(tmp_path)]) == 0
    assert main(["--check", "--out-dir", str(tmp_path)]) == 0
    (tmp_path / "timer.wav").write_bytes(b"RIFF")
    assert main(["--check", "--out-dir", str(tmp_path)]) == 1
    assert "stale fixtures" in capsys.readouterr().err
