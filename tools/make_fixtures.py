"""Regenerate the speech fixtures in tests/fixtures/ with espeak-ng and sox, byte-identically.

The voice, rate, padding and faint noise are what pocketsphinx's general English model hears
best: ~7% word errors, against ~50% for espeak-ng's default voice without noise. `sox -R`
seeds the noise generator, so reruns with the same espeak-ng and sox give the same bytes.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import shutil
import sys
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from scripts import proc

ROOT = Path(__file__).resolve().parent.parent

FIXTURES_DIR = ROOT / "tests" / "fixtures"
PHRASES_FILE = "phrases.json"
VOICE = ("-v", "en-us+klatt2", "-s", "140")
FORMAT = ("-r", "16000", "-c", "1", "-b", "16")
PAD_S = 0.5
GAP_S = 1.5
NOISE_VOLUME = "0.01"
TOOLS = ("espeak-ng", "sox")
INSTALL_HINT = "apt-get install -y espeak-ng sox"


@dataclass(frozen=True)
class Utterance:
    text: str
    key_words: tuple[str, ...]  # words the general English model reliably gets right


@dataclass(frozen=True)
class Fixture:
    name: str
    utterances: tuple[Utterance, ...]


FIXTURES = (
    Fixture("timer", (Utterance("set a timer for five minutes", ("timer", "five")),)),
    Fixture(
        "two_utterances",
        (
            Utterance("play some music in the living room", ("music", "living", "room")),
            Utterance("i would like a cup of coffee", ("cup", "coffee")),
        ),
    ),
)

EPILOG = """\
examples:
  python -m tools.make_fixtures             # rewrite tests/fixtures/*.wav and phrases.json
  python -m tools.make_fixtures --check     # exit 1 if the committed fixtures are stale
"""


def plan_commands(fixture: Fixture, work: Path, out: Path) -> list[list[str]]:
    """The espeak-ng and sox commands that turn `fixture` into the WAV file `out`."""
    commands: list[list[str]] = []
    parts: list[str] = []
    last = len(fixture.utterances) - 1
    for i, utterance in enumerate(fixture.utterances):
        spoken, part = work / f"{fixture.name}-{i}.espeak.wav", work / f"{fixture.name}-{i}.wav"
        before, after = PAD_S if i == 0 else 0, PAD_S if i == last else GAP_S
        commands.append(["espeak-ng", *VOICE, "-w", str(spoken), utterance.text])
        commands.append(
            ["sox", "-R", str(spoken), *FORMAT, str(part), "pad", str(before), str(after)]
        )
        parts.append(str(part))
    speech, noise = work / f"{fixture.name}.speech.wav", work / f"{fixture.name}.noise.wav"
    commands.append(["sox", "-R", *parts, str(speech)])
    # synth on an input file makes noise of the same length, replacing the input.
    commands.append(
        ["sox", "-R", str(speech), str(noise), "synth", "whitenoise", "vol", NOISE_VOLUME]
    )
    # -v 1 on each input: by default -m halves both, which would quieten the speech.
    commands.append(["sox", "-R", "-m", "-v", "1", str(speech), "-v", "1", str(noise), str(out)])
    return commands


def render_phrases(fixtures: Sequence[Fixture]) -> str:
    """phrases.json: each fixture's file name, spoken text and asserted key words."""
    entries = {
        f.name: {
            "file": f"{f.name}.wav",
            "utterances": [{"text": u.text, "key_words": list(u.key_words)} for u in f.utterances],
        }
        for f in fixtures
    }
    return json.dumps(entries, indent=2) + "\n"


def generate(out_dir: Path, fixtures: Sequence[Fixture]) -> list[Path]:
    """Write every fixture and phrases.json into `out_dir`; return the written paths."""
    missing = [tool for tool in TOOLS if shutil.which(tool) is None]
    if missing:
        raise proc.ScriptError(f"{' and '.join(missing)} not found: {INSTALL_HINT}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    with tempfile.TemporaryDirectory(prefix="fixtures-") as tmp:
        for fixture in fixtures:
            proc.progress(f"speaking {fixture.name}")
            out = out_dir / f"{fixture.name}.wav"
            for command in plan_commands(fixture, Path(tmp), out):
                proc.run(command)
            written.append(out)
    phrases = out_dir / PHRASES_FILE
    phrases.write_text(render_phrases(fixtures))
    return [*written, phrases]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.make_fixtures",
        description=__doc__.splitlines()[0],
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--out-dir",
        type=Path,
        default=FIXTURES_DIR,
        help="where to write the fixtures (default: tests/fixtures)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="regenerate into a temporary directory and fail if any file differs from --out-dir",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        if not args.check:
            for path in generate(args.out_dir, FIXTURES):
                print(f"{path} {path.stat().st_size} bytes")
            return 0
        with tempfile.TemporaryDirectory(prefix="fixtures-check-") as tmp:
            fresh = generate(Path(tmp), FIXTURES)
            stale = [p.name for p in fresh if not _same(p, args.out_dir / p.name)]
    except proc.ScriptError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if stale:
        print(
            f"error: stale fixtures in {args.out_dir}: {', '.join(stale)}: "
            "run python -m tools.make_fixtures",
            file=sys.stderr,
        )
        return 1
    print(f"fixtures in {args.out_dir} are up to date")
    return 0


def _same(fresh: Path, committed: Path) -> bool:
    return committed.is_file() and filecmp.cmp(fresh, committed, shallow=False)


if __name__ == "__main__":
    raise SystemExit(main())
