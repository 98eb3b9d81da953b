"""A greeting: the library's one small, tested piece of behaviour. Replace it with yours."""

from __future__ import annotations

from service_template.errors import ServiceTemplateError

MAX_NAME = 64


def greet(name: str) -> str:
    """Return a greeting for `name`.

    Raises:
        ServiceTemplateError: the name is empty or longer than MAX_NAME characters.
    """
    cleaned = " ".join(name.split())
    if not cleaned:
        raise ServiceTemplateError("name is empty: pass a name such as 'world'")
    if len(cleaned) > MAX_NAME:
        raise ServiceTemplateError(f"name has {len(cleaned)} characters: use at most {MAX_NAME}")
    return f"Hello, {cleaned}!"
