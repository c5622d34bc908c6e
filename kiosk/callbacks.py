"""What reaches the kiosk app from other threads: retained state and late replies (the link's thread), ID-card
scans and the scanner's health (the scanner's thread). Each callback only records; the screen's thread acts on
it in :meth:`kiosk.app.KioskApp.update`, so pygame is only ever touched from one thread.
"""

from __future__ import annotations

import logging
import queue
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from kiosk.alarms import AlarmBoard
    from kiosk.app import Clock
    from queue_server.contract.office_feed import OfficeFeed

logger = logging.getLogger("kiosk.app")
NOTICE_SECONDS = 6.0
"""How long a banner (an unreadable scan, ...) stays over the screen."""
Reply = dict[str, Any]


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
        if topic.endswith("/state/waiting") and isinstance(data.get("waiting"), dict):
            self.waiting = {str(k): int(v) for k, v in data["waiting"].items()}

    def on_late_reply(self, reply: Reply) -> None:
        """The server answered a ticket request after its time to live (called on the link's thread).

        The citizen was told the system is reconnecting and got no ticket; printing one now would hand a number
        to whoever stands at the kiosk, or to nobody. So it is logged for the staff, never printed: when the
        number is called and nobody comes, it is skipped like any no-show."""
        ticket = (reply.get("result") or {}).get("ticket") if reply.get("ok") else None
        if ticket is None:
            logger.info("late reply to expired request %s (no ticket): ignored", reply.get("id"))
            return
        label = str(ticket.get("label"))
        self.late_tickets.append(label)
        logger.warning("late ticket %s for expired request %s: issued by the server after the citizen was told to "
                       "wait; not printed (it will be skipped as a no-show)", label, reply.get("id"))  # fmt: skip

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
