"""Which of an office's events the province holds, by the office's own seq: detects and closes gaps.

Pure bookkeeping (no I/O, no clock), so every rule is testable alone. ``through`` is the watermark: every
office seq up to it is in the province database or known not to exist. Seqs imported beyond it wait in
``ahead``; a seq beyond ``through + 1`` means something in between was lost on the way (or the office never
used that seq), which only the office can tell: the ingest asks it to resend after ``through`` and its
replay report (``messages.ReplayReport``) says which seqs exist.
"""

from __future__ import annotations

from queue_server.province.messages import ReplayReport


class OfficeSeqs:
    def __init__(self, through: int = 0) -> None:
        self.through = through
        self.ahead: set[int] = set()

    def imported(self, seq: int) -> bool:
        """Note an imported event; True if the watermark moved."""
        if seq <= self.through:
            return False  # a resend, or the office's log was renumbered (moved database): imported by event_id
        self.ahead.add(seq)
        return self._advance()

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
            self.ahead = {s for s in self.ahead if s > self.through}
        self._advance()
        return True

    def _advance(self) -> bool:
        moved = False
        while self.through + 1 in self.ahead:
            self.through += 1
            self.ahead.discard(self.through)
            moved = True
        return moved
