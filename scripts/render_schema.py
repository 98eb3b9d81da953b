"""Find Render's Blueprint JSON Schema: a given path, the user's cache, or Render's URL."""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from scripts.proc import ScriptError, progress

SCHEMA_URL = "https://render.com/schema/render.yaml.json"
SCHEMA_ENV = "RENDER_SCHEMA"
FETCH_TIMEOUT = 5.0
CACHE_NAME = "render-pipeline/render.yaml.schema.json"


class SchemaUnavailableError(ScriptError):
    """No schema to validate against: a usage problem (exit 2), not a failed check."""


def cache_file(environ: Mapping[str, str]) -> Path:
    """Where a fetched schema is kept: $XDG_CACHE_HOME (or ~/.cache)/render-pipeline/."""
    return Path(environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / CACHE_NAME


def parse_schema(text: str, origin: str, *, check: bool = False) -> dict[str, Any]:
    """Parse a schema (some saved copies start with a byte-order mark).

    With `check`, also validate it against its metaschema (~0.2 s): done once, on download,
    before the copy is cached.
    """
    try:
        schema = json.loads(text.lstrip("\ufeff"))
        if not isinstance(schema, dict):
            raise SchemaError(f"a JSON Schema is an object, not {type(schema).__name__}")
        if check:
            Draft202012Validator.check_schema(schema)
    except ValueError as exc:
        raise SchemaUnavailableError(f"{origin} is not JSON ({exc}): pass --schema PATH") from exc
    except SchemaError as exc:
        raise SchemaUnavailableError(
            f"{origin} is not a JSON Schema ({exc.message}): pass --schema PATH to a saved copy"
        ) from exc
    return schema


def read_schema(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        reason = exc.strerror or exc
        message = f"cannot read schema {path}: {reason}: fix --schema or ${SCHEMA_ENV}"
        raise SchemaUnavailableError(message) from exc
    return parse_schema(text, str(path))


def fetch_schema(url: str, dest: Path, timeout: float = FETCH_TIMEOUT) -> dict[str, Any]:
    """Download the schema and keep a copy at `dest`; raise SchemaUnavailableError on failure."""
    progress(f"fetching Render's Blueprint schema from {url}")
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            schema = parse_schema(response.read().decode("utf-8"), url, check=True)
    except (OSError, ValueError) as exc:  # URLError, refusals and timeouts are all OSError
        if isinstance(exc, urllib.error.HTTPError):
            exc.close()  # it holds the connection open
        raise SchemaUnavailableError(
            f"Render's Blueprint schema is unavailable: no --schema or ${SCHEMA_ENV}, no cached "
            f"copy at {dest}, and fetching {url} failed ({getattr(exc, 'reason', exc)}): "
            "pass --schema PATH to a saved copy, or connect to the internet and rerun"
        ) from exc
    try:
        dest.parent.mkdir(parents=True, exist_ok=True)
        tmp = dest.with_suffix(".tmp")
        tmp.write_text(json.dumps(schema), encoding="utf-8")
        tmp.replace(dest)
    except OSError as exc:
        progress(f"could not cache the schema at {dest}: {exc.strerror or exc}")
    return schema


def load_schema(
    explicit: Path | None,
    environ: Mapping[str, str],
    url: str | None = None,
    refresh: bool = False,
) -> tuple[dict[str, Any], str]:
    """Return (schema, where it came from): `explicit`, $RENDER_SCHEMA, the cache, then `url`.

    Raises:
        SchemaUnavailableError: the chosen file is unreadable or not a schema, or nothing is
            cached and the download fails.
    """
    url = url or SCHEMA_URL  # read at call time, so tests can point it at a closed port
    chosen = explicit or (Path(environ[SCHEMA_ENV]) if environ.get(SCHEMA_ENV) else None)
    if chosen is not None:
        return read_schema(chosen), str(chosen)
    cached = cache_file(environ)
    if cached.is_file() and not refresh:
        try:
            return read_schema(cached), f"cached {cached}"
        except SchemaUnavailableError:
            pass  # a broken cache is replaced by a fresh copy
    return fetch_schema(url, cached), url
