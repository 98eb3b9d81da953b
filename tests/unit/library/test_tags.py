import pytest

from featherweight.asr.tags import strip_tags, tag_language


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        ("<|en|><|NEUTRAL|><|Speech|><|woitn|>hello world", "hello world"),
        ("<|en|><|HAPPY|><|Speech|><|withitn|>Hello, world. 😊", "Hello, world."),
        ("Nice 👏 work 🎼 ❓", "Nice work"),
        ("<|en|><|NEUTRAL|><|Speech|>one.<|en|><|NEUTRAL|><|Speech|>two.", "one. two."),
        ("  spaced \n  out\t text ", "spaced out text"),
        ("a < b and c > d", "a < b and c > d"),
        ("<|nospeech|><|EMO_UNKNOWN|><|Event_UNK|>", ""),
    ],
)
def test_strip_tags_sensevoice_output_returns_plain_text(raw, text):
    assert strip_tags(raw) == text


@pytest.mark.parametrize(
    ("raw", "language"),
    [
        ("<|en|><|NEUTRAL|><|Speech|><|woitn|>hello", "en"),
        ("<|yue|><|NEUTRAL|><|Speech|>", "yue"),
        ("<|NEUTRAL|><|zh|>你好", "zh"),
        ("<|nospeech|><|Event_UNK|>", None),
        ("hello", None),
    ],
)
def test_tag_language_tagged_text_returns_first_language(raw, language):
    assert tag_language(raw) == language
