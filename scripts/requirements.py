"""The two Render requirement files: the hand-curated `.in` and the compiled, hashed `.txt`."""

from __future__ import annotations

import re
from dataclasses import dataclass

from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import NormalizedName, canonicalize_name

from scripts.proc import ScriptError

RENDER_IN = "requirements-render.in"
RENDER_TXT = "requirements-render.txt"
_COMMENT = re.compile(r"(^|\s)#.*$")


def requirement_lines(text: str) -> list[str]:
    """The meaningful lines of a requirements file: comments and blank lines dropped,
    whitespace squeezed, continuation lines joined."""
    joined = re.sub(r"\\\n", " ", text)
    lines = (_COMMENT.sub("", line).strip() for line in joined.splitlines())
    return [re.sub(r"\s+", " ", line) for line in lines if line]


def requirements_in(text: str, origin: str = RENDER_IN) -> list[Requirement]:
    """The requirements a `.in` file names; option lines (-r, -c, --index-url) are skipped.

    Raises ScriptError naming the line when one is not a PEP 508 requirement.
    """
    found = []
    for line in requirement_lines(text):
        if line.startswith("-"):
            continue
        try:
            found.append(Requirement(line))
        except InvalidRequirement as exc:
            raise ScriptError(f"{origin}: {line!r} is not a requirement: {exc}") from None
    return found


@dataclass(frozen=True)
class Pin:
    """One requirement of a compiled file: `name==version`, its hashes and `# via` notes."""

    name: NormalizedName
    spec: str
    line: int
    version: str | None = None
    hashes: int = 0
    via: tuple[str, ...] = ()


def _pin_of(spec: str, number: int) -> Pin:
    try:
        requirement = Requirement(spec)
    except InvalidRequirement:
        name = re.match(r"[A-Za-z0-9][A-Za-z0-9._-]*", spec)
        return Pin(canonicalize_name(name.group(0)) if name else NormalizedName(spec), spec, number)
    pinned = [s for s in requirement.specifier if s.operator == "=="]
    exact = len(requirement.specifier) == 1 and pinned and "*" not in pinned[0].version
    return Pin(
        canonicalize_name(requirement.name), spec, number, pinned[0].version if exact else None
    )


def parse_pins(text: str) -> list[Pin]:
    """Parse pip-compile output (continuation lines, hashes, split-style annotations)."""
    pins: list[Pin] = []
    hashes: list[int] = []
    vias: list[list[str]] = []
    in_via = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip().removesuffix("\\").strip()
        if not raw.strip():
            in_via = False
        elif raw[0] not in " \t#" and not raw.startswith("-"):
            pins.append(_pin_of(line.split(";")[0].strip(), number))
            hashes.append(0)
            vias.append([])
            in_via = False
        elif pins and line.startswith("--hash="):
            hashes[-1] += 1
        elif pins and raw.startswith((" ", "\t")) and line.startswith("# via"):
            rest = line.removeprefix("# via").strip()
            vias[-1] += [rest] if rest else []
            in_via = not rest
        elif pins and in_via and line.startswith("#   "):
            vias[-1].append(line.removeprefix("#").strip())
    return [
        Pin(p.name, p.spec, p.line, p.version, h, tuple(v))
        for p, h, v in zip(pins, hashes, vias, strict=True)
    ]
