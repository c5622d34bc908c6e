"""The server's clock, and whether it may be trusted to start a day or issue numbers.

A Raspberry Pi has no hardware clock: until NTP answers it boots with the time it last saved, hours or days
behind. Tickets issued then would be filed under the wrong day (continuing yesterday's numbers), and NTP's later
step forward would start a new day that expires the whole waiting line. So the service asks this clock, before
any ticket is issued or a day is started, whether it has reason to doubt the time:

- the machine synchronises its clock (systemd-timesyncd, chrony, ntpd) but has not yet done so;
- the clock is behind the last stored event (it went back across a restart), or before this release's date;
- the clock jumped forward (wall time ran ahead of ``time.monotonic``) since the last stored event, by more than
  ``jump_alarm_minutes``: a jump never starts a new day by itself.

A manager's "giờ đã đúng" (``confirm``, on the live page, audited) lifts the doubt until the server restarts;
a jump detected after that confirmation needs another. Events are never stamped earlier than the last stored
one whatever the clock says (the service's floor); this module only judges the clock, the engine stays pure.
"""

from __future__ import annotations

import ctypes
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Literal

logger = logging.getLogger(__name__)

RELEASE_DATE = date(2026, 11, 30)
"""The date of this release (set when a release is cut): a clock before it is certainly wrong."""
BEHIND_TOLERANCE = timedelta(minutes=2)
"""A clock this little behind the last event is a correction NTP makes every day; the floor absorbs it."""
TIMESYNCD_DIR = Path("/run/systemd/timesync")
SYNC_DAEMON_MARKS = (TIMESYNCD_DIR, Path("/run/chrony"), Path("/run/ntpd.pid"))
"""What a machine that synchronises its clock has; ``auto`` waits for synchronisation only on such a machine."""
TIME_ERROR = 5
"""adjtimex(2) returns TIME_ERROR while the kernel's clock is unsynchronised (STA_UNSYNC set)."""

RequireSync = Literal["auto", "always", "never"]


def kernel_synchronised() -> bool:
    """Whether the kernel says its clock is synchronised: adjtimex(2) in read-only mode (``modes`` = 0).

    chrony and ntpd (and timesyncd) clear STA_UNSYNC once they discipline the clock, so this works whichever
    daemon runs. A kernel that cannot answer counts as unsynchronised.
    """
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        timex = ctypes.create_string_buffer(512)  # struct timex is ~208 bytes; modes (the first int) stays 0
        return int(libc.adjtimex(timex)) not in (-1, TIME_ERROR)
    except (OSError, AttributeError):
        return False


def sync_probe(require: RequireSync, synced_file: Path) -> Callable[[], bool] | None:
    """What says the time is synchronised, or None when synchronisation is not required.

    ``synced_file`` is systemd-timesyncd's flag (it exists once the clock is synchronised); the kernel is asked
    too (chrony and ntpd clear its STA_UNSYNC). ``auto`` requires synchronisation only on a machine running a
    synchronisation daemon (a server whose clock nobody sets is judged by the other rules alone).
    """
    if require == "never" or (
        require == "auto" and not any(p.exists() for p in (synced_file.parent, *SYNC_DAEMON_MARKS))
    ):
        return None
    if synced_file.parent.is_dir():
        # timesyncd's flag, or the kernel: another daemon (chrony) may be the one keeping the time
        return lambda: synced_file.exists() or kernel_synchronised()
    return kernel_synchronised


@dataclass(frozen=True)
class Jump:
    """The wall clock moved ``seconds`` more than monotonic time between two readings (negative: back)."""

    detected_at: datetime
    seconds: float
    monotonic: float


class TrustedClock:
    """A callable clock (UTC) that watches itself for jumps and says why it may not be trusted."""

    def __init__(
        self,
        *,
        sync: Callable[[], bool] | None,
        jump_alarm_seconds: float = 300.0,
        release_date: date = RELEASE_DATE,
        wall: Callable[[], datetime] = lambda: datetime.now(UTC),
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._sync, self._jump_seconds, self._release = sync, jump_alarm_seconds, release_date
        self._wall, self._monotonic = wall, monotonic
        self._lock = threading.Lock()
        self._last: tuple[datetime, float] | None = None
        self.jumps: list[Jump] = []
        """Every jump seen in this run (at most ``MAX_JUMPS`` kept), newest last."""
        self._confirmed: tuple[str, float] | None = None
        self.refusing: Doubt | None = None
        """The doubt of the latest check, None if it passed (shown on the live page)."""

    MAX_JUMPS = 20

    def __call__(self) -> datetime:
        now, mono = self._wall(), self._monotonic()
        with self._lock:
            if self._last is not None:
                drift = (now - self._last[0]).total_seconds() - (mono - self._last[1])
                if abs(drift) > self._jump_seconds:
                    jump = Jump(now, drift, mono)
                    self.jumps = [*self.jumps[-(self.MAX_JUMPS - 1) :], jump]
                    direction = "forward" if drift > 0 else "back"
                    logger.warning("server clock jumped %s by %.0f s (now %s)", direction, abs(drift), now.isoformat())
            self._last = (now, mono)
        return now

    def confirm(self, username: str) -> None:
        """A manager says the time shown is right: every doubt so far is lifted until the server restarts."""
        with self._lock:
            self._confirmed = (username, self._monotonic())
            self.refusing = None
        logger.warning("server clock confirmed as correct by %s (%s)", username, self._wall().isoformat())

    @property
    def confirmed_by(self) -> str | None:
        return None if self._confirmed is None else self._confirmed[0]

    def unconfirmed_jumps(self) -> list[Jump]:
        """Forward jumps seen since the last confirmation (what the live page alarms about)."""
        since = -1.0 if self._confirmed is None else self._confirmed[1]
        return [j for j in self.jumps if j.seconds > 0 and j.monotonic > since]

    def doubt(self, now: datetime, last_event_at: datetime | None, starts_day: bool) -> Doubt | None:
        """Why ``now`` (a reading of this clock) must not issue numbers or start a day; None if it may.

        The latest answer is kept (``refusing``) for the live page.
        """
        found = self._doubt(now, last_event_at, starts_day)
        with self._lock:
            self.refusing = found
        return found

    def _doubt(self, now: datetime, last_event_at: datetime | None, starts_day: bool) -> Doubt | None:
        if starts_day:
            jumped = [j for j in self.unconfirmed_jumps() if last_event_at is None or j.detected_at > last_event_at]
            if jumped:
                minutes = sum(j.seconds for j in jumped) / 60
                return Doubt("jumped", f"the server clock jumped forward by {minutes:.0f} min since the last event")
        if self._confirmed is not None:
            return None
        if now.date() < self._release:
            return Doubt("before_release", f"the server clock ({now:%Y-%m-%d %H:%M}) is before this release")
        if last_event_at is not None and now < last_event_at - BEHIND_TOLERANCE:
            return Doubt(
                "behind",
                f"the server clock ({now:%Y-%m-%d %H:%M}) is behind the last event ({last_event_at:%Y-%m-%d %H:%M})",
            )
        if self._sync is not None and not self._sync():
            return Doubt("unsynced", "the server clock is not synchronised yet (NTP)")
        return None


@dataclass(frozen=True)
class Doubt:
    """Why the clock is not trusted: ``kind`` for the pages (jumped, before_release, behind, unsynced), and the
    English sentence for the log and the reply (``clock_not_synced``). Times in the message are UTC."""

    kind: str
    message: str

    def __str__(self) -> str:
        return f"{self.message}; no ticket and no new day until the clock is synchronised or a manager confirms it"
