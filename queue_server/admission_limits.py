"""Per-device request budgets: a token bucket per device, its rate and burst set by the device's kind.

A kiosk stands in a public hall and its credentials sit on its SD card: with them, anyone can send requests as
fast as the network goes. Each device may send ``burst`` requests at once and ``per_minute`` on average (a busy
kiosk serves a citizen every ten seconds or so); what is over is refused before any work is spent on it. Buckets
are kept for at most ``max_devices`` ids (the least recently seen is forgotten first), so memory stays bounded
whatever ids an attacker tries.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

UNKNOWN_KIND = "unknown"
"""The budget of an id the registry does not know (revoked, or never added): enough to tell it so, no more."""


@dataclass(frozen=True)
class Rate:
    per_minute: float
    burst: int


class TokenBucket:
    """``burst`` tokens, refilled at ``per_minute``; one per request. Not thread-safe (``DeviceLimits`` locks)."""

    __slots__ = ("at", "rate", "tokens")

    def __init__(self, rate: Rate, now: float) -> None:
        self.rate, self.tokens, self.at = rate, float(rate.burst), now

    def take(self, now: float) -> bool:
        self.tokens = min(float(self.rate.burst), self.tokens + max(0.0, now - self.at) * self.rate.per_minute / 60)
        self.at = now
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False

    def give_back(self) -> None:
        self.tokens = min(float(self.rate.burst), self.tokens + 1.0)


class DeviceLimits:
    """The buckets of every device seen lately; thread-safe (paho's thread takes, the ingest worker gives back)."""

    def __init__(self, rates: dict[str, Rate], *, default: Rate, max_devices: int = 10_000) -> None:
        self.rates, self.default, self.max_devices = dict(rates), default, max_devices
        self._buckets: OrderedDict[str, TokenBucket] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, device_id: str, kind: str, now: float) -> bool:
        """True if ``device_id`` may send one more request now (and it is counted)."""
        rate = self.rates.get(kind, self.default)
        with self._lock:
            bucket = self._buckets.get(device_id)
            if bucket is None or bucket.rate != rate:  # new, or its kind changed
                bucket = self._buckets[device_id] = TokenBucket(rate, now)
                while len(self._buckets) > self.max_devices:
                    self._buckets.popitem(last=False)
            self._buckets.move_to_end(device_id)
            return bucket.take(now)

    def give_back(self, device_id: str) -> None:
        """A request that cost nothing (a retry answered from the replies already given) is not counted."""
        with self._lock:
            bucket = self._buckets.get(device_id)
            if bucket is not None:
                bucket.give_back()

    def __len__(self) -> int:
        return len(self._buckets)
