"""tools/bench/streams.py: the climb's choice of the next level and the level held."""

from __future__ import annotations

import pytest

from tools.bench.streams import held_level, next_level


def plus_two(n: int) -> int:
    return n + 2


def test_next_level_no_results_starts_at_start():
    assert next_level({}, 2, plus_two, 12) == 2


def test_next_level_while_levels_hold_grows():
    assert next_level({2: True, 4: True}, 2, plus_two, 12) == 6


def test_next_level_past_the_ceiling_is_done():
    assert next_level({10: True, 12: True}, 2, plus_two, 12) is None


def test_next_level_after_a_failure_bisects_towards_the_last_that_held():
    assert next_level({2: True, 4: True, 6: True, 8: False}, 2, plus_two, 12) == 7


def test_next_level_failure_next_to_a_hold_is_done():
    assert next_level({6: True, 8: False, 7: False}, 2, plus_two, 12) is None


def test_next_level_first_level_failing_bisects_down():
    assert next_level({2: False}, 2, plus_two, 12) == 1
    assert next_level({2: False, 1: False}, 2, plus_two, 12) is None


def test_next_level_coarse_resolution_stops_early():
    doubling = {25: True, 50: True, 100: True, 200: False}

    assert next_level(doubling, 25, lambda n: 2 * n, 800, resolution=25) == 150
    assert next_level(doubling | {150: True, 175: False}, 25, lambda n: 2 * n, 800, 25) is None


@pytest.mark.parametrize(
    ("results", "held"),
    [
        ({}, 0),
        ({2: False}, 0),
        ({2: True, 4: True}, 4),
        ({2: True, 4: True, 6: False, 5: True}, 5),
        ({2: True, 4: False, 6: True}, 2),  # a level above a failure does not count
    ],
)
def test_held_level_is_the_highest_hold_below_the_lowest_failure(results, held):
    assert held_level(results) == held
