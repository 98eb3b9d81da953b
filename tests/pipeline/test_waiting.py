"""scripts.waiting: poll until a probe answers or the deadline passes, with a fake clock."""

from __future__ import annotations

import pytest

from scripts.proc import ScriptError
from scripts.waiting import DeadlineError, wait_until


class Clock:
    """A monotonic clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_wait_until_returns_the_first_answer() -> None:
    clock = Clock()
    answers = iter([None, None, "up"])

    found = wait_until(
        lambda: next(answers), timeout=10, interval=2, what="x", sleep=clock.sleep, clock=clock
    )

    assert found == "up"
    assert clock.sleeps == [2, 2]


def test_wait_until_falsy_answers_other_than_none_count() -> None:
    assert wait_until(lambda: 0, timeout=1, interval=1, what="x") == 0


def test_wait_until_deadline_names_what_and_what_was_last_seen() -> None:
    clock = Clock()

    with pytest.raises(DeadlineError) as caught:
        wait_until(
            lambda: None,
            timeout=5,
            interval=2,
            what="the health check",
            last_seen=lambda: "HTTP 503",
            sleep=clock.sleep,
            clock=clock,
        )

    assert str(caught.value) == "waited 5 s for the health check (HTTP 503)"
    assert clock.sleeps == [2, 2, 1]  # the last sleep is cut to the deadline
    assert isinstance(caught.value, ScriptError)


def test_wait_until_reports_progress_before_each_sleep() -> None:
    clock = Clock()
    waited: list[float] = []

    with pytest.raises(DeadlineError):
        wait_until(
            lambda: None,
            timeout=3,
            interval=1,
            what="x",
            on_wait=waited.append,
            sleep=clock.sleep,
            clock=clock,
        )

    assert waited == [0, 1, 2]


def test_wait_until_probe_may_give_up_early() -> None:
    def probe() -> None:
        raise ScriptError("the server exited with code 3")

    with pytest.raises(ScriptError, match="exited with code 3"):
        wait_until(probe, timeout=60, interval=1, what="x")
