"""The network printer driver (raw TCP, port 9100 on real printers) against a fake that answers status queries."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator

import pytest
from PIL import Image

from hardware.printer import PrinterError, PrinterFault, PrinterStatus, open_printer, print_ticket, printer_status

PAPER_OK, PAPER_OUT = 0x12, 0x72


class FakeNetworkPrinter:
    """Accepts one connection; answers DLE EOT n from ``state`` and records every other byte."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0))
        self.port = self.server.getsockname()[1]
        self.state = {1: 0x16, 4: PAPER_OK}
        self.received = bytearray()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        conn, _ = self.server.accept()
        with conn:
            pending = b""
            while chunk := conn.recv(65536):
                pending += chunk
                while (at := pending.find(b"\x10\x04")) >= 0 and len(pending) >= at + 3:
                    self.received += pending[:at]
                    if (reply := self.state.get(pending[at + 2])) is not None:
                        conn.sendall(bytes([reply]))
                    pending = pending[at + 3 :]
                if b"\x10" not in pending:
                    self.received += pending
                    pending = b""

    def close(self) -> None:
        self.server.close()
        self._thread.join(timeout=2)


@pytest.fixture
def fake() -> Iterator[FakeNetworkPrinter]:
    fake = FakeNetworkPrinter()
    yield fake
    fake.close()


def test_network_status_and_print(fake: FakeNetworkPrinter) -> None:
    image = Image.new("1", (384, 40), 1)
    with open_printer("network", host="127.0.0.1", port=fake.port, timeout=2, width=384) as printer:
        assert printer_status(printer) == PrinterStatus(online=True, paper="ok")
        print_ticket(printer, image)
        fake.state[4] = PAPER_OUT
        assert printer_status(printer).paper == "out"
        with pytest.raises(PrinterError) as caught:
            print_ticket(printer, image)
    assert caught.value.fault is PrinterFault.PAPER_OUT


def test_unreachable_network_printer_is_not_found() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    with pytest.raises(PrinterError) as caught:
        open_printer("network", host="127.0.0.1", port=free_port, timeout=1)
    assert caught.value.fault is PrinterFault.NOT_FOUND
    assert str(caught.value).startswith("Không tìm thấy máy in")


def test_absent_usb_printer_is_not_found() -> None:
    with pytest.raises(PrinterError) as caught:
        open_printer("usb", vendor_id=0x0483, product_id=0x5743)
    assert caught.value.fault is PrinterFault.NOT_FOUND
