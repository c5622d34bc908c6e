"""Vietnamese on a serial LED board that has a graphic mode: the text drawn with DejaVu Sans (every diacritic),
sent as one 1-bit bitmap frame. Boards with only an ASCII font keep the text frame (``hardware.serial_display``).

Most queue LED boards are P10-style matrices (32x16 pixels per module, chained: 64x16, 128x32, ...) driven by a
controller that can show either its built-in ASCII font or a bitmap it is sent. A built-in font cannot show
"Quầy" (its stacked marks need glyphs no such font carries), so on a bitmap-capable board the text is rendered
here, at the board's size, and the board only lights pixels. Frame (see docs/serial-display.md, "Graphic mode")::

    STX 0x02 | CMD 'G' | W 2 bytes big-endian | H 1 byte | DATA ceil(W/8)*H bytes | ETX 0x03 | BCC (XOR CMD..ETX)

DATA is row by row from the top, each row ``ceil(W/8)`` bytes, the most significant bit the leftmost pixel, 1 =
lit. The frame's length follows from W and H, so a board reads by length (a data byte may equal STX or ETX).

Layout: the ticket number (or the state that replaces it: "TẠM DỪNG", "MẤT KẾT NỐI") large on the left, the
counter ("Quầy 3", or "CHUYỂN" while a transfer target is chosen) on the right; each as large as fits.

Example::

    data = bitmap_frame_for(view, (128, 32))      # bytes for the board
"""

from __future__ import annotations

import math
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

from hardware.counter_view import CounterView
from hardware.fonts import BOLD, find_font

STX, ETX = 0x02, 0x03
GRAPHIC = b"G"
TRANSFER_COUNTER_TEXT = "CHUYỂN"
MAIN_SHARE = 0.6
"""The share of the board's width the ticket number gets; the counter text the rest."""


def frame_length(size: tuple[int, int]) -> int:
    width, height = size
    return 1 + 1 + 2 + 1 + math.ceil(width / 8) * height + 1 + 1


@lru_cache(maxsize=64)
def _font(px: int, font_dir: Path | None) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(find_font(BOLD, font_dir)), px)


def _fit(draw: ImageDraw.ImageDraw, text: str, box: tuple[int, int], font_dir: Path | None) -> ImageFont.FreeTypeFont:
    """The largest DejaVu Bold at which ``text`` (its accents included) fits ``box``."""
    width, height = box
    for px in range(height + 4, 5, -1):
        face = _font(px, font_dir)
        left, top, right, bottom = draw.textbbox((0, 0), text, font=face)
        if right - left <= width and bottom - top <= height:
            return face
    return _font(6, font_dir)


def _place(draw: ImageDraw.ImageDraw, text: str, box: tuple[int, int, int, int], font_dir: Path | None) -> None:
    x0, y0, x1, y1 = box
    if not text:
        return
    face = _fit(draw, text, (x1 - x0, y1 - y0), font_dir)
    left, top, right, bottom = draw.textbbox((0, 0), text, font=face)
    x = x0 + (x1 - x0 - (right - left)) // 2 - left
    y = y0 + (y1 - y0 - (bottom - top)) // 2 - top
    draw.text((x, y), text, fill=1, font=face)


def texts_for(view: CounterView) -> tuple[str, str]:
    """(main, counter) as the board shows them, in Vietnamese with diacritics."""
    if view.mode == "transfer":
        return view.service or "", TRANSFER_COUNTER_TEXT
    return view.headline, view.counter_text


def render(view: CounterView, size: tuple[int, int], font_dir: Path | None = None) -> Image.Image:
    """The board's picture of ``view`` (mode "1", 1 = lit)."""
    width, height = size
    image = Image.new("1", size, 0)
    draw = ImageDraw.Draw(image)
    main, counter = texts_for(view)
    split = round(width * MAIN_SHARE)
    _place(draw, main, (0, 0, split - 1, height), font_dir)
    _place(draw, counter, (split + 1, 0, width, height), font_dir)
    return image


def bitmap_frame(image: Image.Image) -> bytes:
    """The frame for a 1-bit picture (see the module docstring)."""
    width, height = image.size
    if width > 0xFFFF or height > 0xFF:
        raise ValueError(f"board size {width}x{height} does not fit the frame (W <= 65535, H <= 255)")
    data = image.convert("1").tobytes()  # Pillow's mode "1": rows padded to a byte, MSB first, 1 = white (lit)
    body = GRAPHIC + width.to_bytes(2, "big") + bytes([height]) + data + bytes([ETX])
    bcc = 0
    for byte in body:
        bcc ^= byte
    return bytes([STX]) + body + bytes([bcc])


def bitmap_frame_for(view: CounterView, size: tuple[int, int], font_dir: Path | None = None) -> bytes:
    return bitmap_frame(render(view, size, font_dir))


def parse_bitmap_frame(frame: bytes) -> Image.Image:
    """A frame read back into its picture (what a board does; the tests check the bytes with it)."""
    if len(frame) < 7 or frame[0] != STX or frame[1:2] != GRAPHIC:
        raise ValueError("not a graphic frame")
    width, height = int.from_bytes(frame[2:4], "big"), frame[4]
    if len(frame) != frame_length((width, height)) or frame[-2] != ETX:
        raise ValueError(f"a {width}x{height} graphic frame is {frame_length((width, height))} bytes, not {len(frame)}")
    bcc = 0
    for byte in frame[1:-1]:
        bcc ^= byte
    if bcc != frame[-1]:
        raise ValueError("checksum mismatch")
    return Image.frombytes("1", (width, height), frame[5:-2])
