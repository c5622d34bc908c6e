"""The counter display on a serial LED board: one fixed-length frame per screenful (see docs/serial-display.md).

Frame (24 bytes)::

    STX 0x02 | CMD 1 byte | TEXT 20 bytes ASCII | ETX 0x03 | BCC 1 byte (XOR of CMD..ETX)

``CMD`` is ``N`` (number), ``P`` (paused), ``L`` (link lost), ``T`` (transfer target being chosen: the field's
name, cut to 12, and ``CHUYEN``) or ``C`` (clear). ``TEXT`` is 12 characters of
main text, left-aligned, then 8 of counter text, right-aligned: ``"A025          QUAY 3"``. Most LED boards have
no Vietnamese glyphs, so text is transliterated (diacritics dropped, đ -> D, upper case); a ticket number is
sent exactly as it is, or not at all: a label that is not plain ASCII letters and digits raises ``ValueError``.
A board with a graphic mode (``mode="bitmap"``) is sent the same screen drawn in Vietnamese with every diacritic
instead: ``hardware/serial_bitmap.py``, docs/serial-display.md "Graphic mode".

Wiring: the board's RX to the Pi's TX (GPIO14, ``/dev/serial0``) through a 3.3 V -> 5 V level shifter or a
MAX3485 for RS-485 boards; common ground. Example::

    with SerialCounterDisplay("/dev/serial0", 9600) as display:
        display.show(CounterView("serving", 3, "A025"))
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from typing import Any, Literal

from hardware.counter_view import CounterView

logger = logging.getLogger(__name__)
STX, ETX = 0x02, 0x03
MAIN_WIDTH, COUNTER_WIDTH = 12, 8
TEXT_WIDTH = MAIN_WIDTH + COUNTER_WIDTH
FRAME_LENGTH = TEXT_WIDTH + 4
COMMANDS = {"serving": b"N", "idle": b"N", "paused": b"P", "link_lost": b"L", "transfer": b"T"}
TRANSFER_COUNTER_TEXT = "CHUYEN"
CLEAR = b"C"
_LABEL = re.compile(r"^[A-Z0-9-]{1,12}$")
_D_MAP = str.maketrans({"đ": "d", "Đ": "D"})


def transliterate(text: str) -> str:
    """``text`` as the upper-case ASCII an LED board can show: "Quầy 3" -> "QUAY 3"; other symbols -> "?".

    >>> transliterate("MẤT KẾT NỐI")
    'MAT KET NOI'
    """
    decomposed = unicodedata.normalize("NFD", text.translate(_D_MAP))
    plain = "".join(ch for ch in decomposed if not unicodedata.combining(ch)).upper()
    return "".join(ch if " " <= ch <= "~" else "?" for ch in plain)


def checksum(body: bytes) -> int:
    """XOR of every byte from CMD through ETX."""
    value = 0
    for byte in body:
        value ^= byte
    return value


def frame(command: bytes, main: str = "", counter: str = "") -> bytes:
    """One frame; ``main`` and ``counter`` are transliterated, and must fit (nothing is cut silently)."""
    main_text, counter_text = transliterate(main), transliterate(counter)
    if len(main_text) > MAIN_WIDTH or len(counter_text) > COUNTER_WIDTH:
        raise ValueError(f"text too wide for the board: {main_text!r} / {counter_text!r}")
    text = (main_text.ljust(MAIN_WIDTH) + counter_text.rjust(COUNTER_WIDTH)).encode("ascii")
    body = command + text + bytes([ETX])
    return bytes([STX]) + body + bytes([checksum(body)])


def frame_for(view: CounterView) -> bytes:
    """The frame for a counter display's view (``hardware.counter_view.CounterView``)."""
    counter = view.counter_text
    if view.mode == "serving":
        label = view.headline
        if not _LABEL.fullmatch(label):
            raise ValueError(f"ticket label {label!r} cannot be shown exactly on an ASCII LED board")
        return frame(COMMANDS["serving"], label, counter)
    if view.mode == "transfer":  # a field name may be longer than the board: cut, it is only a staff prompt
        return frame(COMMANDS["transfer"], transliterate(view.service or "")[:MAIN_WIDTH], TRANSFER_COUNTER_TEXT)
    return frame(COMMANDS[view.mode], view.headline, counter)


def clear_frame() -> bytes:
    return frame(CLEAR)


class SerialCounterDisplay:
    """An LED board on a serial port (pyserial). ``show`` sends a frame; ``close`` clears the board once."""

    def __init__(
        self,
        port: str,
        baudrate: int = 9600,
        *,
        timeout: float = 1.0,
        mode: Literal["text", "bitmap"] = "text",
        pixels: tuple[int, int] = (128, 32),
    ) -> None:
        """``mode="bitmap"``: a board with a graphic mode, shown Vietnamese with diacritics at ``pixels``
        (``hardware.serial_bitmap``); ``"text"``: the ASCII text frame every board reads."""
        import serial  # only the serial driver needs pyserial

        self.port, self.mode, self.pixels = port, mode, pixels
        self._serial: Any = serial.Serial(port, baudrate=baudrate, timeout=timeout, write_timeout=timeout)
        self._lock = threading.Lock()
        self._closed = False
        self.last_frame: bytes | None = None

    def show(self, view: CounterView) -> bytes:
        """Send the view; an unshowable label is logged and the board shows the idle dash instead."""
        try:
            data = self._bitmap(view) if self.mode == "bitmap" else frame_for(view)
        except ValueError:
            logger.exception("display=%s cannot show %r; showing idle", self.port, view.label)
            data = frame(COMMANDS["idle"], "---", view.counter_text)
        self._write(data)
        return data

    def _bitmap(self, view: CounterView) -> bytes:
        from hardware.serial_bitmap import bitmap_frame_for  # Pillow, only for a graphic board

        if view.mode == "serving" and not _LABEL.fullmatch(view.headline):
            raise ValueError(f"ticket label {view.headline!r} is not a motcua label")
        return bitmap_frame_for(view, self.pixels)

    def clear(self) -> None:
        self._write(clear_frame())

    def _write(self, data: bytes) -> None:
        with self._lock:
            if self._closed:
                raise RuntimeError("display is closed")
            self._serial.write(data)
            self._serial.flush()
            self.last_frame = data

    def close(self) -> None:
        if self._closed:
            return
        try:
            self.clear()
        except Exception:
            logger.exception("display=%s could not clear the board on close", self.port)
        with self._lock:
            self._closed = True
            self._serial.close()

    def __enter__(self) -> SerialCounterDisplay:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
