"""Repeated log lines summarised: one line per key per minute at most, with how many times it happened.

A hostile device can make the same refusal happen 20,000 times a minute; one log line each would flood the journal
and slow the server. ``add(key)`` logs the first occurrence at once, then counts; the next occurrence a minute later
(or ``flush()``, called by a periodic tick) logs the count. At most ``max_keys`` keys are kept: the oldest is
logged and forgotten when a new one comes, so memory stays bounded whatever the keys.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

PERIOD_SECONDS = 60.0


class PerMinuteSummary:
    def __init__(
        self,
        logger: logging.Logger,
        fmt: str,
        *,
        level: int = logging.WARNING,
        max_keys: int = 1000,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """``fmt`` is a %-format taking the key and the count, e.g. ``"device=%s refused %d requests"``."""
        self._logger, self._fmt, self._level = logger, fmt, level
        self._max_keys, self._clock = max_keys, clock
        self._keys: OrderedDict[str, tuple[float, int]] = OrderedDict()  # key -> (last line at, unlogged count)
        self._lock = threading.Lock()

    def add(self, key: str) -> bool:
        """Count one occurrence; True if a line was written now (the caller may add detail once a minute)."""
        now = self._clock()
        with self._lock:
            last, count = self._keys.pop(key, (float("-inf"), 0))
            count += 1
            logged = now - last >= PERIOD_SECONDS
            if logged:
                self._logger.log(self._level, self._fmt, key, count)
                last, count = now, 0
            self._keys[key] = (last, count)
            while len(self._keys) > self._max_keys:
                old, (_, pending) = self._keys.popitem(last=False)
                if pending:
                    self._logger.log(self._level, self._fmt, old, pending)
        return logged

    def flush(self) -> None:
        """Log the counts whose minute is over (a flood that stopped is still reported)."""
        now = self._clock()
        with self._lock:
            for key, (last, count) in list(self._keys.items()):
                if count and now - last >= PERIOD_SECONDS:
                    self._logger.log(self._level, self._fmt, key, count)
                    self._keys[key] = (now, 0)
                elif not count and now - last >= 2 * PERIOD_SECONDS:
                    del self._keys[key]
