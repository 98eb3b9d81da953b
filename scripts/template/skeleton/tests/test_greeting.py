"""service_template.greeting: the library's tested module."""

from __future__ import annotations

import pytest

from service_template import ServiceTemplateError, greet
from service_template.greeting import MAX_NAME


def test_greet_squeezes_whitespace() -> None:
    assert greet("  Ada   Lovelace ") == "Hello, Ada Lovelace!"


@pytest.mark.parametrize("name", ["", "   ", "\t\n"])
def test_greet_empty_name_raises_with_example(name: str) -> None:
    with pytest.raises(ServiceTemplateError, match="name is empty: pass a name"):
        greet(name)


def test_greet_too_long_name_names_the_limit() -> None:
    with pytest.raises(ServiceTemplateError, match=f"use at most {MAX_NAME}"):
        greet("x" * (MAX_NAME + 1))
