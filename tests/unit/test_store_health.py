"""The store's health: what an exception means, one log line a minute, the free-space floor, what clears what."""

from __future__ import annotations

import errno
import logging
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from queue_server.store.health import PerMinute, Problem, StoreHealth, describe
from tests.fakes import MonotonicClock

MB = 1024 * 1024


def test_what_a_store_exception_means() -> None:
    full = OperationalError("INSERT", {}, sqlite3.OperationalError("database or disk is full"))
    assert describe(full) == (Problem.DISK_FULL, "disk full (database or disk is full)")
    assert describe(OSError(errno.ENOSPC, "No space left on device"))[0] is Problem.DISK_FULL
    down = OperationalError("SELECT", {}, ConnectionRefusedError("connection refused\nDETAIL: more"))
    assert describe(down) == (Problem.UNAVAILABLE, "connection refused")


def test_a_lasting_problem_is_logged_once_a_minute_with_its_count(caplog: pytest.LogCaptureFixture) -> None:
    clock = MonotonicClock()
    log = PerMinute(logging.getLogger("t"), 60, clock)
    with caplog.at_level(logging.ERROR, logger="t"):
        for _ in range(100):
            log.note("k", logging.ERROR, "down")
            clock.now += 1.5
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "down" and len(lines) == 3
    assert lines[1] == "down (39 more in the last 60 s)"


def test_a_read_failure_clears_with_a_read_a_write_failure_only_with_a_commit() -> None:
    health = StoreHealth(clock=MonotonicClock())
    health.failed(OperationalError("SELECT", {}, ConnectionRefusedError("refused")), writing=False)
    assert health.status.problem is Problem.UNAVAILABLE
    assert health.succeeded(wrote=False) and health.status.ok
    full = OperationalError("INSERT", {}, sqlite3.OperationalError("database or disk is full"))
    health.failed(full, writing=True, refused=3)
    assert not health.succeeded(wrote=False), "SQLite still reads from a full disk"
    assert health.status.problem is Problem.DISK_FULL
    assert health.succeeded(wrote=True) and health.status.ok


def test_the_free_space_floor_is_checked_at_most_every_few_seconds() -> None:
    clock, free, looked = MonotonicClock(), [500 * MB], [0]

    def statvfs(_: Path) -> int:
        looked[0] += 1
        return free[0]

    health = StoreHealth(Path("/"), min_free_mb=200, space_check_seconds=5, clock=clock, free=statvfs)
    assert not health.check_space() and not health.refuses_new_tickets
    free[0] = 100 * MB
    assert not health.check_space(), "checked a moment ago: not again"
    clock.now += 5
    assert health.check_space() and health.refuses_new_tickets
    assert health.status.problem is Problem.LOW_SPACE and health.status.free_mb == 100
    assert looked[0] == 2
    free[0], clock.now = 300 * MB, clock.now + 5
    assert health.check_space() and health.status.ok and not health.refuses_new_tickets
