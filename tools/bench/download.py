"""Figure: what Render downloads against what a full development install would, in bytes.

Nothing is downloaded: uv.lock records the `size` of every wheel. The lean set is the pins of
requirements-render.txt; the full set is what `uv sync --extra local-asr --extra lite-asr`
installs (`uv export` of the same selection: the default dependency groups included), with
each requirement's marker evaluated for CPython 3.11 on x86_64 Linux. For each package the
wheel pip or uv would pick there is the one with the most specific compatible tag.
"""

from __future__ import annotations

import platform
import tomllib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.tags import Tag, compatible_tags, cpython_tags
from packaging.utils import NormalizedName, canonicalize_name, parse_wheel_filename

from scripts.proc import ScriptError, run
from scripts.pythons import find_uv
from scripts.requirements import parse_pins, requirement_lines
from tools.bench.context import Context
from tools.bench.figure import Figure

ROOT = Path(__file__).resolve().parents[2]
EXTRAS = ("local-asr", "lite-asr")
TITLE = "Lean against full download size"
COMMAND = "python -m tools.bench --only download"
GOALS: tuple[str, ...] = ()  # issue 8 sets none: the figure is the comparison
PYTHON = (3, 11)
FULL_VERSION = "3.11.14"  # render.yaml's PYTHON_VERSION; only markers on the patch level see it
DEFAULT_GLIBC_MINOR = 28  # uv's x86_64-unknown-linux-gnu, when this machine's glibc is unknown
Key = tuple[NormalizedName, str]


@dataclass(frozen=True)
class Download:
    """One package of a set: the file that would be fetched and its size."""

    name: NormalizedName
    version: str
    file: str
    size: int


def target_environment() -> dict[str, str]:
    """PEP 508 marker values of CPython 3.11 on x86_64 Linux."""
    return {
        "implementation_name": "cpython",
        "implementation_version": FULL_VERSION,
        "os_name": "posix",
        "platform_machine": "x86_64",
        "platform_python_implementation": "CPython",
        "platform_release": "",
        "platform_system": "Linux",
        "platform_version": "",
        "python_full_version": FULL_VERSION,
        "python_version": f"{PYTHON[0]}.{PYTHON[1]}",
        "sys_platform": "linux",
    }


def tag_ranking(glibc_minor: int) -> dict[Tag, int]:
    """Every wheel tag CPython 3.11 on x86_64 Linux with glibc 2.`glibc_minor` accepts, ranked
    as pip ranks them (0 is the most specific)."""
    platforms = []
    legacy = {17: "manylinux2014", 12: "manylinux2010", 5: "manylinux1"}
    for minor in range(glibc_minor, 4, -1):
        platforms.append(f"manylinux_2_{minor}_x86_64")
        if minor in legacy:
            platforms.append(f"{legacy[minor]}_x86_64")
    platforms.append("linux_x86_64")
    ordered = [
        *cpython_tags(PYTHON, platforms=platforms),
        *compatible_tags(PYTHON, "cp311", platforms),
    ]
    ranking: dict[Tag, int] = {}
    for rank, tag in enumerate(ordered):
        ranking.setdefault(tag, rank)
    return ranking


def glibc_minor() -> int:
    """This machine's glibc minor version (what `uv sync` here would accept)."""
    library, version = platform.libc_ver()
    if library == "glibc" and version.startswith("2."):
        return int(version.split(".")[1])
    return DEFAULT_GLIBC_MINOR


def lock_entries(lock_text: str) -> dict[Key, Mapping[str, Any]]:
    """uv.lock's packages by (name, version)."""
    packages = tomllib.loads(lock_text).get("package", [])
    return {(canonicalize_name(p["name"]), str(p.get("version", ""))): p for p in packages}


def choose_file(entry: Mapping[str, Any], ranking: Mapping[Tag, int]) -> tuple[str, int] | None:
    """(file name, size) of the wheel the target would install, else the sdist; None if
    uv.lock records neither with a size."""
    best: tuple[int, str, int] | None = None
    for wheel in entry.get("wheels", []):
        name = wheel["url"].rsplit("/", 1)[-1]
        ranks = [ranking[tag] for tag in parse_wheel_filename(name)[3] if tag in ranking]
        if ranks and "size" in wheel and (best is None or min(ranks) < best[0]):
            best = (min(ranks), name, int(wheel["size"]))
    if best is not None:
        return best[1], best[2]
    sdist = entry.get("sdist")
    if sdist and "size" in sdist:
        return sdist["url"].rsplit("/", 1)[-1], int(sdist["size"])
    return None


def downloads(
    pins: Iterable[Key], entries: Mapping[Key, Mapping[str, Any]], ranking: Mapping[Tag, int]
) -> tuple[list[Download], list[str]]:
    """The file of each pinned package, and the pins uv.lock has no sized file for."""
    found, missing = [], []
    for name, version in pins:
        entry = entries.get((name, version))
        chosen = choose_file(entry, ranking) if entry else None
        if chosen is None:
            missing.append(f"{name}=={version}")
        else:
            found.append(Download(name, version, *chosen))
    return found, missing


def lean_pins(render_txt: str) -> list[Key]:
    """The pins of requirements-render.txt."""
    return [(pin.name, pin.version or "") for pin in parse_pins(render_txt)]


def full_pins(exported: str, environment: Mapping[str, str]) -> list[Key]:
    """The pins of `uv export` output whose markers hold in `environment`."""
    found = []
    for line in requirement_lines(exported):
        if line.startswith("-"):
            continue
        requirement = Requirement(line)
        marker: Marker | None = requirement.marker
        if marker is not None and not marker.evaluate(dict(environment)):
            continue
        version = next(iter(requirement.specifier)).version
        found.append((canonicalize_name(requirement.name), version))
    return found


def export_full(root: Path = ROOT) -> str:
    uv = find_uv()
    if uv is None:
        raise ScriptError("uv not found: run `make install` or put uv on PATH")
    extras = [word for extra in EXTRAS for word in ("--extra", extra)]
    command = [uv, "export", "--frozen", "--no-hashes", "--no-emit-project", *extras]
    return run(command, cwd=root, timeout=120).stdout


def mb(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"


def rows_for(lean: Sequence[Download], full: Sequence[Download]) -> list[list[str]]:
    lean_total, full_total = sum(d.size for d in lean), sum(d.size for d in full)
    largest = sorted(full, key=lambda d: d.size, reverse=True)[:5]
    return [
        ["set", "packages", "download", "largest files"],
        [
            "lean: requirements-render.txt (Render)",
            str(len(lean)),
            mb(lean_total),
            ", ".join(f"{d.name} {mb(d.size)}" for d in sorted(lean, key=lambda d: -d.size)[:3]),
        ],
        [
            f"full: uv sync --extra {' --extra '.join(EXTRAS)}",
            str(len(full)),
            mb(full_total),
            ", ".join(f"{d.name} {mb(d.size)}" for d in largest),
        ],
    ]


def measure(ctx: Context) -> Figure:
    figure = Figure("download", TITLE, COMMAND)
    entries = lock_entries((ROOT / "uv.lock").read_text())
    minor = glibc_minor()
    ranking = tag_ranking(minor)
    lean, lean_missing = downloads(
        lean_pins((ROOT / "requirements-render.txt").read_text()), entries, ranking
    )
    full, full_missing = downloads(full_pins(export_full(), target_environment()), entries, ranking)
    lean_total, full_total = sum(d.size for d in lean), sum(d.size for d in full)
    figure.rows = rows_for(lean, full)
    figure.headline = (
        f"Render downloads {mb(lean_total)} ({len(lean)} packages); a full development install "
        f"with both speech extras {mb(full_total)} ({len(full)} packages)"
    )
    figure.numbers = {
        "lean_bytes": lean_total,
        "full_bytes": full_total,
        "lean_packages": len(lean),
        "full_packages": len(full),
        "full_over_lean": round(full_total / lean_total, 1) if lean_total else 0.0,
        "glibc": f"2.{minor}",
        "missing": lean_missing + full_missing,
    }
    figure.notes = [
        f"The full set is {full_total / lean_total:,.0f}x the lean one." if lean_total else "",
        "Computed from the `size` uv.lock records for each file, for CPython 3.11 on x86_64 "
        f"Linux with glibc 2.{minor}: for each package the wheel with the most specific "
        "compatible tag (an sdist where there is no wheel). The full set is `uv export --frozen "
        "--no-emit-project` of the same extras and default groups, its markers evaluated for "
        "that target. Nothing was downloaded.",
        "The lean build also fetches its build backend (hatchling) for `pip install --no-deps .`;"
        " that is not counted here.",
    ]
    if "lean_download_bytes" in ctx.facts:
        fetched = int(ctx.facts["lean_download_bytes"])
        figure.notes.append(
            f"The cold-start figure's lean build, with an empty pip cache, fetched {mb(fetched)} "
            "(pip's `Downloading` lines, hatchling included)."
        )
    if lean_missing or full_missing:
        figure.notes.append(
            "Not counted (no sized file in uv.lock): " + ", ".join(lean_missing + full_missing)
        )
    figure.notes = [note for note in figure.notes if note]
    return figure
