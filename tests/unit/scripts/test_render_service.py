"""scripts/render_service.py: the deploy hook and the wait for /health to report a commit."""

from __future__ import annotations

import pytest

from scripts import render_service
from scripts.proc import ScriptError

SHA = "0123456789abcdef0123456789abcdef01234567"
HOOK = "https://api.render.com/deploy/srv-abc123?key=s3cr3t-KEY"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (HOOK, "https://api.render.com/deploy/srv-abc123?key=***"),
        ("https://u:pw@h.example/p?a=1&key=2#frag", "https://***@h.example/p?a=***&key=***"),
        ("https://h.example/deploy", "https://h.example/deploy"),
    ],
)
def test_redact_url_hides_query_values_and_passwords(url, shown):
    assert render_service.redact_url(url) == shown


@pytest.mark.parametrize(
    ("reported", "expected"),
    [
        (SHA, True),
        (SHA[:7], True),
        (SHA[:12].upper(), True),
        (f" {SHA[:10]}\n", True),
        (SHA[:6], False),
        ("", False),
        (None, False),
        ("0.1.0", False),
        ("fedcba9876543", False),
        (SHA + "0", False),
    ],
)
def test_is_version_match_accepts_full_sha_or_prefix_of_seven(reported, expected):
    assert render_service.is_version_match(reported, SHA) is expected


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('{"deploy": {"id": "dep-cq1"}}', "dep-cq1"),
        ('{"id": "dep-top"}', "dep-top"),
        ('{"deploy": {}}', None),
        ("[1, 2]", None),
        ("<html>ok</html>", None),
        ("", None),
    ],
)
def test_deploy_id_reads_render_reply(body, expected):
    assert render_service.deploy_id(body) == expected


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_wait_for_version_returns_when_commit_appears(capsys):
    replies = iter([OSError("refused"), "old1234", SHA[:7]])
    clock = Clock()

    def fetch(url):
        reply = next(replies)
        if isinstance(reply, Exception):
            raise reply
        return reply

    render_service.wait_for_version(
        "http://svc/health",
        SHA,
        timeout=60,
        interval=5,
        fetch=fetch,
        sleep=clock.sleep,
        clock=clock,
    )
    assert clock.now == 10
    assert "version 'old1234'" in capsys.readouterr().err


def test_wait_for_version_timeout_names_last_version_seen():
    clock = Clock()
    with pytest.raises(ScriptError) as caught:
        render_service.wait_for_version(
            "http://svc/health",
            SHA,
            timeout=30,
            interval=7,
            fetch=lambda url: "feedbeef99",
            sleep=clock.sleep,
            clock=clock,
        )
    assert clock.now == 30  # the last sleep is cut to the deadline
    assert str(caught.value).startswith("timed out after 30 s waiting for http://svc/health")
    assert "version 'feedbeef99'" in str(caught.value)


def test_call_hook_unreachable_error_hides_key():
    with pytest.raises(ScriptError) as caught:
        render_service.call_hook("http://127.0.0.1:1/deploy/srv-abc?key=s3cr3t-KEY")
    assert "s3cr3t" not in str(caught.value)
    assert "http://127.0.0.1:1/deploy/srv-abc?key=*** failed" in str(caught.value)
