"""What one measurement gives: its table, its goals (met, or the gap and why), notes, numbers."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Goal:
    """One goal of the issues and how this run did against it.

    `met` is None when the figure could not be measured; `gap` then says why, and otherwise
    says by how much a goal was missed and what the run shows about the cause.
    """

    goal: str
    measured: str
    met: bool | None
    gap: str = ""

    @property
    def verdict(self) -> str:
        return {True: "met", False: "not met", None: "not measured"}[self.met]


@dataclass
class Figure:
    """One figure of the report, measured in this run (or failed with `error`)."""

    key: str
    title: str
    command: str
    headline: str = ""  # the figure in one line, for the report's summary
    rows: list[list[str]] = field(default_factory=list)  # a table, the header row first
    goals: list[Goal] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)  # how it was measured, what it leaves out
    numbers: dict[str, Any] = field(default_factory=dict)  # the raw values, for the JSON
    error: str | None = None
    measured_at: str = ""
    load_at_start: tuple[float, float, float] = (0.0, 0.0, 0.0)
    seconds: float = 0.0
    quick: bool = False  # measured by a --quick run: short smoke runs, not the figure

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "command": self.command,
            "headline": self.headline,
            "measured_at": self.measured_at,
            "load_at_start": list(self.load_at_start),
            "seconds": self.seconds,
            "quick": self.quick,
            "error": self.error,
            "goals": [vars(goal) | {"verdict": goal.verdict} for goal in self.goals],
            "rows": self.rows,
            "notes": self.notes,
            "numbers": self.numbers,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Figure:
        goals = [Goal(g["goal"], g["measured"], g["met"], g.get("gap", "")) for g in data["goals"]]
        load = tuple(data.get("load_at_start") or (0.0, 0.0, 0.0))
        return cls(
            key=data["key"],
            title=data["title"],
            command=data["command"],
            headline=data.get("headline", ""),
            rows=data.get("rows", []),
            goals=goals,
            notes=data.get("notes", []),
            numbers=data.get("numbers", {}),
            error=data.get("error"),
            measured_at=data.get("measured_at", ""),
            load_at_start=(float(load[0]), float(load[1]), float(load[2])),
            seconds=float(data.get("seconds", 0.0)),
            quick=bool(data.get("quick", False)),
        )


def at_most(goal: str, value: float, limit: float, shown: str, why: str = "") -> Goal:
    """A goal that `value` stays at or below `limit`; `shown` is the value as the report says it."""
    met = value <= limit
    return Goal(goal, shown, met, "" if met else why)


def below(goal: str, value: float, limit: float, shown: str, why: str = "") -> Goal:
    """A goal that `value` stays under `limit`."""
    met = value < limit
    return Goal(goal, shown, met, "" if met else why)


def at_least(goal: str, value: float, limit: float, shown: str, why: str = "") -> Goal:
    """A goal that `value` reaches `limit`."""
    met = value >= limit
    return Goal(goal, shown, met, "" if met else why)


def unmeasured(goals: Sequence[str], why: str) -> list[Goal]:
    """The goals of a figure that could not be measured, each saying why."""
    return [Goal(goal, "—", None, why) for goal in goals]


def ratio(numerator: float, denominator: float) -> float:
    """numerator / denominator, or 0 when the denominator is 0 (nothing was measured)."""
    return numerator / denominator if denominator else 0.0
