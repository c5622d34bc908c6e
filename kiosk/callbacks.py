"""What reaches the kiosk app from other threads: retained state and late replies (the link's thread), ID-card
scans and the scanner's health (the scanner's thread). Each callback only records; the screen's thread acts on
it in :meth:`kiosk.app.KioskApp.update`, so pygame is only ever touched from one thread.
"""

from __future__ import annotations

import logging
import queue
from typing import TYPE_CHECKING, Any

from queue_server.contract import topics
from queue_server.contract.messages import ContractError
from queue_server.contract.payloads import Reply, WaitingState

if TYPE_CHECKING:
    from kiosk.alarms import AlarmBoard
    from kiosk.app import Clock
    from queue_server.contract.office_feed import OfficeFeed

logger = logging.getLogger("kiosk.app")
NOTICE_SECONDS = 6.0
"""How long a banner (an unreadable scan, ...) stays over the screen."""


class Callbacks:
    """Mixed into :class:`kiosk.app.KioskApp`, which sets the attributes below."""

    waiting: dict[str, int]
    late_tickets: list[str]
    scans: queue.SimpleQueue[bytes | None]
    alarm_board: AlarmBoard
    clock: Clock
    notice: tuple[str, float] | None
    office_feed: OfficeFeed | None

    def rebuild(self) -> None:
        raise NotImplementedError

    def on_state(self, topic: str, data: dict[str, Any]) -> None:
        """Retained state from the server (called on the link's thread): the office's copy, the waiting counts."""
        if self.office_feed is not None and self.office_feed.on_state(topic, data):
            return
        where = topics.parse_topic(topic)
        if where is None or where.kind != "waiting_state":
            return
        try:
            self.waiting = dict(WaitingState.parse(data).waiting)
        except ContractError as exc:
            logger.warning("waiting counts not shown: %s", exc.message)

    def on_late_reply(self, reply: dict[str, Any]) -> None:
        """The server answered a ticket request after its time to live (called on the link's thread).

        The citizen was told the system is reconnecting and got no ticket; printing one now would hand a number
        to whoever stands at the kiosk, or to nobody. So it is logged for the staff, never printed: when the
        number is called and nobody comes, it is skipped like any no-show."""
        try:
            parsed = Reply.parse(reply)
            ticket = parsed.ticket()
        except ContractError as exc:
            logger.warning("unreadable late reply: %s", exc.message)
            return
        if ticket is None or ticket.label is None:
            logger.info("late reply to expired request %s (no ticket): ignored", parsed.id)
            return
        self.late_tickets.append(ticket.label)
        logger.warning("late ticket %s for expired request %s: issued by the server after the citizen was told to "
                       "wait; not printed (it will be skipped as a no-show)", ticket.label, parsed.id)  # fmt: skip

    def scan(self, payload: bytes) -> None:
        """An ID-card scan from the scanner's thread; handled on the next frame (see :mod:`kiosk.scan`)."""
        self.scans.put(payload)

    def scan_rejected(self, reason: str) -> None:
        """The scanner dropped an unreadable scan (over-long input): the citizen sees the same friendly banner."""
        self.scans.put(None)

    def scanner_status(self, ok: bool) -> None:
        from queue_server.contract.messages import AlarmCode

        self.alarm_board.set("scanner", () if ok else (AlarmCode.SCANNER_ERROR,))

    def show_notice(self, text: str) -> None:
        self.notice = (text, self.clock.monotonic() + NOTICE_SECONDS)
        self.rebuild()
