"""Render a queue ticket as a 1-bit raster image for a thermal printer (80 mm: 576 dots, 58 mm: 384 dots).

Rendering to an image rather than sending text keeps Vietnamese correct on any printer: ESC/POS code pages
have no complete Vietnamese set, and stacked tone marks (Ệ, Ử) break on most printers' built-in fonts. The
layout follows the real commune ticket in ``shared/reference/voice_and_ticket.md`` §3: office name, "SỐ THỨ
TỰ", a very large number, the field and counters, the time of issue, then what the citizen wants to know
next (people ahead, estimated wait) and a QR code to follow the queue. No personal data is ever printed.

The font is DejaVu Sans from Debian's ``fonts-dejavu-core`` (full Vietnamese coverage, found by
``hardware.fonts``); pass ``font_dir`` to use another DejaVu copy.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from urllib.parse import quote

import qrcode
from PIL import Image, ImageDraw, ImageFont

from hardware.fonts import BOLD, REGULAR, find_font
from queue_server.contract.payloads import TicketResult

logger = logging.getLogger(__name__)

WIDTH_80MM = 576
WIDTH_58MM = 384


@dataclass(frozen=True)
class TicketView:
    """Everything printed on one ticket; built by the kiosk from the server's ``issue_ticket`` reply."""

    ticket_id: str
    label: str
    office_name: str
    field_name: str
    counters: tuple[str, ...]
    issued_at: datetime
    people_ahead: int
    estimated_wait_min: int | None = None
    priority: bool = False

    @classmethod
    def from_reply(
        cls,
        ticket: TicketResult,
        *,
        office_name: str,
        field_name: str,
        counters: tuple[str, ...],
        issued_at: datetime,
        estimated_wait_min: int | None = None,
    ) -> TicketView:
        """Build the view from ``result.ticket`` of the server's ``issue_ticket`` reply (see DeviceLink.request)."""
        return cls(
            ticket_id=ticket.ticket_id,
            label=ticket.label or "",
            office_name=office_name,
            field_name=field_name,
            counters=counters,
            issued_at=issued_at,
            people_ahead=ticket.people_ahead or 0,
            estimated_wait_min=estimated_wait_min,
            priority=ticket.priority is not None,
        )


@lru_cache(maxsize=64)
def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(path), size)


def ticket_url(base_url: str, ticket_id: str) -> str:
    """The QR code's target: the ticket id only, nothing about the citizen."""
    return f"{base_url.rstrip('/')}/t/{quote(ticket_id, safe='')}"


def qr_image(data: str, size: int) -> Image.Image:
    """A square 1-bit QR code of about ``size`` pixels (whole pixels per module, so it scans cleanly)."""
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=2)
    code.add_data(data)
    code.make(fit=True)
    matrix = code.get_matrix()
    modules = len(matrix)
    small = Image.new("1", (modules, modules), 1)
    small.putdata([0 if dark else 1 for row in matrix for dark in row])
    scale = max(1, size // modules)
    return small.resize((modules * scale, modules * scale), Image.Resampling.NEAREST)


class _Pen:
    """Draws centred lines top to bottom on a tall canvas, wrapping words to the paper width."""

    def __init__(self, width: int, regular: Path, bold: Path) -> None:
        self.width, self.margin = width, max(8, width // 36)
        self.regular, self.bold = regular, bold
        self.image = Image.new("L", (width, width * 4), 255)
        self.draw = ImageDraw.Draw(self.image)
        self.y = self.margin

    def px(self, fraction: float) -> int:
        return max(1, round(self.width * fraction))

    def _wrap(self, text: str, font: ImageFont.FreeTypeFont) -> list[str]:
        lines: list[str] = []
        for word in text.split():
            if lines and self.draw.textlength(lines[-1] + " " + word, font=font) <= self.width - 2 * self.margin:
                lines[-1] += " " + word
            else:
                lines.append(word)
        return lines or [""]

    def text(self, text: str, size: float, bold: bool = False, gap: float = 0.012) -> None:
        font = _font(self.bold if bold else self.regular, self.px(size))
        for line in self._wrap(text, font):
            left, top, right, bottom = self.draw.textbbox((0, 0), line, font=font, anchor="la")
            self.draw.text(((self.width - (right - left)) / 2 - left, self.y - top), line, font=font, fill=0)
            self.y += round(bottom - top) + self.px(gap)
        self.y += self.px(gap)

    def big(self, text: str, max_height: float) -> None:
        """The ticket number: the largest bold size that fits the width and ``max_height``."""
        size = self.px(max_height)
        font = _font(self.bold, size)
        while size > 10 and self.draw.textlength(text, font=font) > self.width - 2 * self.margin:
            size = int(size * 0.92)
            font = _font(self.bold, size)
        self.text(text, size / self.width, bold=True, gap=0.02)

    def inverted(self, text: str, size: float) -> None:
        """White on black, for the priority marker: visible at arm's length."""
        font = _font(self.bold, self.px(size))
        left, top, right, bottom = self.draw.textbbox((0, 0), text, font=font, anchor="la")
        pad = self.px(0.02)
        box_w, box_h = round(right - left) + 2 * pad, round(bottom - top) + 2 * pad
        x0 = (self.width - box_w) // 2
        self.draw.rectangle((x0, self.y, x0 + box_w, self.y + box_h), fill=0)
        self.draw.text((x0 + pad - left, self.y + pad - top), text, font=font, fill=255)
        self.y += box_h + self.px(0.025)

    def rule(self) -> None:
        self.y += self.px(0.01)
        self.draw.line((self.margin, self.y, self.width - self.margin, self.y), fill=0, width=max(2, self.width // 200))
        self.y += self.px(0.03)

    def paste(self, image: Image.Image) -> None:
        self.image.paste(image.convert("L"), ((self.width - image.width) // 2, self.y))
        self.y += image.height + self.px(0.015)

    def finish(self) -> Image.Image:
        cropped = self.image.crop((0, 0, self.width, self.y + self.margin))
        return cropped.point(lambda p: 255 if p >= 128 else 0).convert("1", dither=Image.Dither.NONE)


def render_ticket(
    view: TicketView,
    *,
    base_url: str,
    width: int = WIDTH_80MM,
    font_dir: Path | None = None,
) -> Image.Image:
    """Render ``view`` as a mode-"1" image exactly ``width`` pixels wide (576 for 80 mm, 384 for 58 mm paper)."""
    if width < 256 or width % 8:
        raise ValueError("ticket width must be a multiple of 8 pixels, at least 256")
    pen = _Pen(width, find_font(REGULAR, font_dir), find_font(BOLD, font_dir))
    pen.text(view.office_name.upper(), 0.045, bold=True)
    pen.rule()
    pen.text("SỐ THỨ TỰ", 0.05)
    pen.big(view.label, max_height=0.33)
    if view.priority:
        pen.inverted("ƯU TIÊN", 0.07)
    pen.text(view.field_name.upper(), 0.06, bold=True)
    if view.counters:
        pen.text("Mời đến: " + ", ".join(view.counters), 0.048)
    pen.rule()
    pen.text(f"Số người đang chờ trước bạn: {view.people_ahead}", 0.042)
    if view.estimated_wait_min is not None:
        pen.text(f"Thời gian chờ dự kiến: khoảng {view.estimated_wait_min} phút", 0.042)
    pen.text(f"Thời gian in vé: {view.issued_at:%d/%m/%Y - %H:%M:%S}", 0.038)
    pen.paste(qr_image(ticket_url(base_url, view.ticket_id), pen.px(0.36)))
    pen.text("Quét mã để theo dõi lượt của bạn", 0.036)
    pen.text("Cảm ơn Quý khách!", 0.042, bold=True)
    return pen.finish()
