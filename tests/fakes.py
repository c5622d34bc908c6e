"""The fakes the tests share: clocks a test moves by hand, and one way to wait for something real to happen.

Clocks are injected (the code under test takes ``clock=``), so time-dependent rules are checked without sleeping.
``wait_until`` is for real processes, threads and brokers: it polls a condition until a deadline and fails with
what it waited for; it never stands in for "nothing happened" (wait for a later marker event instead).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

MONDAY_8AM = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)
"""Monday 23 November 2026, 08:00 in Vietnam (UTC+7): the tests' working day."""


class MonotonicClock:
    """Seconds as ``time.monotonic`` gives them, from 1000.0; set ``now`` or ``advance`` to move on."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class OfficeClock:
    """The server's wall clock (aware UTC), 2026-11-23 08:00 local unless moved."""

    def __init__(self, now: datetime = MONDAY_8AM) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def at(self, hour: int, minute: int, second: int = 0) -> None:
        """Move to this UTC time of 2026-11-23."""
        self.now = datetime(2026, 11, 23, hour, minute, second, tzinfo=UTC)

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


class SteppingClock(OfficeClock):
    """A wall clock one second later at every read: each event of a run gets its own, increasing time."""

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        return self.now


def wait_until(check: Callable[[], object], what: str = "the condition", timeout: float = 15.0) -> None:
    """Return as soon as ``check()`` is true; ``AssertionError`` naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.05)
