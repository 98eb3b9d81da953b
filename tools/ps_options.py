"""Compare pocketsphinx decoder options on spoken phrases: words heard and time to the final.

It speaks each phrase with the fixtures' recipe (espeak-ng and sox, tools/make_fixtures.py),
then decodes it the two ways the service does: streamed after the Segmenter (WebSocket) and as
one whole utterance (POST). For each option set it reports the phrase words heard, the key words
of the committed fixtures heard, and the CPU time of end_utt (what a client waits after stop).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
import wave
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tools.make_fixtures import FIXTURES, Fixture, Utterance, generate

PHRASES = (
    "open the door please",
    "turn off the lights in the kitchen",
    "what is the weather like tomorrow",
    "call my mother on her mobile phone",
    "add milk and eggs to the shopping list",
    "how far is it to the nearest station",
    "remind me to water the plants at six",
    "send a message to john saying i am late",
    "read me the news headlines",
    "set an alarm for seven thirty in the morning",
    "please remind me tomorrow morning at eight to call the dentist and book an appointment "
    "for some time next week after lunch",  # ~10 s: what end_utt costs on a long utterance
)
OPTION_SETS = {"fwdflat on": {"fwdflat": True}, "fwdflat off": {"fwdflat": False}}

EPILOG = """\
example:
  python -m tools.ps_options            # needs espeak-ng and sox
"""


def spoken(work: Path) -> list[tuple[Path, list[str], list[set[str]]]]:
    """Speak the committed fixtures and PHRASES into `work`: (wav, texts, key words) each."""
    extra = tuple(
        Fixture(f"phrase{i}", (Utterance(text, tuple(text.split())),))
        for i, text in enumerate(PHRASES)
    )
    generate(work, (*FIXTURES, *extra))
    return [
        (
            work / f"{f.name}.wav",
            [u.text for u in f.utterances],
            [set(u.key_words) for u in f.utterances],
        )
        for f in (*FIXTURES, *extra)
    ]


def decode(options: dict[str, Any], pcm: bytes, streamed: bool) -> tuple[list[str], list[float]]:
    """The texts of each utterance and the CPU seconds of each end_utt."""
    from featherweight.asr.pocketsphinx import PocketsphinxEngine
    from featherweight.audio import Segmenter

    engine = PocketsphinxEngine(**options)
    if not streamed:
        return [engine.transcribe(pcm).text], []
    segmenter, texts, ends, stream = Segmenter(), [], [], None
    chunks = [c for i in range(0, len(pcm), 3200) for c in segmenter.feed(pcm[i : i + 3200])]
    tail = segmenter.flush()
    for chunk in [*chunks, tail] if tail else chunks:
        stream = stream or engine.open_stream()
        stream.feed(chunk.pcm)
        if chunk.ends_utterance:
            started = time.process_time()
            texts.append(stream.finish().text)
            ends.append(time.process_time() - started)
            stream = None
    return texts, ends


def compare() -> dict[str, dict[str, Any]]:
    results: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="ps-options-") as tmp:
        samples = spoken(Path(tmp))
        for label, options in OPTION_SETS.items():
            row: dict[str, Any] = {}
            for mode in ("streamed", "whole"):
                heard = total = keys_heard = keys = 0
                ends: list[float] = []
                for wav_path, texts, key_words in samples:
                    with wave.open(str(wav_path), "rb") as wav:
                        pcm = wav.readframes(wav.getnframes())
                    got, end_times = decode(options, pcm, mode == "streamed")
                    ends += end_times
                    words = set(" ".join(got).split())
                    expected = set(" ".join(texts).split())
                    heard, total = heard + len(words & expected), total + len(expected)
                    for index, wanted in enumerate(key_words):
                        text = (
                            got[index] if mode == "streamed" and index < len(got) else " ".join(got)
                        )
                        keys_heard += wanted <= set(text.split())
                        keys += 1
                row[mode] = {
                    "words_heard": f"{heard}/{total}",
                    "utterances_with_all_key_words": f"{keys_heard}/{keys}",
                }
                if ends:
                    row[mode]["end_utt_ms_median"] = round(1000 * statistics.median(ends), 1)
                    row[mode]["end_utt_ms_max"] = round(1000 * max(ends), 1)
            results[label] = row
    return results


def build_parser() -> argparse.ArgumentParser:
    return argparse.ArgumentParser(
        prog="python -m tools.ps_options",
        description=__doc__.splitlines()[0],
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )


def main(argv: Sequence[str] | None = None) -> int:
    build_parser().parse_args(argv)
    print(json.dumps(compare(), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
