"""tools/bench/keepalive.py and layers.py: counting keepalive closes; timing test layers."""

from __future__ import annotations

from tools.bench.context import LoadRun
from tools.bench.keepalive import goal_for as keepalive_goal
from tools.bench.keepalive import keepalive_closes
from tools.bench.layers import Layer, summary_of
from tools.bench.layers import goal_for as layer_goal


def test_keepalive_closes_counts_only_labelled_closes():
    assert keepalive_closes({"1000": 40, "1011 keepalive": 3, "1011": 2, "1006 keepalive": 1}) == 4


def test_keepalive_goal_long_runs_without_keepalive_closes_is_met():
    goal = keepalive_goal([LoadRun("a", {"1000": 50}, 70.0), LoadRun("b", {"1013": 5}, 10.0)])

    assert (goal.met, goal.measured) == (True, "0 of 55 sessions in 2 runs")


def test_keepalive_goal_with_keepalive_closes_is_not_met():
    goal = keepalive_goal([LoadRun("a", {"1000": 20, "1011 keepalive": 30}, 70.0)])

    assert (goal.met, goal.measured) == (False, "30 of 50 sessions in 1 runs")


def test_keepalive_goal_only_short_runs_is_not_measured():
    goal = keepalive_goal([LoadRun("a", {"1000": 5}, 12.0)])

    assert goal.met is None
    assert "no run lasted 40 s" in goal.gap


def test_summary_of_takes_pytest_last_summary_line():
    output = (
        "== test session starts ==\n...\n===== 462 passed, 30 skipped in 245.12s (0:04:05) =====\n"
    )

    assert summary_of(output) == "462 passed, 30 skipped in 245.12s (0:04:05)"
    assert summary_of("make: *** [test] Error 2\n") == ""


def test_layer_goal_over_time_is_not_met_with_the_excess():
    goal = layer_goal(Layer("test", [41.0], 0, "500 passed in 40.1s"))

    assert (goal.met, goal.gap) == (False, "11 s over")


def test_layer_goal_judges_the_median_run_and_shows_the_spread():
    goal = layer_goal(Layer("test", [29.0, 45.0, 27.0], 0, "500 passed in 26.1s"))

    assert goal.met
    assert goal.measured.startswith("29 s (median of 3 runs, 27 to 45 s), passed")


def test_layer_goal_failing_target_is_not_met_whatever_its_time():
    goal = layer_goal(Layer("test-backend", [100.0], 2, ""))

    assert (goal.met, goal.gap) == (False, "the target failed: see its log")
    assert "FAILED (exit 2)" in goal.measured
