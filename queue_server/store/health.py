"""The event store's health as the office server sees it: reachable, unreachable, full, low on space, read-only.

Why: a database that goes away (PostgreSQL stopped, a full disk, an I/O error) must turn into a clear answer for
the devices (``store_unavailable`` with a reason; they keep the request and resend), one alarm on ``/live`` and
the console, and one log line a minute, never a traceback per resend. The service reports every failed and every
successful store call here; ``status`` is what the pages, replies and ``server/status`` show.

A failure seen while *reading* (a connection refused) clears with the next successful read; one seen while
*writing* (a full disk still lets SQLite read) clears only with the next successful commit, so the alarm never
says "back" while commits still fail. The free-space floor (``[store] min_free_mb``) is checked on the SQLite
database's folder with ``os.statvfs`` at most every few seconds; under it new tickets are refused before SQLite
itself runs out of room (calls, finishes and ratings still go through: the people already waiting are served).
PostgreSQL's disk is not ours to see: no floor there.
"""

from __future__ import annotations

import errno
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path

from queue_server.contract.errors import MotcuaError

logger = logging.getLogger(__name__)
LOG_INTERVAL_SECONDS = 60.0
SPACE_CHECK_SECONDS = 5.0
DISK_FULL_MARKERS = ("database or disk is full", "no space left on device", "disk full", "could not extend file")
MB = 1024 * 1024


class Problem(StrEnum):
    UNAVAILABLE = "unavailable"
    """The database cannot be reached or refuses to write (stopped, I/O error, read-only file, locked)."""
    DISK_FULL = "disk_full"
    """The database said its disk is full."""
    LOW_SPACE = "low_space"
    """Free space under ``[store] min_free_mb``: new tickets are refused, the rest still works."""
    READ_ONLY = "read_only"
    """The log holds an event that cannot be replayed: the server answers everything with ``read_only``."""


@dataclass(frozen=True)
class StoreStatus:
    problem: Problem | None = None
    reason: str = ""
    """For people and logs, in English (the pages translate the problem, and show this as the detail)."""
    since: datetime | None = None
    free_mb: int | None = None
    """Free space on the database's folder (SQLite), when known."""
    floor_mb: int = 0

    @property
    def ok(self) -> bool:
        return self.problem is None

    def shown(self) -> tuple[object, ...]:
        """What an alarm shows: free space alone changes every few seconds and is news only during an alarm."""
        return (self.problem, self.reason, self.free_mb if self.problem is not None else None)


class StoreUnavailable(MotcuaError, RuntimeError):
    """Nothing was stored (and nothing changed): the store is down, full or under its free-space floor."""

    def __init__(self, status: StoreStatus) -> None:
        super().__init__(f"store unavailable: {status.reason}")
        self.status = status


class ServerReadOnly(MotcuaError, RuntimeError):
    """The server started read-only (an event of its log cannot be replayed): it changes nothing."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"the server is read-only: {reason}")
        self.reason = reason


def describe(exc: BaseException) -> tuple[Problem, str]:
    """What a store exception means, in one short line (the driver's first line; never a URL or a password)."""
    chain: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and len(chain) < 5:
        chain.append(current)
        current = current.__cause__ or current.__context__
    for link in chain:
        orig = getattr(link, "orig", None)
        for candidate in (link, orig):
            if isinstance(candidate, OSError) and candidate.errno == errno.ENOSPC:
                return Problem.DISK_FULL, "disk full"
    text = str(getattr(exc, "orig", None) or exc).strip().splitlines()
    first = (text[0] if text else type(exc).__name__)[:200]
    if any(marker in " ".join(str(link).lower() for link in chain) for marker in DISK_FULL_MARKERS):
        return Problem.DISK_FULL, first if first.lower().startswith("disk full") else f"disk full ({first})"
    return Problem.UNAVAILABLE, first


class PerMinute:
    """Logs a lasting problem once, then at most once a ``interval`` with how often it recurred meanwhile."""

    def __init__(
        self, log: logging.Logger, interval: float = LOG_INTERVAL_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._log, self._interval, self._clock = log, interval, clock
        self._last: dict[str, tuple[float, int]] = {}

    def note(self, key: str, level: int, message: str, *args: object) -> None:
        now = self._clock()
        last = self._last.get(key)
        if last is not None and now - last[0] < self._interval:
            self._last[key] = (last[0], last[1] + 1)
            return
        repeats = 0 if last is None else last[1]
        suffix = f" ({repeats} more in the last {self._interval:.0f} s)" if repeats else ""
        self._log.log(level, message + suffix, *args)
        self._last[key] = (now, 0)

    def clear(self, key: str) -> int:
        """Forget ``key`` (the problem is over); returns how many notes were not logged since the last line."""
        last = self._last.pop(key, None)
        return 0 if last is None else last[1]


def free_bytes(folder: Path) -> int:
    stat = os.statvfs(folder)
    return stat.f_bavail * stat.f_frsize


@dataclass
class _Failure:
    problem: Problem
    reason: str
    since: datetime
    started: float
    writing: bool
    refused: int = 0


class StoreHealth:
    """Thread-confined to the ingest thread (the service's); ``status`` is an immutable snapshot for readers."""

    def __init__(
        self,
        folder: Path | None = None,
        *,
        min_free_mb: int = 0,
        space_check_seconds: float = SPACE_CHECK_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
        free: Callable[[Path], int] = free_bytes,
        log_interval: float = LOG_INTERVAL_SECONDS,
    ) -> None:
        self.folder, self.min_free_mb = folder, min_free_mb
        self._space_every, self._clock, self._wall, self._free = space_check_seconds, clock, wall, free
        self._log = PerMinute(logger, log_interval, clock)
        self._failure: _Failure | None = None
        self._read_only: str | None = None
        self._free_mb: int | None = None
        self._low_since: datetime | None = None
        self._space_checked = -float("inf")
        self.status = StoreStatus(floor_mb=min_free_mb)

    # -- what happened ----------------------------------------------------------------------------------------
    def failed(self, exc: BaseException, *, writing: bool, refused: int = 0) -> bool:
        """A store call failed (``refused`` requests were answered ``store_unavailable`` for it); True if the
        status changed."""
        problem, reason = describe(exc)
        failure = self._failure
        if failure is None or failure.problem is not problem:
            failure = self._failure = _Failure(problem, reason, self._wall(), self._clock(), writing)
            logger.debug("store failure", exc_info=exc)
            self._log.clear("failure")
            message = "store %s: %s; requests are refused with store_unavailable until it is back (devices resend)"
            self._log.note("failure", logging.ERROR, message, problem.value, reason)
        else:
            self._log.note(
                "failure",
                logging.ERROR,
                "store still %s after %.0f s: %s; %d requests refused with store_unavailable so far",
                problem.value,
                self._clock() - failure.started,
                reason,
                failure.refused + refused,
            )
        failure.reason, failure.writing = reason, writing  # the latest failure says what clears it
        failure.refused += refused
        return self._update()

    def succeeded(self, *, wrote: bool) -> bool:
        """A store call worked: a read clears a failure seen while reading, a commit clears any; True if changed."""
        failure = self._failure
        if failure is None or (failure.writing and not wrote):
            return False
        self._failure = None
        self._log.clear("failure")
        logger.warning(
            "store back after %.0f s (%s); %d requests were refused meanwhile",
            self._clock() - failure.started,
            failure.reason,
            failure.refused,
        )
        return self._update()

    def set_read_only(self, reason: str) -> bool:
        self._read_only = reason
        return self._update()

    def check_space(self, *, force: bool = False) -> bool:
        """Look at the free space (at most every ``space_check_seconds``); True if the status changed."""
        if self.folder is None:
            return False
        now = self._clock()
        if not force and now - self._space_checked < self._space_every:
            return False
        self._space_checked = now
        try:
            free_mb = self._free(self.folder) // MB
        except OSError as exc:
            self._log.note("space", logging.WARNING, "free space of %s unknown: %s", self.folder, exc)
            return False
        self._free_mb = free_mb
        low = free_mb < self.min_free_mb
        if low:
            self._log.note(
                "space",
                logging.ERROR,
                "free space %d MB on %s is under the floor of %d MB ([store] min_free_mb): new tickets refused",
                free_mb,
                self.folder,
                self.min_free_mb,
            )
            if self._low_since is None:
                self._low_since = self._wall()
        elif self._low_since is not None:
            self._low_since = None
            self._log.clear("space")
            logger.warning("free space %d MB on %s is above the floor again: tickets accepted", free_mb, self.folder)
        return self._update()

    # -- what it means ----------------------------------------------------------------------------------------
    @property
    def refuses_new_tickets(self) -> bool:
        return self._low_since is not None

    @property
    def failing(self) -> bool:
        return self._failure is not None

    def _update(self) -> bool:
        status = StoreStatus(floor_mb=self.min_free_mb, free_mb=self._free_mb)
        if self._read_only is not None:
            status = replace(status, problem=Problem.READ_ONLY, reason=self._read_only)
        elif self._failure is not None:
            failure = self._failure
            status = replace(status, problem=failure.problem, reason=failure.reason, since=failure.since)
        elif self._low_since is not None:
            reason = f"disk almost full: {self._free_mb} MB free, under the floor of {self.min_free_mb} MB"
            status = replace(status, problem=Problem.LOW_SPACE, reason=reason, since=self._low_since)
        changed = status.shown() != self.status.shown()
        self.status = status
        return changed
