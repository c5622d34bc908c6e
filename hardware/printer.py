"""Thermal ticket printer driver (ESC/POS, via python-escpos), chosen by name from config.

``printer.kind`` selects the connection: ``usb``, ``serial``, ``network``, ``file`` (raw ESC/POS bytes appended to
a file: tests, audits, or a printer exposed as ``/dev/usb/lp0``) and ``dummy`` (bytes kept in memory; python-
escpos's own fake, which records exactly what a printer would receive). python-escpos is imported here only,
inside :func:`open_printer`, so the rest of the kiosk and its tests never load a hardware library.

Example, with a USB printer (Xprinter XP-80 ids)::

    with open_printer("usb", vendor_id=0x0483, product_id=0x5743) as printer:
        if printer_status(printer).paper == "out":
            ...
        print_ticket(printer, render_ticket(view, base_url="http://motcua.local"))

Status comes from the ESC/POS real-time queries (DLE EOT 1 and DLE EOT 4), which only connections that can
read (serial, usb, network) answer; ``file`` and ``dummy`` report paper ``"unknown"``. Errors surface as one
:class:`PrinterError` whose message is Vietnamese first, for the kiosk screen and the office's alarm.
"""

from __future__ import annotations

import contextlib
import copy
import logging
from dataclasses import dataclass
from enum import Enum
from typing import Any, Literal

from PIL import Image

from queue_server.contract.errors import MotcuaError

logger = logging.getLogger(__name__)

PrinterKind = Literal["usb", "serial", "network", "file", "dummy"]
KINDS: tuple[str, ...] = ("usb", "serial", "network", "file", "dummy")
READABLE_KINDS = frozenset({"usb", "serial", "network"})
PaperState = Literal["ok", "near_end", "out", "unknown"]

# DLE EOT 4 (paper sensor) reply: bits 1 and 4 always set, bits 0 and 7 clear; bits 2-3 near end, 5-6 paper end.
_FIXED_MASK, _FIXED_BITS = 0x93, 0x12
_NEAR_END, _PAPER_END = 0x0C, 0x60


class PrinterFault(Enum):
    PAPER_OUT = ("Máy in hết giấy", "Printer out of paper")
    OFFLINE = ("Máy in không sẵn sàng (mất kết nối hoặc mở nắp)", "Printer offline or cover open")
    WRITE_FAILED = ("Lỗi gửi dữ liệu tới máy in", "Could not send data to the printer")
    NOT_FOUND = ("Không tìm thấy máy in", "Printer not found")
    BAD_CONFIG = ("Cấu hình máy in không hợp lệ", "Invalid printer configuration")


class PrinterError(MotcuaError):
    """A printer problem the kiosk must show and report; ``fault`` says which, ``detail`` is for the log."""

    def __init__(self, fault: PrinterFault, detail: str = "") -> None:
        vi, en = fault.value
        super().__init__(f"{vi} / {en}" + (f": {detail}" if detail else ""))
        self.fault, self.detail = fault, detail
        self.message_vi, self.message_en = vi, en


@dataclass(frozen=True)
class PrinterStatus:
    online: bool
    paper: PaperState


class TicketPrinter:
    """An opened ESC/POS connection plus its kind; a context manager whose ``close()`` may be called twice."""

    def __init__(self, kind: str, escpos: Any) -> None:
        self.kind, self.escpos = kind, escpos
        self._closed = False

    @property
    def can_read(self) -> bool:
        return self.kind in READABLE_KINDS

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            self.escpos.close()
        except Exception:
            # A vanished device fails its flush; escpos then keeps the handle and retries in __del__. Drop it.
            logger.exception("closing the %s printer failed", self.kind)
            device = getattr(self.escpos, "_device", None)
            with contextlib.suppress(Exception):
                device.close()  # type: ignore[union-attr]
            self.escpos.device = False

    def __enter__(self) -> TicketPrinter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _set_width(escpos: Any, width: int) -> None:
    """Tell escpos the paper width in dots (its default profile has none and prints a warning per image)."""
    data = copy.deepcopy(escpos.profile.profile_data)
    data.setdefault("media", {}).setdefault("width", {})["pixels"] = width
    escpos.profile.profile_data = data


def open_printer(kind: str, *, width: int = 576, profile: str | None = None, **options: Any) -> TicketPrinter:
    """Open the printer named by ``kind`` with its connection ``options`` (passed to python-escpos).

    usb: ``vendor_id``, ``product_id`` (ints), optional ``interface``, ``in_ep``, ``out_ep``;
    serial: ``devfile``, ``baudrate`` (``timeout`` defaults to 0.3 s: escpos reads status replies by waiting
    the whole timeout); network: ``host``, ``port`` (9100), ``timeout``; file: ``path``; dummy: none.
    """
    if kind not in KINDS:
        raise PrinterError(PrinterFault.BAD_CONFIG, f"unknown printer kind {kind!r}, expected one of {KINDS}")
    from escpos import printer as escpos_printer
    from escpos.exceptions import DeviceNotFoundError

    try:
        if kind == "usb":
            escpos = escpos_printer.Usb(
                idVendor=options.pop("vendor_id"), idProduct=options.pop("product_id"), profile=profile, **options
            )
        elif kind == "serial":
            options.setdefault("timeout", 0.3)
            escpos = escpos_printer.Serial(devfile=options.pop("devfile"), profile=profile, **options)
        elif kind == "network":
            escpos = escpos_printer.Network(host=options.pop("host"), profile=profile, **options)
        elif kind == "file":
            path = options.pop("path")
            escpos = escpos_printer.File(devfile=str(path), profile=profile, **options)
            # escpos opens its file with "wb"; a ticket log must keep every earlier ticket, so append instead.
            escpos.device = open(path, "ab")  # noqa: SIM115 - closed by escpos.close()
        else:
            escpos = escpos_printer.Dummy(profile=profile, **options)
        if kind in READABLE_KINDS:
            escpos.open()
    except KeyError as exc:
        raise PrinterError(PrinterFault.BAD_CONFIG, f"{kind} printer needs option {exc}") from None
    except (DeviceNotFoundError, OSError, ValueError) as exc:
        hint = " (install the Debian package libusb-1.0-0)" if type(exc).__name__ == "NoBackendError" else ""
        raise PrinterError(PrinterFault.NOT_FOUND, f"{kind}: {exc}{hint}") from exc
    _set_width(escpos, width)
    logger.info("opened %s printer (%d dots wide)", kind, width)
    return TicketPrinter(kind, escpos)


def decode_paper(reply: bytes) -> PaperState:
    """Decode the DLE EOT 4 reply byte; no reply or a malformed byte is ``"unknown"``, not "ok"."""
    if len(reply) != 1 or reply[0] & _FIXED_MASK != _FIXED_BITS:
        return "unknown"
    if reply[0] & _PAPER_END:
        return "out"
    return "near_end" if reply[0] & _NEAR_END else "ok"


def printer_status(printer: TicketPrinter) -> PrinterStatus:
    """Ask the printer whether it is online and how much paper is left (never raises for a silent printer)."""
    if not printer.can_read:
        return PrinterStatus(online=True, paper="unknown")
    from escpos.constants import RT_STATUS_PAPER

    try:
        online = bool(printer.escpos.is_online())
        paper = decode_paper(bytes(printer.escpos.query_status(RT_STATUS_PAPER)))
    except Exception as exc:  # any failure to talk is "offline"; the caller alarms, we log why
        logger.warning("%s printer status query failed: %s", printer.kind, exc)
        return PrinterStatus(online=False, paper="unknown")
    return PrinterStatus(online=online, paper=paper)


def print_ticket(printer: TicketPrinter, image: Image.Image, *, check_status: bool = True) -> None:
    """Print ``image`` as a raster bit image (GS v 0), then feed and cut (GS V).

    On connections that can read, the status is checked first so a ticket is not "printed" into an empty
    printer while the citizen waits: paper out or offline raises :class:`PrinterError` and nothing is sent.
    """
    if check_status and printer.can_read:
        status = printer_status(printer)
        if not status.online:
            raise PrinterError(PrinterFault.OFFLINE)
        if status.paper == "out":
            raise PrinterError(PrinterFault.PAPER_OUT)
        if status.paper == "near_end":
            logger.warning("%s printer paper near end", printer.kind)
    from escpos.exceptions import Error as EscposError

    try:
        printer.escpos.image(image, impl="bitImageRaster")
        printer.escpos.cut()
    except (OSError, EscposError) as exc:
        raise PrinterError(PrinterFault.WRITE_FAILED, f"{type(exc).__name__}: {exc}") from exc
