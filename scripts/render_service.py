"""Talk to a deployed Render service: call its deploy hook, wait for /health to report a commit.

The deploy hook URL carries a secret key in its query string: nothing here prints it.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from scripts.proc import ScriptError, progress
from scripts.waiting import DeadlineError, wait_until

HTTP_TIMEOUT = 30.0
MIN_SHA_PREFIX = 7


def redact_url(url: str) -> str:
    """`url` with every query value and any password replaced by ***: Render's key is there."""
    parts = urlsplit(url)
    netloc = parts.netloc.rpartition("@")[2]
    if "@" in parts.netloc:
        netloc = f"***@{netloc}"
    query = "&".join(f"{k}=***" for k, _ in parse_qsl(parts.query, keep_blank_values=True))
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


def is_version_match(reported: object, sha: str) -> bool:
    """True when `reported` is the commit `sha`, in full or as a prefix of 7+ characters."""
    version = "" if reported is None else str(reported).strip().lower()
    return len(version) >= MIN_SHA_PREFIX and sha.lower().startswith(version)


def deploy_id(body: str) -> str | None:
    """The deploy id in the deploy hook's JSON reply (`{"deploy": {"id": ...}}`), if any."""
    try:
        data = json.loads(body)
    except ValueError:
        return None
    if isinstance(data, dict):
        inner = data.get("deploy")
        found = inner.get("id") if isinstance(inner, dict) else data.get("id")
        return str(found) if found else None
    return None


def call_hook(url: str) -> str:
    """POST to the deploy hook; return its reply body. Errors never show the URL's key."""
    request = urllib.request.Request(url, data=b"", method="POST")
    try:
        with urllib.request.urlopen(request, timeout=HTTP_TIMEOUT) as reply:
            body: bytes = reply.read()
            return body.decode("utf-8", "replace")
    except urllib.error.HTTPError as exc:
        exc.close()  # it holds the connection open
        reason = f"HTTP {exc.code} {exc.reason}"
    except (urllib.error.URLError, OSError) as exc:
        reason = str(getattr(exc, "reason", exc))
    raise ScriptError(f"the deploy hook {redact_url(url)} failed: {reason.replace(url, '***')}")


def fetch_version(url: str) -> object:
    """The `version` in GET `url`'s JSON; raises OSError or ValueError when there is none."""
    with urllib.request.urlopen(url, timeout=min(HTTP_TIMEOUT, 10.0)) as reply:
        data = json.loads(reply.read())
    if not isinstance(data, dict):
        raise ValueError("the reply is not a JSON object")
    return data.get("version")


def wait_for_version(
    url: str,
    sha: str,
    *,
    timeout: float,
    interval: float,
    fetch: Callable[[str], object] = fetch_version,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Poll `url` until its version matches `sha`; raise ScriptError after `timeout` seconds."""
    last = ["nothing (no reply yet)"]

    def matches() -> bool | None:
        try:
            version = fetch(url)
        except urllib.error.HTTPError as exc:
            exc.close()
            last[0] = f"no version (HTTP {exc.code} {exc.reason})"
            return None
        except (OSError, ValueError) as exc:
            last[0] = f"no version ({getattr(exc, 'reason', exc)})"
            return None
        last[0] = f"version {version!r}"
        return True if is_version_match(version, sha) else None

    def waiting(waited: float) -> None:
        progress(f"waiting for {sha[:12]} at {url}: {last[0]} ({waited:.0f} s of {timeout:.0f} s)")

    try:
        wait_until(
            matches, timeout=timeout, interval=interval, what=f"{url} to report {sha[:12]}",
            on_wait=waiting, sleep=sleep, clock=clock,
        )  # fmt: skip
    except DeadlineError:
        raise ScriptError(
            f"timed out after {timeout:g} s waiting for {url} to report {sha[:12]};"
            f" the last reply had {last[0]}: check the deploy in the Render dashboard"
        ) from None
