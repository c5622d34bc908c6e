"""The serial printer driver against a fake ESC/POS printer on a pseudo-terminal.

The fake answers the real-time status queries (DLE EOT 1: printer, DLE EOT 4: paper sensor) with the bytes an
Epson-compatible printer sends, and records everything else it receives, as the real printer would print it.
"""

from __future__ import annotations

import os
import select
import threading
from collections.abc import Iterator
from datetime import datetime

import pytest
from PIL import Image

from hardware.printer import (
    PrinterError,
    PrinterFault,
    PrinterStatus,
    TicketPrinter,
    open_printer,
    print_ticket,
    printer_status,
)
from kiosk.ticket import TicketView, render_ticket

DLE_EOT = b"\x10\x04"
ONLINE, OFFLINE = 0x16, 0x1E  # DLE EOT 1 reply: bit 3 set = offline
PAPER_OK, PAPER_NEAR_END, PAPER_OUT = 0x12, 0x1E, 0x72  # DLE EOT 4 reply


class FakeSerialPrinter:
    """The printer end of a pty: answers status queries from ``state``, keeps every other byte in ``received``."""

    def __init__(self) -> None:
        self.master, self.slave = os.openpty()
        self.devfile = os.ttyname(self.slave)
        self.state = {1: ONLINE, 4: PAPER_OK}
        self.silent = False
        self.received = bytearray()
        self.queries: list[int] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        pending = b""
        while not self._stop.is_set():
            ready, _, _ = select.select([self.master], [], [], 0.05)
            if not ready:
                continue
            try:
                pending += os.read(self.master, 65536)
            except OSError:
                return
            while (at := pending.find(DLE_EOT)) >= 0 and len(pending) >= at + 3:
                self.received += pending[:at]
                n = pending[at + 2]
                self.queries.append(n)
                pending = pending[at + 3 :]
                if not self.silent and n in self.state:
                    os.write(self.master, bytes([self.state[n]]))
            keep = 2 if pending.endswith(DLE_EOT) else 1 if pending.endswith(DLE_EOT[:1]) else 0
            self.received += pending[: len(pending) - keep]
            pending = pending[len(pending) - keep :]

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)
        os.close(self.master)
        os.close(self.slave)


@pytest.fixture
def fake() -> Iterator[FakeSerialPrinter]:
    fake = FakeSerialPrinter()
    yield fake
    fake.close()


@pytest.fixture
def ticket_image() -> Image.Image:
    view = TicketView(
        ticket_id="t-1",
        label="A001",
        office_name="Trung tâm Phục vụ hành chính công xã Tuần Giáo",
        field_name="Hộ tịch",
        counters=("Quầy 1",),
        issued_at=datetime(2026, 11, 23, 8, 0),
        people_ahead=0,
    )
    return render_ticket(view, base_url="http://motcua.local", width=384)


def open_fake(fake: FakeSerialPrinter) -> TicketPrinter:
    return open_printer("serial", devfile=fake.devfile, baudrate=115200, timeout=0.2, width=384)


def test_status_ok_then_prints_raster_and_cut(fake: FakeSerialPrinter, ticket_image: Image.Image) -> None:
    with open_fake(fake) as printer:
        assert printer_status(printer) == PrinterStatus(online=True, paper="ok")
        print_ticket(printer, ticket_image)
    for _ in range(40):
        if b"\x1dV" in fake.received:
            break
        threading.Event().wait(0.05)
    assert b"\x1dv0" in fake.received
    assert b"\x1dV" in fake.received
    assert fake.queries[:2] == [1, 4]


def test_near_end_is_reported(fake: FakeSerialPrinter) -> None:
    fake.state[4] = PAPER_NEAR_END
    with open_fake(fake) as printer:
        assert printer_status(printer) == PrinterStatus(online=True, paper="near_end")


def test_paper_out_reported_and_printing_refused(fake: FakeSerialPrinter, ticket_image: Image.Image) -> None:
    fake.state[4] = PAPER_OUT
    with open_fake(fake) as printer:
        assert printer_status(printer) == PrinterStatus(online=True, paper="out")
        with pytest.raises(PrinterError) as caught:
            print_ticket(printer, ticket_image)
    assert caught.value.fault is PrinterFault.PAPER_OUT
    assert str(caught.value).startswith("Máy in hết giấy")
    assert b"\x1dv0" not in fake.received


def test_offline_reported_and_printing_refused(fake: FakeSerialPrinter, ticket_image: Image.Image) -> None:
    fake.state[1] = OFFLINE
    with open_fake(fake) as printer:
        assert printer_status(printer).online is False
        with pytest.raises(PrinterError) as caught:
            print_ticket(printer, ticket_image)
    assert caught.value.fault is PrinterFault.OFFLINE
    assert caught.value.message_vi.startswith("Máy in không sẵn sàng")


def test_silent_printer_is_offline_with_unknown_paper(fake: FakeSerialPrinter) -> None:
    fake.silent = True
    with open_fake(fake) as printer:
        assert printer_status(printer) == PrinterStatus(online=False, paper="unknown")


def test_write_to_a_vanished_printer_raises_printer_error(ticket_image: Image.Image) -> None:
    fake = FakeSerialPrinter()
    printer = open_fake(fake)
    fake.close()  # the printer end goes away (cable pulled): writes now fail with EIO
    with pytest.raises(PrinterError) as caught:
        print_ticket(printer, ticket_image, check_status=False)
    assert caught.value.fault is PrinterFault.WRITE_FAILED
    printer.close()
    printer.close()  # idempotent


def test_missing_serial_device_is_not_found() -> None:
    with pytest.raises(PrinterError) as caught:
        open_printer("serial", devfile="/dev/motcua-no-such-printer")
    assert caught.value.fault is PrinterFault.NOT_FOUND
