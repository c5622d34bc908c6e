"""``PerMinuteSummary``: one line per key per minute, with the count; bounded keys."""

from __future__ import annotations

import logging

import pytest

from queue_server.log_summary import OTHER, PerMinuteSummary
from tests.fakes import MonotonicClock


@pytest.fixture
def clock() -> MonotonicClock:
    return MonotonicClock()


def _lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "test.summary"]


def test_first_occurrence_at_once_then_one_line_a_minute_with_the_count(
    caplog: pytest.LogCaptureFixture, clock: MonotonicClock
) -> None:
    caplog.set_level(logging.INFO)
    summary = PerMinuteSummary(logging.getLogger("test.summary"), "denied publishes from %s", clock=clock)
    summary.add("kiosk-01", "topic='a'")
    for _ in range(19_999):
        clock.now += 0.002
        summary.add("kiosk-01", "topic='b'")
    assert _lines(caplog) == ["denied publishes from kiosk-01 count=1 seconds=0 topic='a'"]
    clock.now += 30
    summary.add("kiosk-01")
    lines = _lines(caplog)
    assert len(lines) == 2 and lines[1].startswith("denied publishes from kiosk-01 count=20000 seconds=")
    assert lines[1].endswith("topic='b'")


def test_flush_tells_a_burst_that_stopped_and_forgets_quiet_keys(
    caplog: pytest.LogCaptureFixture, clock: MonotonicClock
) -> None:
    caplog.set_level(logging.INFO)
    summary = PerMinuteSummary(logging.getLogger("test.summary"), "refused %s", clock=clock)
    summary.add("a")
    summary.add("a")
    summary.add("a")
    clock.now += 10
    summary.flush()  # within the minute of the first line: nothing yet
    assert _lines(caplog) == ["refused a count=1 seconds=0"]
    clock.now += 55
    summary.flush()
    assert _lines(caplog) == ["refused a count=1 seconds=0", "refused a count=2 seconds=65"]
    clock.now += 61
    summary.flush()  # nothing pending: no line, and the key is forgotten
    summary.add("a")  # so it is told at once again
    assert len(_lines(caplog)) == 3 and _lines(caplog)[2] == "refused a count=1 seconds=0"


def test_keys_are_bounded(caplog: pytest.LogCaptureFixture, clock: MonotonicClock) -> None:
    caplog.set_level(logging.INFO)
    summary = PerMinuteSummary(logging.getLogger("test.summary"), "refused %s", clock=clock, max_keys=3)
    for i in range(1000):
        summary.add(f"user-{i}")
    lines = _lines(caplog)
    assert len(lines) == 4 and lines[-1] == f"refused {OTHER} count=1 seconds=0"  # 3 keys, then "other"
    clock.now += 60
    summary.flush()
    assert _lines(caplog)[-1] == f"refused {OTHER} count=996 seconds=60"
