"""Read and remove the markup SenseVoice puts around its text (`<|en|><|NEUTRAL|><|Speech|>...`)."""

from __future__ import annotations

import re

_TAG = re.compile(r"<\|[^|<>]*\|>")
# Language tags are short lowercase codes ("en", "zh", "yue"); the others are
# capitalised ("NEUTRAL", "Speech") or longer ("woitn", "nospeech").
_LANGUAGE_TAG = re.compile(r"<\|([a-z]{2,3})\|>")
# funasr's rich_transcription_postprocess turns emotion and event tags into emoji;
# remove them too, with the joiners and variation selectors that build composite emoji.
_EMOJI = re.compile("[\U0001f000-\U0001faff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d]")


def strip_tags(text: str) -> str:
    """Return SenseVoice output as plain text: no tags, no emoji, single spaces."""
    # A tag between two segments separates them, so it becomes a space.
    return " ".join(_EMOJI.sub(" ", _TAG.sub(" ", text)).split())


def tag_language(text: str) -> str | None:
    """Return the first language tag in SenseVoice output ("en"), or None if it has none."""
    match = _LANGUAGE_TAG.search(text)
    return match.group(1) if match else None
