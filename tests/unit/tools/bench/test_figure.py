"""tools/bench/figure.py: goals and their verdicts, and a figure's JSON."""

from __future__ import annotations

from tools.bench.figure import Figure, Goal, at_least, at_most, below, ratio, unmeasured


def test_at_most_within_limit_is_met_without_gap():
    goal = at_most("cold start ≤ 1.2x", 1.2, 1.2, "1.20x", "too slow")

    assert (goal.met, goal.gap, goal.verdict) == (True, "", "met")


def test_at_most_over_limit_keeps_the_gap():
    goal = at_most("cold start ≤ 1.2x", 1.3, 1.2, "1.30x", "0.1 s more")

    assert (goal.met, goal.gap, goal.verdict) == (False, "0.1 s more", "not met")


def test_below_at_the_limit_is_not_met():
    assert below("/live p95 < 50 ms", 50.0, 50.0, "50 ms", "slow").met is False
    assert below("/live p95 < 50 ms", 49.9, 50.0, "50 ms").met is True


def test_at_least_short_of_limit_is_not_met():
    assert at_least("≥ 1.4 per core", 1.0, 1.4, "1.0", "CPU-bound").met is False
    assert at_least("≥ 1.4 per core", 1.5, 1.4, "1.5").met is True


def test_unmeasured_goals_say_why_and_have_no_verdict():
    goals = unmeasured(("a", "b"), "no python3.11")

    assert [(g.goal, g.met, g.gap, g.verdict) for g in goals] == [
        ("a", None, "no python3.11", "not measured"),
        ("b", None, "no python3.11", "not measured"),
    ]


def test_ratio_zero_denominator_is_zero():
    assert (ratio(3.0, 2.0), ratio(3.0, 0.0)) == (1.5, 0.0)


def test_figure_json_round_trip_keeps_every_field():
    figure = Figure(
        "frames",
        "Per frame",
        "python -m tools.bench --only frames",
        headline="115 µs",
        rows=[["a", "b"], ["1", "2"]],
        goals=[Goal("g", "m", False, "why")],
        notes=["n"],
        numbers={"x": 1},
        error=None,
        measured_at="2026-11-29T19:00:00+00:00",
        load_at_start=(0.5, 0.4, 0.3),
        seconds=12.5,
        quick=True,
    )

    data = figure.to_json()

    assert Figure.from_json(data) == figure
    assert data["goals"][0]["verdict"] == "not met"
