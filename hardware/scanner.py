"""A serial barcode / QR scanner (pyserial): one scan = the bytes up to CR or LF, delivered on a reader thread.

Common 2D scanners (Honeywell, Zebra, Newland and the cheap clones) in USB-CDC or RS-232 mode send each code as
raw bytes followed by CR, LF or CR LF. This driver reassembles lines from reads of any size, refuses lines longer
than ``max_bytes`` (dropping everything up to the next terminator, so the tail of garbage is not taken for a new
scan), and reopens the port after a disconnect (a USB cable pulled, the device re-enumerated).

The scans are ID-card QR codes: personal data. Nothing here logs, keeps or names the payload; log lines say only
what happened ("scan of 97 bytes", "over-long input dropped"). The payload is handed to ``on_scan`` and the
driver's buffer is cleared.

Example::

    with SerialScanner("/dev/ttyACM0", on_scan=app.scan, on_rejected=app.scan_rejected) as scanner:
        ...

``port`` may be any pyserial URL or a stable symlink such as ``/dev/serial/by-id/usb-...``.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

logger = logging.getLogger(__name__)
MAX_SCAN_BYTES = 1024
"""An ID-card QR payload is about 100-250 bytes; anything over 1 KB is not one."""


class LineAssembler:
    """Bytes in, complete lines (CR, LF or CR LF ended) out; an over-long line is dropped whole, never cut up."""

    def __init__(self, max_bytes: int = MAX_SCAN_BYTES) -> None:
        self.max_bytes = max_bytes
        self._buffer = bytearray()
        self._dropping = False

    def feed(self, data: bytes) -> list[bytes | None]:
        """The lines completed by ``data``, in order; None stands for an over-long line that was dropped."""
        out: list[bytes | None] = []
        self._buffer += data.replace(b"\r", b"\n")
        while (end := self._buffer.find(b"\n")) >= 0:
            line = bytes(self._buffer[:end])
            del self._buffer[: end + 1]
            if self._dropping:  # the end of a line already reported as too long
                self._dropping = False
            elif len(line) > self.max_bytes:
                out.append(None)
            elif line:
                out.append(line)
        if len(self._buffer) > self.max_bytes:
            if not self._dropping:
                out.append(None)
            self._dropping = True
            self._buffer.clear()
        return out

    def reset(self) -> None:
        """Forget a partial line (after a disconnect: half a scan must not join the next one)."""
        self._buffer.clear()
        self._dropping = False


class SerialScanner:
    """Reads scans from a serial port on a thread; a context manager whose ``close()`` may be called twice.

    ``on_scan(payload)`` gets each complete scan; ``on_rejected(reason)`` each over-long one; ``on_status(ok)``
    is called when the port opens (True) and when it is lost or cannot be opened (False), for the device alarm.
    """

    def __init__(
        self,
        port: str,
        baudrate: int = 9600,
        *,
        on_scan: Callable[[bytes], None],
        on_rejected: Callable[[str], None] | None = None,
        on_status: Callable[[bool], None] | None = None,
        max_bytes: int = MAX_SCAN_BYTES,
        reopen_seconds: float = 2.0,
    ) -> None:
        self.port, self.baudrate = port, baudrate
        self.on_scan, self.on_rejected, self.on_status = on_scan, on_rejected, on_status
        self.reopen_seconds = reopen_seconds
        self._lines = LineAssembler(max_bytes)
        self._stop = threading.Event()
        self._serial: Any = None
        self._thread = threading.Thread(target=self._run, name="scanner", daemon=True)
        self.connected = False

    def start(self) -> SerialScanner:
        """Start reading (once; calling it again, e.g. by entering ``with``, does nothing)."""
        if self._thread.ident is None:
            self._thread.start()
        return self

    def __enter__(self) -> SerialScanner:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=5)
        self._close_port()

    # -- the reader thread ----------------------------------------------------------------------------------
    def _run(self) -> None:
        import serial  # only the scanner driver needs pyserial

        reported_down = False
        while not self._stop.is_set():
            try:
                self._serial = serial.serial_for_url(self.port, baudrate=self.baudrate, timeout=0.2)
            except (serial.SerialException, OSError, ValueError) as exc:
                if not reported_down:
                    logger.error("scanner %s not available (%s); retrying every %.0f s", self.port,
                                 type(exc).__name__, self.reopen_seconds)  # fmt: skip
                    self._status(False)
                    reported_down = True
                self._stop.wait(self.reopen_seconds)
                continue
            logger.info("scanner %s %s", self.port, "reconnected" if reported_down else "opened")
            reported_down = False
            self._status(True)
            try:
                self._read_until_lost()
            except (serial.SerialException, OSError) as exc:
                if self._stop.is_set():
                    break
                logger.warning("scanner %s disconnected (%s); reopening", self.port, type(exc).__name__)
                self._status(False)
                reported_down = True
            finally:
                self._lines.reset()
                self._close_port()
            self._stop.wait(self.reopen_seconds)

    def _read_until_lost(self) -> None:
        while not self._stop.is_set():
            data = self._serial.read(self._serial.in_waiting or 1)
            if not data:
                continue
            for line in self._lines.feed(data):
                self._deliver(line)
            del data

    def _deliver(self, line: bytes | None) -> None:
        try:
            if line is None:
                logger.warning("scanner %s: over-long input dropped (more than %d bytes without an end of line)",
                               self.port, self._lines.max_bytes)  # fmt: skip
                if self.on_rejected is not None:
                    self.on_rejected("too long")
                return
            logger.debug("scanner %s: scan of %d bytes", self.port, len(line))
            self.on_scan(line)
        except Exception as exc:  # no traceback or message: either could quote the scan
            logger.error("scanner %s: scan handler failed (%s)", self.port, type(exc).__name__)

    def _status(self, ok: bool) -> None:
        self.connected = ok
        if self.on_status is not None:
            try:
                self.on_status(ok)
            except Exception:
                logger.exception("scanner %s: status handler failed", self.port)

    def _close_port(self) -> None:
        port, self._serial = self._serial, None
        if port is not None:
            try:
                port.close()
            except Exception:
                logger.debug("scanner %s: close failed", self.port)
