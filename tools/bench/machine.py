"""The machine a bench ran on: cores, CPU model, memory, load, date and commit."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
BUSY_LOAD = 1.5  # a 1-minute load average above this at start: the figures may be low


@dataclass(frozen=True)
class Machine:
    cores: int
    usable_cores: int
    cpu_model: str
    memory_gib: float
    load_at_start: tuple[float, float, float]
    date: str
    commit: str
    python: str
    kernel: str

    def to_json(self) -> dict[str, Any]:
        return asdict(self) | {"load_at_start": list(self.load_at_start)}


def now() -> str:
    """The current time in UTC, to the second, ISO 8601."""
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0).isoformat()


def load() -> tuple[float, float, float]:
    one, five, fifteen = os.getloadavg()
    return round(one, 2), round(five, 2), round(fifteen, 2)


def cpu_model(cpuinfo: str) -> str:
    """The first `model name` of /proc/cpuinfo's text, or 'unknown'."""
    for line in cpuinfo.splitlines():
        key, _, value = line.partition(":")
        if key.strip() == "model name":
            return value.strip()
    return "unknown"


def memory_gib(meminfo: str) -> float:
    """MemTotal of /proc/meminfo's text, in GiB (0 if absent)."""
    for line in meminfo.splitlines():
        if line.startswith("MemTotal:"):
            return round(int(line.split()[1]) / 2**20, 1)
    return 0.0


def busy_note(load_at_start: tuple[float, float, float]) -> str | None:
    """A warning for the report when the machine was busy as the run began."""
    if load_at_start[0] <= BUSY_LOAD:
        return None
    return (
        f"the 1-minute load average was {load_at_start[0]:g} at start (above {BUSY_LOAD:g}): "
        "other work shared the cores, so throughput figures may be low and latencies high"
    )


def commit(root: Path = ROOT) -> str:
    """HEAD's commit, with ` + uncommitted changes` when tracked files differ from it (new
    files, such as a report this run is about to replace, do not count)."""

    def git(*args: str) -> str:
        done = subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, check=False)
        return done.stdout.strip()

    head = git("rev-parse", "--short=12", "HEAD") or "unknown"
    return head + (
        " + uncommitted changes" if git("status", "--porcelain", "--untracked-files=no") else ""
    )


def _read(path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError:
        return ""


def describe() -> Machine:
    """This machine, now."""
    return Machine(
        cores=os.cpu_count() or 1,
        usable_cores=len(os.sched_getaffinity(0)),
        cpu_model=cpu_model(_read("/proc/cpuinfo")),
        memory_gib=memory_gib(_read("/proc/meminfo")),
        load_at_start=load(),
        date=now(),
        commit=commit(),
        python=platform.python_version(),
        kernel=platform.release(),
    )
