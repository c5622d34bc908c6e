"""Printer drivers that need no device: escpos's Dummy (its own recording fake) and the append-only file."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest
from PIL import Image

from hardware.printer import (
    PrinterError,
    PrinterFault,
    PrinterStatus,
    decode_paper,
    open_printer,
    print_ticket,
    printer_status,
)
from kiosk.ticket import TicketView, render_ticket

RASTER, CUT = b"\x1dv0", b"\x1dV"


@pytest.fixture(scope="module")
def image() -> Image.Image:
    view = TicketView(
        ticket_id="t-42",
        label="B042",
        office_name="Trung tâm Phục vụ hành chính công xã Tuần Giáo",
        field_name="Chứng thực",
        counters=("Quầy 3",),
        issued_at=datetime(2026, 11, 23, 9, 30),
        people_ahead=2,
    )
    return render_ticket(view, base_url="http://motcua.local")


def test_dummy_receives_raster_image_then_cut(image: Image.Image) -> None:
    with open_printer("dummy") as printer:
        print_ticket(printer, image)
        out = printer.escpos.output
    raster_at = out.index(RASTER)
    assert out.index(CUT, raster_at) > raster_at
    # GS v 0 m xL xH yL yH: width in bytes and height in dots match the ticket image.
    header = out[raster_at + 4 : raster_at + 8]
    assert int.from_bytes(header[:2], "little") == image.width // 8
    assert int.from_bytes(header[2:], "little") == image.height


def test_dummy_and_file_status_is_unknown_paper() -> None:
    with open_printer("dummy") as printer:
        assert printer_status(printer) == PrinterStatus(online=True, paper="unknown")


def test_file_printer_appends(tmp_path: Path, image: Image.Image) -> None:
    path = tmp_path / "tickets.escpos"
    path.write_bytes(b"EARLIER")
    with open_printer("file", path=path) as printer:
        assert printer_status(printer).paper == "unknown"
        print_ticket(printer, image)
    first = path.read_bytes()
    assert first.startswith(b"EARLIER") and RASTER in first and CUT in first
    with open_printer("file", path=path) as printer:
        print_ticket(printer, image)
    second = path.read_bytes()
    assert second.startswith(first)
    assert second.count(RASTER) == 2 * first.count(RASTER)


def test_image_wider_than_paper_is_refused(image: Image.Image) -> None:
    with open_printer("dummy", width=384) as printer, pytest.raises(PrinterError) as caught:
        print_ticket(printer, image)
    assert caught.value.fault is PrinterFault.WRITE_FAILED


def test_unknown_kind_and_missing_option_are_config_errors() -> None:
    with pytest.raises(PrinterError) as caught:
        open_printer("bluetooth")
    assert caught.value.fault is PrinterFault.BAD_CONFIG
    with pytest.raises(PrinterError) as caught:
        open_printer("serial")
    assert caught.value.fault is PrinterFault.BAD_CONFIG
    assert "devfile" in str(caught.value)


def test_error_message_is_vietnamese_first() -> None:
    error = PrinterError(PrinterFault.PAPER_OUT)
    assert str(error) == "Máy in hết giấy / Printer out of paper"


@pytest.mark.parametrize(
    ("reply", "state"),
    [
        (b"\x12", "ok"),
        (b"\x1e", "near_end"),
        (b"\x72", "out"),
        (b"\x7e", "out"),
        (b"", "unknown"),
        (b"\xff", "unknown"),
    ],
)
def test_decode_paper(reply: bytes, state: str) -> None:
    assert decode_paper(reply) == state
