"""URLs that leave the process: credentials removed, and whether a host is Hugging Face's."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)[^/\s@]+@")
HF_HOSTS = ("huggingface.co", "hf.space")


def redact(text: str) -> str:
    """`text` with the user:password part of every URL in it replaced by `***`."""
    return _USERINFO.sub(r"\1***@", text)


def is_hf_url(url: str) -> bool:
    """Whether `url` is https on huggingface.co or a *.hf.space host (where a token may go)."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    on_hf = any(host == name or host.endswith("." + name) for name in HF_HOSTS)
    return parts.scheme == "https" and on_hf and parts.username is None
