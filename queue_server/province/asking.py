"""When the province asks one office to resend: never more than once per ``interval``, and never lost for good.

Pure (the clock is passed in), so every rule is testable alone. Reasons to ask: the ingest started, the office's
bridge came up, a gap is open, a replay came back incomplete, or ``heartbeat`` seconds passed. A request is
*outstanding* until a replay report comes back; an outstanding request is repeated every ``interval``: it may
have reached the office broker before the office's replayer had (re)subscribed (the broker drops a message
nobody subscribes to), or its report may have been lost. The only request sent sooner is the next batch of a
backfill (``more`` in a report that moved the watermark): it is answered by events the office really has, so
it cannot loop.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Asking:
    interval: float
    """At most one request per this many seconds (``resend_timeout_seconds``, 10 s)."""
    heartbeat: float
    """Ask at least this often (``heartbeat_seconds``, 300 s): catches a lost *last* event."""
    sent_at: float = float("-inf")
    due: bool = True
    """A reason to ask arose and no request has been sent since (True at start: catch up after downtime)."""
    outstanding: bool = False
    """A request went out and no replay report has come back since."""
    repeats: int = 0
    """Requests repeated without a report since the last report (for the log: said once, not every time)."""

    def want(self) -> None:
        """Something calls for a request (the bridge came up, a replay was incomplete): sent when allowed."""
        self.due = True

    def should_ask(self, now: float, *, gap: bool) -> bool:
        """True if a request should go out now; the caller sends it and calls ``sent``."""
        if now - self.sent_at < self.interval:
            return False
        return self.due or gap or self.outstanding or now - self.sent_at >= self.heartbeat

    def sent(self, now: float) -> None:
        if self.outstanding:
            self.repeats += 1
        self.sent_at, self.due, self.outstanding = now, False, True

    def answered(self) -> None:
        """A replay report came back: the office's replayer is listening."""
        self.outstanding, self.repeats = False, 0
