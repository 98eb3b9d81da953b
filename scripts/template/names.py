"""A project's names in every form its files use: distribution, import package, title, constant."""

from __future__ import annotations

import keyword
import re
import sys
from dataclasses import dataclass

from packaging.utils import canonicalize_name

from scripts.proc import UsageError

# Top-level folders every project has: a package by one of these names would shadow them.
RESERVED = frozenset({"backend", "scripts", "tests", "docs", "src", "tools", "app"})


@dataclass(frozen=True)
class Names:
    dist: str
    """`acme-notes`: pyproject's name, render.yaml's service, URLs."""
    package: str
    """`acme_notes`: the import package and its folder."""
    title: str
    """`Acme Notes`: prose and page titles."""
    constant: str
    """`ACME_NOTES`: environment variables."""
    camel: str
    """`AcmeNotes`: the start of class names (`AcmeNotesError`)."""

    @classmethod
    def of(cls, dist: str) -> Names:
        package = dist.replace("-", "_")
        parts = [part.capitalize() for part in re.split(r"[-_.]", dist) if part]
        return cls(
            dist=dist,
            package=package,
            title=" ".join(parts),
            constant=package.upper(),
            camel="".join(parts),
        )


def suggest(name: str) -> str:
    """The normalized name closest to `name`: lower case, runs of other characters as `-`."""
    return re.sub(r"[^a-z0-9]+", "-", name.strip().lower()).strip("-")


def project_names(name: str) -> Names:
    """Names for a new project called `name`, which must already be in normalized form.

    Raises UsageError showing the normalized form to use instead.
    """
    wanted = suggest(name)
    if not wanted or not wanted[0].isalpha():
        raise UsageError(
            f"NAME={name!r} is not a usable project name: start with a letter, e.g. NAME=acme-notes"
        )
    if name != wanted or canonicalize_name(name) != name:
        raise UsageError(
            f"NAME={name!r} is not a normalized project name: use NAME={wanted} "
            f"(package {wanted.replace('-', '_')})"
        )
    names = Names.of(name)
    if (
        keyword.iskeyword(names.package)
        or names.package in sys.stdlib_module_names
        or names.package in RESERVED
    ):
        raise UsageError(
            f"NAME={name!r} would make a package {names.package!r} that shadows "
            f"{'a Python keyword' if keyword.iskeyword(names.package) else 'another module'}: "
            f"choose another name, e.g. NAME={name}-service"
        )
    return names
