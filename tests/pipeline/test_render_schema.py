"""scripts.render_schema: --schema, else $RENDER_SCHEMA, else the cache, else Render's URL."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer

from scripts import render_schema
from scripts.render_schema import SchemaUnavailableError, cache_file, load_schema, parse_schema

TINY = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "object"}
OTHER = {"$schema": "https://json-schema.org/draft/2020-12/schema", "type": "array"}


def saved(path: Path, schema: object) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(schema))
    return path


def test_cache_file_follows_xdg_cache_home(tmp_path: Path) -> None:
    assert cache_file({"XDG_CACHE_HOME": str(tmp_path)}) == (
        tmp_path / "render-pipeline" / "render.yaml.schema.json"
    )


def test_cache_file_defaults_to_home_cache() -> None:
    assert cache_file({}) == Path.home() / ".cache" / "render-pipeline" / "render.yaml.schema.json"


def test_load_schema_explicit_path_wins_over_everything(tmp_path: Path) -> None:
    explicit = saved(tmp_path / "given.json", TINY)
    environ = {"RENDER_SCHEMA": str(saved(tmp_path / "env.json", OTHER))}

    assert load_schema(explicit, environ) == (TINY, str(explicit))


def test_load_schema_render_schema_variable_wins_over_the_cache(tmp_path: Path) -> None:
    env_copy = saved(tmp_path / "env.json", TINY)
    environ = {"RENDER_SCHEMA": str(env_copy), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    saved(cache_file(environ), OTHER)

    assert load_schema(None, environ) == (TINY, str(env_copy))


def test_load_schema_cached_copy_is_used_without_fetching(
    tmp_path: Path, httpserver: HTTPServer
) -> None:
    environ = {"XDG_CACHE_HOME": str(tmp_path)}
    cached = saved(cache_file(environ), TINY)

    assert load_schema(None, environ, url=httpserver.url_for("/s.json")) == (
        TINY,
        f"cached {cached}",
    )
    assert httpserver.log == []


def test_load_schema_fetches_into_the_cache(
    tmp_path: Path, httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    httpserver.expect_request("/schema.json").respond_with_json(TINY)
    environ = {"XDG_CACHE_HOME": str(tmp_path)}
    url = httpserver.url_for("/schema.json")

    assert load_schema(None, environ, url=url) == (TINY, url)
    assert json.loads(cache_file(environ).read_text()) == TINY
    assert capsys.readouterr().err == f"==> fetching Render's Blueprint schema from {url}\n"


@pytest.mark.parametrize("cached", ["{", json.dumps(OTHER)], ids=["broken", "refresh"])
def test_load_schema_broken_cache_or_refresh_fetches_again(
    tmp_path: Path, httpserver: HTTPServer, cached: str
) -> None:
    httpserver.expect_request("/schema.json").respond_with_json(TINY)
    environ = {"XDG_CACHE_HOME": str(tmp_path)}
    cache_file(environ).parent.mkdir(parents=True)
    cache_file(environ).write_text(cached)

    schema, _ = load_schema(None, environ, url=httpserver.url_for("/schema.json"), refresh=True)

    assert schema == TINY
    assert json.loads(cache_file(environ).read_text()) == TINY


def test_load_schema_failed_fetch_says_what_to_do(tmp_path: Path, httpserver: HTTPServer) -> None:
    httpserver.expect_request("/schema.json").respond_with_data("busy", status=503)
    environ = {"XDG_CACHE_HOME": str(tmp_path)}
    url = httpserver.url_for("/schema.json")

    with pytest.raises(SchemaUnavailableError) as caught:
        load_schema(None, environ, url=url)

    assert str(caught.value) == (
        f"Render's Blueprint schema is unavailable: no --schema or $RENDER_SCHEMA, no cached "
        f"copy at {cache_file(environ)}, and fetching {url} failed (SERVICE UNAVAILABLE): pass "
        "--schema PATH to a saved copy, or connect to the internet and rerun"
    )
    assert not cache_file(environ).exists()


@pytest.mark.parametrize(
    ("body", "message"),
    [("<html>", " is not JSON ("), ('{"type": 5}', " is not a JSON Schema (")],
    ids=["not-json", "not-a-schema"],
)
def test_load_schema_fetched_page_that_is_no_schema_is_not_cached(
    tmp_path: Path, httpserver: HTTPServer, body: str, message: str
) -> None:
    httpserver.expect_request("/schema.json").respond_with_data(body)
    environ = {"XDG_CACHE_HOME": str(tmp_path)}

    with pytest.raises(SchemaUnavailableError) as caught:
        load_schema(None, environ, url=httpserver.url_for("/schema.json"))

    assert str(caught.value).startswith(httpserver.url_for("/schema.json") + message)
    assert str(caught.value).endswith(
        ": pass --schema PATH" + ("" if "JSON (" in message else " to a saved copy")
    )
    assert not cache_file(environ).exists()


def test_load_schema_closed_port_fails_the_same_way(tmp_path: Path) -> None:
    with pytest.raises(
        SchemaUnavailableError, match=re.escape("fetching http://127.0.0.1:1/s failed")
    ):
        load_schema(None, {"XDG_CACHE_HOME": str(tmp_path)}, url="http://127.0.0.1:1/s")


def test_load_schema_uncachable_copy_is_still_used(
    tmp_path: Path, httpserver: HTTPServer, capsys: pytest.CaptureFixture[str]
) -> None:
    httpserver.expect_request("/schema.json").respond_with_json(TINY)
    blocker = tmp_path / "file"
    blocker.write_text("")  # the cache directory cannot be made under a file

    schema, _ = load_schema(
        None, {"XDG_CACHE_HOME": str(blocker)}, url=httpserver.url_for("/schema.json")
    )

    assert schema == TINY
    assert "could not cache the schema at" in capsys.readouterr().err


def test_load_schema_default_url_is_read_at_call_time(
    tmp_path: Path, httpserver: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    httpserver.expect_request("/render.yaml.json").respond_with_json(TINY)
    monkeypatch.setattr(render_schema, "SCHEMA_URL", httpserver.url_for("/render.yaml.json"))

    assert load_schema(None, {"XDG_CACHE_HOME": str(tmp_path)})[0] == TINY


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("<html>not found</html>", "x.json is not JSON ("),
        ("[1, 2]", "x.json is not a JSON Schema (a JSON Schema is an object, not list)"),
    ],
)
def test_parse_schema_not_a_schema_names_the_origin(text: str, message: str) -> None:
    with pytest.raises(SchemaUnavailableError, match=re.escape(message)):
        parse_schema(text, "x.json")


def test_parse_schema_accepts_a_byte_order_mark() -> None:
    assert parse_schema("\ufeff" + json.dumps(TINY), "x.json") == TINY


def test_read_schema_missing_file_names_both_ways_to_fix(tmp_path: Path) -> None:
    with pytest.raises(SchemaUnavailableError) as caught:
        load_schema(tmp_path / "gone.json", os.environ)

    assert str(caught.value) == (
        f"cannot read schema {tmp_path / 'gone.json'}: No such file or directory: fix --schema "
        "or $RENDER_SCHEMA"
    )
