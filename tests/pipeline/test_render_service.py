"""scripts.render_service: the deploy hook and the wait for /health to report a commit.

Render's side is pytest-httpserver on loopback.
"""

from __future__ import annotations

import pytest
from pytest_httpserver import HTTPServer

from scripts import render_service
from scripts.proc import ScriptError

SHA = "0123456789abcdef0123456789abcdef01234567"
KEY = "s3cr3t-KEY"


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        (
            f"https://api.render.com/deploy/srv-abc123?key={KEY}",
            "https://api.render.com/deploy/srv-abc123?key=***",
        ),
        ("https://u:pw@h.example/p?a=1&key=2#frag", "https://***@h.example/p?a=***&key=***"),
        ("https://h.example/deploy", "https://h.example/deploy"),
    ],
)
def test_redact_url_hides_query_values_and_passwords(url: str, shown: str) -> None:
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
def test_is_version_match_accepts_full_sha_or_prefix_of_seven(
    reported: object, expected: bool
) -> None:
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
def test_deploy_id_reads_render_reply(body: str, expected: str | None) -> None:
    assert render_service.deploy_id(body) == expected


def test_call_hook_posts_and_returns_the_reply(httpserver: HTTPServer) -> None:
    httpserver.expect_request(
        "/deploy/srv-abc", method="POST", query_string={"key": KEY}
    ).respond_with_json({"deploy": {"id": "dep-1"}})

    body = render_service.call_hook(httpserver.url_for(f"/deploy/srv-abc?key={KEY}"))

    assert render_service.deploy_id(body) == "dep-1"
    httpserver.check_assertions()


def test_call_hook_http_error_never_shows_the_key(httpserver: HTTPServer) -> None:
    httpserver.expect_request("/deploy/srv-abc").respond_with_data("boom", status=500)
    url = httpserver.url_for(f"/deploy/srv-abc?key={KEY}")

    with pytest.raises(ScriptError) as caught:
        render_service.call_hook(url)

    assert str(caught.value) == (
        f"the deploy hook {httpserver.url_for('/deploy/srv-abc')}?key=*** failed: "
        "HTTP 500 INTERNAL SERVER ERROR"
    )


def test_call_hook_unreachable_never_shows_the_key() -> None:
    with pytest.raises(ScriptError) as caught:
        render_service.call_hook(f"http://127.0.0.1:1/deploy/srv-abc?key={KEY}")

    assert KEY not in str(caught.value)
    assert str(caught.value).startswith(
        "the deploy hook http://127.0.0.1:1/deploy/srv-abc?key=*** failed: "
    )


def test_wait_for_version_polls_until_the_commit_is_reported(
    httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    httpserver.expect_ordered_request("/health").respond_with_json({"version": "old1234"})
    httpserver.expect_ordered_request("/health").respond_with_data("starting", status=503)
    httpserver.expect_ordered_request("/health").respond_with_json({"version": SHA[:7]})

    render_service.wait_for_version(httpserver.url_for("/health"), SHA, timeout=30, interval=0.01)

    assert len(httpserver.log) == 3
    err = capsys.readouterr().err
    assert "version 'old1234'" in err
    assert "no version (HTTP 503 SERVICE UNAVAILABLE)" in err


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_wait_for_version_timeout_names_the_last_reply() -> None:
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

    assert clock.now == 30
    assert str(caught.value) == (
        "timed out after 30 s waiting for http://svc/health to report 0123456789ab; the last "
        "reply had version 'feedbeef99': check the deploy in the Render dashboard"
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [("[1]", "the reply is not a JSON object"), ("<html>", "Expecting value")],
)
def test_fetch_version_needs_a_json_object(httpserver: HTTPServer, body: str, message: str) -> None:
    httpserver.expect_request("/health").respond_with_data(body)

    with pytest.raises(ValueError, match=message):
        render_service.fetch_version(httpserver.url_for("/health"))
