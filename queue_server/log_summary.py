"""One log line per key per minute, however many times something happens: for denied and refused traffic.

A hostile or broken device can make the broker deny 20,000 publishes a minute; one line each would flood the
log (and the disk) and bury everything else. ``PerMinuteSummary`` logs the first occurrence of a key at once,
then at most one line per key per minute with the count since the last line::

    denied = PerMinuteSummary(logger, "denied publish from %s")
    denied.add("kiosk-01", detail="topic=...")   # logged now: 'denied publish from kiosk-01 count=1 ...'
    denied.add("kiosk-01")                      # counted; logged with the others a minute after the first line

Keys are bounded (``max_keys``): past that, new keys are counted under ``other``, so a client inventing
usernames cannot grow the table. ``flush()`` logs what is pending (call it from a periodic task, so the count
of a burst that stopped is still told). Thread-safe.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

PERIOD_SECONDS = 60.0
"""The default interval: one line per key per minute."""

OTHER = "other"
"""The key counted instead of new ones once ``max_keys`` are held."""


@dataclass
class _Pending:
    since: float
    """When the last line for this key was logged (its window starts there)."""
    count: int = 0
    detail: str = ""


class PerMinuteSummary:
    def __init__(
        self,
        logger: logging.Logger,
        message: str,
        *,
        level: int = logging.WARNING,
        interval: float = PERIOD_SECONDS,
        max_keys: int = 1000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``message`` has one ``%s``: the key. The count (and the last detail) follow as key=value fields."""
        self._logger, self._message, self._level = logger, message, level
        self._interval, self._max_keys, self._clock = interval, max_keys, clock
        self._pending: dict[str, _Pending] = {}
        self._lock = threading.Lock()

    def add(self, key: str, detail: str = "") -> bool:
        """Count one occurrence for ``key``; log it now if no line for it was logged in the last interval.

        True if a line was written now (the caller may then log more detail, once a minute at most)."""
        now = self._clock()
        with self._lock:
            pending = self._pending.get(key)
            if pending is None:
                if len(self._pending) >= self._max_keys:
                    key = OTHER
                    pending = self._pending.get(key)
                if pending is None:
                    # first time (or first time in a while): tell at once, then count for a minute
                    self._pending[key] = _Pending(since=now)
                    self._log(key, 1, detail, 0.0)
                    return True
            pending.count += 1
            pending.detail = detail or pending.detail
            if now - pending.since >= self._interval:
                self._log(key, pending.count, pending.detail, now - pending.since)
                pending.since, pending.count, pending.detail = now, 0, ""
                return True
            return False

    def flush(self) -> None:
        """Log the keys with occurrences not yet told whose interval is over (a burst that stopped is still told,
        never more than a line per key per interval), and forget the keys that were quiet a whole interval."""
        now = self._clock()
        with self._lock:
            for key, pending in list(self._pending.items()):
                if now - pending.since < self._interval:
                    continue
                if pending.count:
                    self._log(key, pending.count, pending.detail, now - pending.since)
                    pending.since, pending.count, pending.detail = now, 0, ""
                else:
                    del self._pending[key]

    def _log(self, key: str, count: int, detail: str, seconds: float) -> None:
        extra = f" {detail}" if detail else ""
        self._logger.log(self._level, f"{self._message} count=%d seconds=%d%s", key, count, round(seconds), extra)
