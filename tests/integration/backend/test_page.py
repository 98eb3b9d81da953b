"""GET / and /static/: the microphone page and its files, none of them inline."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.integration.backend.conftest import MakeClient

TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


class PageParts(HTMLParser):
    """The page's references to other files, and anything a strict CSP would refuse."""

    def __init__(self) -> None:
        super().__init__()
        self.files: list[str] = []
        self.inline: list[str] = []
        self.policy = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        self.files += [v for k, v in attrs if k in ("src", "href") and v]
        self.inline += [f"<{tag} {k}>" for k, _ in attrs if k == "style" or k.startswith("on")]
        if tag == "style" or (tag == "script" and not values.get("src")):
            self.inline.append(f"<{tag}>")
        if (values.get("http-equiv") or "").lower() == "content-security-policy":
            self.policy = values.get("content") or ""


@pytest.fixture
def page(make_client: MakeClient) -> PageParts:
    response = make_client().get("/")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    parts = PageParts()
    parts.feed(response.text)
    return parts


def test_page_root_has_no_inline_script_or_style(page: PageParts) -> None:
    assert "/static/page.js" in page.files
    assert page.inline == []


def test_page_root_declares_a_policy_without_unsafe_inline(page: PageParts) -> None:
    directives = dict(d.strip().split(" ", 1) for d in page.policy.split(";"))
    assert directives["script-src"] == "'self'" and directives["style-src"] == "'self'"
    assert "unsafe" not in page.policy


def test_page_files_are_served_with_their_types(page: PageParts, make_client: MakeClient) -> None:
    client = make_client()
    for name in [*page.files, "/static/pcm-worklet.js"]:
        response = client.get(name)
        assert response.status_code == 200, name
        assert response.headers["content-type"].startswith(TYPES[name[name.rindex(".") :]]), name


@pytest.mark.parametrize("path", ["/static/missing.js", "/static/../config.py", "/static/"])
def test_page_static_outside_files_is_404(path: str, make_client: MakeClient) -> None:
    assert make_client().get(path).status_code == 404
