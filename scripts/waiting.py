"""One way to wait for something: poll a probe until it answers or a deadline passes."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from scripts.proc import ScriptError

T = TypeVar("T")


class DeadlineError(ScriptError):
    """The awaited thing did not happen in time; the message says what was last seen."""


def wait_until(
    probe: Callable[[], T | None],
    *,
    timeout: float,
    interval: float,
    what: str,
    last_seen: Callable[[], str] | None = None,
    on_wait: Callable[[float], None] | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> T:
    """Call `probe` every `interval` s until it returns a value other than None; return it.

    `probe` may raise ScriptError to give up early (a server that exited). After `timeout` s,
    raise DeadlineError naming `what` was awaited and, if given, `last_seen()`. `on_wait` gets
    the seconds waited so far before each sleep (for progress lines).
    """
    started = clock()
    while True:
        found = probe()
        if found is not None:
            return found
        waited = clock() - started
        if waited >= timeout:
            seen = f" ({last_seen()})" if last_seen else ""
            raise DeadlineError(f"waited {timeout:g} s for {what}{seen}")
        if on_wait is not None:
            on_wait(waited)
        sleep(max(0.0, min(interval, timeout - waited)))
