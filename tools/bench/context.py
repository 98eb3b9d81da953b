"""What the figures of one bench run share: its mode, a work directory, the stand-in Spaces,
and the close codes of every load run (the keepalive figure counts them)."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path

from tools.standin import SpaceProcess, space_process


@dataclass
class LoadRun:
    """The sessions of one load run, by close code (loadgen's labels: "1000", "1011 keepalive")."""

    name: str
    closes: dict[str, int]
    seconds: float


@dataclass
class Context:
    quick: bool
    workdir: Path
    stack: ExitStack
    runs: list[LoadRun] = field(default_factory=list)
    facts: dict[str, float] = field(default_factory=dict)  # one figure's result for another
    _spaces: dict[str, SpaceProcess] = field(default_factory=dict)

    def pick(self, full: float, quick: float) -> float:
        """`quick` in a --quick run, else `full`."""
        return quick if self.quick else full

    def space(self, mode: str = "instant") -> SpaceProcess:
        """The stand-in Space in `mode` (instant: a fixed answer at once; normal: recognises),
        started on first use and stopped when the run ends."""
        if mode not in self._spaces:
            self._spaces[mode] = self.stack.enter_context(space_process(mode=mode))
        return self._spaces[mode]

    def record(self, name: str, closes: dict[str, int], seconds: float) -> None:
        """Keep a load run's close codes for the keepalive figure."""
        self.runs.append(LoadRun(name, dict(closes), seconds))
