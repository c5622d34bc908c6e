"""The sign-in limiter: failed sign-ins counted per (address, username), per address, per username and in all, in
memory that stays bounded however many usernames and addresses a hostile client invents (about 3 MB at most).

The first limiter kept a list per (address, username) and never removed one: one client posting random usernames
grew the queue server's memory by 21 MB a minute, and a guesser spreading its attempts over usernames or
addresses was never slowed. Here every count is a ``Window``: an LRU-ordered table of at most ``max_keys`` keys,
each holding its first failure's time and a count, with keys whose window is over dropped first. The limits, in
order:

- one username from one address (``web.login_failures_per_account``, 5): the guesser at one account;
- one address, any usernames (30): the sprayer; an IPv6 /64 counts as one address, as one home or phone has one;
- one username from every address (100) and all failures together (500): the distributed guesser. These two
  would let an attacker lock everybody out, so an address that signed in successfully before (a staff PC, kept
  in a bounded table for 30 days) is exempt from them.

Failures are logged summarised: the first one after a quiet minute at once, then one line a minute with the counts
(never the password; the username cut to 32 safe characters).
"""

from __future__ import annotations

import ipaddress
import logging
import re
import threading
import time
from collections import Counter, OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger(__name__)
MAX_KEYS = 4096
TRUSTED_ADDRESSES = 1024
TRUSTED_SECONDS = 30 * 24 * 3600
SUMMARY_SECONDS = 60.0
UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


class Window:
    """How many failures each key had since its first one, for ``window`` seconds from that first one (a fixed
    window per key: two numbers a key, where a list of timestamps cost a few kilobytes)."""

    def __init__(self, limit: int, window: float, max_keys: int = MAX_KEYS) -> None:
        self.limit, self.window, self.max_keys = limit, window, max_keys
        self._keys: OrderedDict[str, tuple[float, int]] = OrderedDict()  # (first failure, count); LRU first

    def __len__(self) -> int:
        return len(self._keys)

    def full(self, key: str, now: float) -> bool:
        entry = self._keys.get(key)
        return entry is not None and entry[1] >= self.limit and now - entry[0] < self.window

    def add(self, key: str, now: float) -> None:
        entry = self._keys.get(key)
        if entry is None or now - entry[0] >= self.window:
            if entry is None:
                self._expire(now)
                while len(self._keys) >= self.max_keys:
                    self._keys.popitem(last=False)
            self._keys[key] = (now, 1)
        else:
            self._keys[key] = (entry[0], entry[1] + 1)
        self._keys.move_to_end(key)

    def forget(self, key: str) -> None:
        self._keys.pop(key, None)

    def _expire(self, now: float) -> None:
        while self._keys:
            first = next(iter(self._keys.values()))
            if now - first[0] < self.window:
                return
            self._keys.popitem(last=False)


@dataclass(frozen=True)
class LoginLimits:
    per_account: int = 5
    per_address: int = 30
    per_username: int = 100
    total: int = 500
    window_seconds: float = 15 * 60


def address_key(address: str | None) -> str:
    """The client address as the limiter counts it: IPv4 as is, IPv6 by its /64 network."""
    try:
        ip = ipaddress.ip_address(address or "")
    except ValueError:
        return "?"
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{ip}/64", strict=False))
    return str(ip)


def shown(username: str) -> str:
    """A username as it may appear in a log line: safe characters only, at most 32."""
    return UNSAFE.sub("?", username)[:32] or "-"


class LoginLimiter:
    """Thread-safe (waitress serves requests on several threads); every table bounded."""

    def __init__(self, limits: LoginLimits, clock: Callable[[], float] = time.monotonic) -> None:
        self.limits, self.clock = limits, clock
        w = limits.window_seconds
        self.pairs = Window(limits.per_account, w)
        self.addresses = Window(limits.per_address, w)
        self.usernames = Window(limits.per_username, w)
        self.everything = Window(limits.total, w, max_keys=1)
        self.trusted: OrderedDict[str, float] = OrderedDict()
        self.summary = FailureSummary(clock)
        self._lock = threading.Lock()

    def size(self) -> int:
        """Keys held in all tables (bounded by ``4 * MAX_KEYS + TRUSTED_ADDRESSES``)."""
        return len(self.pairs) + len(self.addresses) + len(self.usernames) + len(self.everything) + len(self.trusted)

    def blocked(self, address: str | None, username: str) -> str | None:
        """Why a sign-in from ``address`` as ``username`` must wait (``account``, ``address``, ``username``,
        ``total``), or None."""
        addr, user, now = address_key(address), username.lower(), self.clock()
        with self._lock:
            self.summary.tick()
            reason = None
            if self.pairs.full(f"{addr} {user}", now):
                reason = "account"
            elif self.addresses.full(addr, now):
                reason = "address"
            elif not self._trusted(addr, now):
                if self.usernames.full(user, now):
                    reason = "username"
                elif self.everything.full("*", now):
                    reason = "total"
            if reason is not None:
                self.summary.note(addr, username, refused=True)
            return reason

    def failed(self, address: str | None, username: str) -> None:
        addr, user, now = address_key(address), username.lower(), self.clock()
        with self._lock:
            self.pairs.add(f"{addr} {user}", now)
            self.addresses.add(addr, now)
            self.usernames.add(user, now)
            self.everything.add("*", now)
            self.summary.note(addr, username, refused=False)

    def succeeded(self, address: str | None, username: str) -> None:
        addr, now = address_key(address), self.clock()
        with self._lock:
            self.pairs.forget(f"{addr} {username.lower()}")
            self.trusted[addr] = now
            self.trusted.move_to_end(addr)
            while len(self.trusted) > TRUSTED_ADDRESSES:
                self.trusted.popitem(last=False)

    def _trusted(self, addr: str, now: float) -> bool:
        since = self.trusted.get(addr)
        return since is not None and now - since < TRUSTED_SECONDS


class FailureSummary:
    """Failed and refused sign-ins as at most one log line a minute (plus the first after a quiet minute)."""

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self.last_line = -SUMMARY_SECONDS
        self.failed = self.refused = 0
        self.addresses: Counter[str] = Counter()
        self.usernames: set[str] = set()

    def note(self, addr: str, username: str, *, refused: bool) -> None:
        now = self.clock()
        if self.failed or self.refused:
            self.refused += refused
            self.failed += not refused
            if len(self.addresses) < 1000 or addr in self.addresses:
                self.addresses[addr] += 1
            if len(self.usernames) < 1000:
                self.usernames.add(shown(username))
            if now - self.last_line >= SUMMARY_SECONDS:
                self._flush(now)
            return
        if now - self.last_line >= SUMMARY_SECONDS:  # the first after a quiet minute: at once, in full
            outcome = "refused" if refused else "failed"
            logger.warning("web sign-in %s address=%s user=%s", outcome, addr, shown(username))
            self.last_line = now
            return
        self.refused, self.failed = int(refused), int(not refused)
        self.addresses[addr] += 1
        self.usernames.add(shown(username))

    def tick(self) -> None:
        """Log what is pending once its minute is over (called at every sign-in attempt)."""
        now = self.clock()
        if (self.failed or self.refused) and now - self.last_line >= SUMMARY_SECONDS:
            self._flush(now)

    def _flush(self, now: float) -> None:
        top, count = self.addresses.most_common(1)[0]
        logger.warning(
            "web sign-in failures in the last minute failed=%d refused=%d addresses=%d usernames=%d "
            "top_address=%s top_count=%d",
            self.failed,
            self.refused,
            len(self.addresses),
            len(self.usernames),
            top,
            count,
        )
        self.last_line = now
        self.failed = self.refused = 0
        self.addresses.clear()
        self.usernames.clear()
