"""What every kiosk screen is made of: labels and buttons laid out in pixels, drawn with DejaVu Sans.

A screen's :meth:`Screen.build` returns its widgets for the current size; the app hit-tests taps against the
same list it draws, and the widgets' text is the screen's view model (tests read it instead of pixels).

Accessibility rules applied here for every screen: buttons at least ``TOUCH_MIN`` px in both directions (15 mm on
a 10" 1280x800 panel is about 90 px), text never below ``TEXT_MIN`` px (fitted text shrinks to it, then wraps,
then ends with "…"), dark text on white or white on dark blue (contrast above 7:1).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TYPE_CHECKING

import pygame

from hardware.fonts import BOLD, REGULAR, find_font

if TYPE_CHECKING:
    from kiosk.app import KioskApp

TOUCH_MIN = 96
TEXT_MIN = 24
MARGIN, GAP = 24, 16
HEADER_H = 112
Color = tuple[int, int, int]
WHITE: Color = (255, 255, 255)
INK: Color = (17, 17, 17)
BLUE: Color = (11, 61, 145)
PALE: Color = (230, 236, 245)
YELLOW: Color = (255, 210, 0)
RED: Color = (176, 0, 32)
GREY: Color = (96, 96, 96)
STYLES: dict[str, tuple[Color, Color]] = {  # background, text
    "primary": (BLUE, WHITE),
    "secondary": (PALE, INK),
    "priority": (YELLOW, INK),
    "danger": (RED, WHITE),
    "disabled": (GREY, WHITE),
}


@dataclass
class Label:
    text: str
    rect: pygame.Rect
    size: int = 32
    bold: bool = False
    color: Color = INK
    align: str = "center"
    background: Color | None = None


@dataclass
class Button:
    key: str
    text: str
    rect: pygame.Rect
    action: Callable[[], None] = field(repr=False)
    style: str = "primary"
    enabled: bool = True
    detail: str = ""
    size: int = 34


Widget = Label | Button


class Screen:
    """One screen of the kiosk; subclasses set ``name`` and implement :meth:`build`."""

    name = "screen"

    def __init__(self, app: KioskApp) -> None:
        self.app = app

    def build(self, width: int, height: int) -> list[Widget]:
        raise NotImplementedError

    def on_text(self, text: str) -> None:
        """Characters typed on a physical keyboard (pygame TEXTINPUT)."""

    def on_key(self, key: int) -> None:
        """A physical key pressed (pygame KEYDOWN); Escape is handled by the app."""


# -- layout ---------------------------------------------------------------------------------------------------
def grid(area: pygame.Rect, count: int, columns: int, row_height: int) -> list[pygame.Rect]:
    """``count`` cells, ``columns`` wide, each ``row_height`` tall, filling ``area`` from the top."""
    width = (area.width - GAP * (columns - 1)) // columns
    return [
        pygame.Rect(
            area.x + (i % columns) * (width + GAP), area.y + (i // columns) * (row_height + GAP), width, row_height
        )
        for i in range(count)
    ]


def row(area: pygame.Rect, count: int) -> list[pygame.Rect]:
    return grid(area, count, count, area.height)


def fits(area_height: int, row_height: int) -> int:
    """How many rows of ``row_height`` fit in ``area_height`` (at least one)."""
    return max(1, (area_height + GAP) // (row_height + GAP))


def pager(
    screen: Screen, area: pygame.Rect, page: int, pages: int, go: Callable[[int], None], compact: bool = False
) -> list[Widget]:
    """Previous / "Trang 2/3" / next in ``area`` (arrows only when ``compact``): lists never scroll."""
    from kiosk.i18n import _

    if pages <= 1:
        return []
    left, middle, right = row(area, 3)
    back, more = ("▲", "▼") if compact else ("◀ " + _("Trang trước"), _("Trang sau") + " ▶")
    where = f"{page + 1}/{pages}" if compact else _("Trang {page}/{pages}").format(page=page + 1, pages=pages)
    return [
        Button("page:prev", back, left, lambda: go(page - 1), "secondary", page > 0),
        Label(where, middle, 28),
        Button("page:next", more, right, lambda: go(page + 1), "secondary", page < pages - 1),
    ]


def header(app: KioskApp, width: int, title: str) -> list[Widget]:
    """The blue bar: office name or screen title on the left, the language toggle on the right."""
    from kiosk.i18n import language

    toggle = pygame.Rect(width - MARGIN - 230, (HEADER_H - TOUCH_MIN) // 2, 230, TOUCH_MIN)
    bar = pygame.Rect(0, 0, width, HEADER_H)
    text = pygame.Rect(MARGIN, 8, toggle.x - 2 * MARGIN, HEADER_H - 16)
    other = "English" if language() == "vi" else "Tiếng Việt"
    return [
        Label("", bar, background=BLUE),
        Label(title, text, 34, bold=True, color=WHITE, align="left"),
        Button("language", other, toggle, app.toggle_language, "secondary", size=30),
    ]


# -- drawing --------------------------------------------------------------------------------------------------
@lru_cache(maxsize=128)
def font(size: int, bold: bool = False) -> pygame.font.Font:
    return pygame.font.Font(str(find_font(BOLD if bold else REGULAR)), size)


def wrap(text: str, face: pygame.font.Font, width: int) -> list[str]:
    lines: list[str] = []
    for paragraph in text.split("\n"):
        current = ""
        for word in paragraph.split():
            candidate = f"{current} {word}" if current else word
            if current and face.size(candidate)[0] > width:
                lines.append(current)
                current = word
            else:
                current = candidate
        lines.append(current)
    return lines


def fit(text: str, size: int, bold: bool, width: int, height: int) -> tuple[pygame.font.Font, list[str]]:
    """The largest size from ``size`` down to ``TEXT_MIN`` at which ``text`` fits; else truncated with "…"."""
    for candidate in range(max(size, TEXT_MIN), TEXT_MIN - 1, -2):
        face = font(candidate, bold)
        lines = wrap(text, face, width)
        if len(lines) * face.get_linesize() <= height and all(face.size(s)[0] <= width for s in lines):
            return face, lines
    face = font(TEXT_MIN, bold)
    keep = max(1, height // face.get_linesize())
    lines = wrap(text, face, width)[:keep]
    while lines and face.size(lines[-1] + "…")[0] > width and len(lines[-1]) > 1:
        lines[-1] = lines[-1][:-1]
    lines[-1] += "…"
    return face, lines


def draw_text(
    surface: pygame.Surface, text: str, rect: pygame.Rect, size: int, bold: bool, color: Color, align: str
) -> None:
    if not text:
        return
    face, lines = fit(text, size, bold, rect.width, rect.height)
    line_h = face.get_linesize()
    y = rect.y + (rect.height - line_h * len(lines)) // 2
    for line in lines:
        image = face.render(line, True, color)
        x = rect.x if align == "left" else rect.x + (rect.width - image.get_width()) // 2
        surface.blit(image, (x, y))
        y += line_h


def draw(surface: pygame.Surface, widgets: Sequence[Widget]) -> None:
    surface.fill(WHITE)
    for widget in widgets:
        if isinstance(widget, Label):
            if widget.background is not None:
                surface.fill(widget.background, widget.rect)
            draw_text(surface, widget.text, widget.rect, widget.size, widget.bold, widget.color, widget.align)
            continue
        background, ink = STYLES["disabled" if not widget.enabled else widget.style]
        pygame.draw.rect(surface, background, widget.rect, border_radius=14)
        pygame.draw.rect(surface, INK if widget.style in ("secondary", "priority") else background, widget.rect, 2, 14)
        inner = widget.rect.inflate(-24, -12)
        if widget.detail:
            top = pygame.Rect(inner.x, inner.y, inner.width, inner.height * 3 // 5)
            bottom = pygame.Rect(inner.x, top.bottom, inner.width, inner.height - top.height)
            draw_text(surface, widget.text, top, widget.size, True, ink, "center")
            draw_text(surface, widget.detail, bottom, 28, False, ink, "center")
        else:
            draw_text(surface, widget.text, inner, widget.size, True, ink, "center")
