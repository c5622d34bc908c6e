"""What the kiosk reports as wrong with its printer and scanner, as device alarms the office's dashboard shows.

The alarms are a state, not events: the kiosk publishes the whole current set (``DeviceLink.set_alarms``,
retained on ``dev/{device}/status``) whenever it changes, and an empty set once the paper is refilled or the
scanner is plugged back in. Sources are kept apart so that a scanner coming back does not clear a paper-out.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from hardware.printer import (
    PrinterError,
    PrinterFault,
    PrinterStatus,
    TicketPrinter,
    print_ticket,
    printer_status,
)
from queue_server.contract.messages import AlarmCode

if TYPE_CHECKING:
    from kiosk.ticket import TicketView

logger = logging.getLogger(__name__)

_FAULT_ALARMS = {
    PrinterFault.PAPER_OUT: AlarmCode.PRINTER_PAPER_OUT,
    PrinterFault.OFFLINE: AlarmCode.PRINTER_OFFLINE,
}


def printer_alarms(status: PrinterStatus | None = None, error: PrinterError | None = None) -> set[AlarmCode]:
    """The printer's alarms from a status query and/or the error of the last print."""
    alarms: set[AlarmCode] = set()
    if error is not None:
        alarms.add(_FAULT_ALARMS.get(error.fault, AlarmCode.PRINTER_ERROR))
    if status is not None:
        if not status.online:
            alarms.add(AlarmCode.PRINTER_OFFLINE)
        elif status.paper == "out":
            alarms.add(AlarmCode.PRINTER_PAPER_OUT)
        elif status.paper == "near_end":
            alarms.add(AlarmCode.PRINTER_PAPER_NEAR_END)
    return alarms


class AlarmBoard:
    """The kiosk's current alarms per source ("printer", "scanner"); pushes the union to the link on change."""

    def __init__(self, link: object) -> None:
        self._publish = getattr(link, "set_alarms", None)
        self._by_source: dict[str, frozenset[AlarmCode]] = {}
        self._lock = threading.Lock()

    def set(self, source: str, alarms: Iterable[AlarmCode]) -> None:
        codes = frozenset(alarms)
        with self._lock:
            if self._by_source.get(source, frozenset()) == codes:
                return
            before = self.current()
            self._by_source[source] = codes
            now = self.current()
        raised, cleared = sorted(now - before), sorted(before - now)
        if raised:
            logger.warning("alarm raised: %s", ", ".join(raised))
        if cleared:
            logger.info("alarm cleared: %s", ", ".join(cleared))
        if self._publish is not None:
            self._publish(sorted(now))

    def current(self) -> frozenset[AlarmCode]:
        return frozenset().union(*self._by_source.values())


class PrinterWatch:
    """Prints tickets and keeps the printer's alarms current: after every print and on :meth:`check`.

    Before printing, ``print_ticket`` itself refuses a printer that is offline or out of paper; after printing,
    one more status query catches the paper running low (or out) on the ticket just printed. Runs on the
    kiosk's single worker thread, so a status query never interleaves with a print job.
    """

    def __init__(self, printer: TicketPrinter | None, board: AlarmBoard, *, configured: bool = True) -> None:
        self.printer, self.board, self.configured = printer, board, configured

    def print(self, view: TicketView, *, base_url: str, width: int) -> PrinterError | None:
        from kiosk.ticket import render_ticket

        if self.printer is None:
            error = PrinterError(PrinterFault.NOT_FOUND, "no printer configured or it failed to open")
            self.board.set("printer", printer_alarms(error=error) if self.configured else ())
            return error
        try:
            print_ticket(self.printer, render_ticket(view, base_url=base_url, width=width))
        except PrinterError as exc:
            logger.error("ticket %s not printed: %s", view.label, exc)
            self.board.set("printer", printer_alarms(error=exc))
            return exc
        except Exception as exc:
            logger.exception("ticket %s not printed", view.label)
            error = PrinterError(PrinterFault.WRITE_FAILED, f"{type(exc).__name__}: {exc}")
            self.board.set("printer", printer_alarms(error=error))
            return error
        if self.printer.can_read:
            self.check()
        else:
            self.board.set("printer", ())  # a file or dummy printer that took the job is all right
        return None

    def check(self) -> None:
        """Query the printer now (idle, or after a print) and raise or clear its alarms.

        Printers that cannot answer (file, dummy) keep their alarm until a print succeeds."""
        if self.printer is None:
            if self.configured:
                self.board.set("printer", {AlarmCode.PRINTER_ERROR})
            return
        if self.printer.can_read:
            self.board.set("printer", printer_alarms(status=printer_status(self.printer)))
