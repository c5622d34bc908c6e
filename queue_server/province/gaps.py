"""Which of an office's events the province holds, by the office's own seq: detects and closes gaps.

Pure bookkeeping (no I/O, no clock), so every rule is testable alone. ``through`` is the watermark: every
office seq up to it is in the province database or known not to exist. Seqs imported beyond it wait in
``ahead``; a seq beyond ``through + 1`` means something in between was lost on the way (or the office never
used that seq), which only the office can tell: the ingest asks it to resend after ``through`` and its
replay report (``messages.ReplayReport``) says which seqs exist.

A seq the office disowns is not chased: when a complete report (``more`` false) for a request sent *after* a
seq was imported ends below that seq, the office did not have it when it answered (an event replayed onto the
topic with a made-up seq). It is dropped from ``ahead`` (``disown``), so it cannot keep a gap open for ever.
"""

from __future__ import annotations

from collections import deque

from queue_server.province.messages import ReplayReport

MAX_OUTSTANDING = 16
"""Requests remembered until their report comes back (a lost one is forgotten after this many more)."""


class OfficeSeqs:
    def __init__(self, through: int = 0) -> None:
        self.through = through
        self.ahead: dict[int, int] = {}
        """Seqs imported beyond the watermark -> how many requests had been sent when each one arrived."""
        self.requests = 0
        self._outstanding: deque[tuple[int, int]] = deque(maxlen=MAX_OUTSTANDING)
        """(request number, its after_seq) of the requests not yet answered by a report, oldest first."""

    def imported(self, seq: int) -> bool:
        """Note an imported event; True if the watermark moved."""
        if seq <= self.through:
            return False  # a resend, or the office's log was renumbered (moved database): imported by event_id
        self.ahead.setdefault(seq, self.requests)
        return self._advance()

    def asked(self) -> int:
        """Note a resend request sent now (after the watermark); returns its ``after_seq``."""
        self.requests += 1
        self._outstanding.append((self.requests, self.through))
        return self.through

    def disown(self, report: ReplayReport) -> list[int]:
        """Drop and return the seqs in ``ahead`` that ``report`` shows the office did not have.

        The report answers the oldest outstanding request with its ``after_seq`` (if several were sent with
        the same one, the oldest is the safe guess: fewer seqs were imported before it). Only a complete report
        (``more`` false) says where the office's log ended; only seqs imported before that request was sent
        must have been in it.
        """
        number = next((n for n, after in self._outstanding if after == report.after_seq), None)
        if number is None:
            return []
        while self._outstanding and self._outstanding[0][0] <= number:
            self._outstanding.popleft()
        if report.more:
            return []
        gone = sorted(s for s, seen in self.ahead.items() if s > report.through_seq and seen < number)
        for seq in gone:
            del self.ahead[seq]
        return gone

    def has_gap(self) -> bool:
        """True if an event beyond a missing seq was imported (a resend is due)."""
        return bool(self.ahead)

    def apply_report(self, report: ReplayReport) -> bool:
        """Close the span a replay covered if every seq it names has been imported; True if it was closed.

        A report for a span starting after our watermark says nothing about the seqs before it: ignored.
        False also when some named seq is still missing (lost again on the way): the caller asks again.
        """
        if report.after_seq > self.through:
            return False
        for first, last in report.present:
            for seq in range(max(first, self.through + 1), last + 1):
                if seq not in self.ahead:
                    return False
        if report.through_seq > self.through:
            self.through = report.through_seq
            self.ahead = {s: n for s, n in self.ahead.items() if s > self.through}
        self._advance()
        return True

    def _advance(self) -> bool:
        moved = False
        while self.through + 1 in self.ahead:
            self.through += 1
            del self.ahead[self.through]
            moved = True
        return moved
