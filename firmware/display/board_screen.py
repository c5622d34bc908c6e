"""The hall board, drawn with pygame on a full-HD (1920x1080) or HD (1280x720) screen; everything scales.

Left: the latest calls, number -> counter, the newest on a yellow band that flashes when it arrives. Right:
what each counter serves now. Bottom: how many people wait per field. A red banner across the top whenever
the link or the server is down; then nothing is shown as current.

Example::

    screen = BoardScreen((1920, 1080), fullscreen=True)
    screen.draw(model.view())
"""

from __future__ import annotations

from pathlib import Path

import pygame

from firmware.display import drawing
from firmware.display.board_model import BoardView, CallRow, CounterRow

BACKGROUND, PANEL, HEADER = (10, 18, 40), (22, 34, 68), (0, 70, 140)
WHITE, YELLOW, GREY, DARK, RED = (255, 255, 255), (255, 210, 0), (150, 160, 180), (10, 10, 10), (190, 20, 20)
TITLE = "MỜI CÔNG DÂN ĐẾN QUẦY"
CALL_ROWS = 6


def render_board(surface: pygame.Surface, view: BoardView, font_dir: Path | None = None) -> None:
    """Draw ``view`` onto any surface (the screen, or an off-screen surface in tests)."""
    width, height = surface.get_size()
    surface.fill(BACKGROUND)
    pad = height // 60
    header = pygame.Rect(0, 0, width, height // 11)
    surface.fill(HEADER, header)
    drawing.text(surface, TITLE, header.inflate(-4 * pad, -pad), WHITE, font_dir=font_dir)
    top = header.bottom
    if view.banner:
        banner = pygame.Rect(0, top, width, height // 12)
        surface.fill(RED, banner)
        drawing.text(surface, view.banner, banner.inflate(-4 * pad, -pad), WHITE, font_dir=font_dir)
        top = banner.bottom
    waiting = pygame.Rect(pad, height - height // 6, width - 2 * pad, height // 6 - pad)
    body = pygame.Rect(pad, top + pad, width - 2 * pad, waiting.top - top - 2 * pad)
    calls = pygame.Rect(body.left, body.top, body.width * 3 // 5 - pad, body.height)
    counters = pygame.Rect(calls.right + 2 * pad, body.top, body.right - calls.right - 2 * pad, body.height)
    _calls(surface, view.calls, calls, pad, font_dir)
    _counters(surface, view.counters, counters, pad, font_dir)
    _waiting(surface, view.waiting, waiting, pad, font_dir)


def _calls(surface: pygame.Surface, rows: tuple[CallRow, ...], box: pygame.Rect, pad: int, fd: Path | None) -> None:
    head = pygame.Rect(box.left, box.top, box.width, box.height // 9)
    head_text = head.inflate(-box.width // 2, -head.height // 4)
    drawing.text(surface, "SỐ", head_text.move(-box.width * 11 // 40, 0), GREY, font_dir=fd)
    drawing.text(surface, "QUẦY", head_text.move(box.width * 11 // 40, 0), GREY, font_dir=fd)
    unit = (box.bottom - head.bottom) // (CALL_ROWS + 1)  # the newest call gets two rows' height
    y = head.bottom
    for i, row in enumerate(rows[:CALL_ROWS]):
        rect = pygame.Rect(box.left, y, box.width, (2 if i == 0 else 1) * unit - pad // 2)
        y = rect.bottom + pad // 2
        fill, colour = PANEL, (WHITE if row.current else GREY)
        if row.highlighted:
            fill, colour = (PANEL, YELLOW) if row.flashing and not row.flash_on else (YELLOW, DARK)
        surface.fill(fill, rect)
        inner = rect.inflate(-2 * pad, -pad)
        cols = [pygame.Rect(inner.left + inner.width * a // 20, inner.top, inner.width * w // 20, inner.height)
                for a, w in ((0, 9), (9, 2), (11, 9))]  # fmt: skip
        counter = str(row.counter_number) if row.counter_number is not None else "?"
        drawing.text(surface, row.label, cols[0], colour, font_dir=fd)
        drawing.text(surface, "→", cols[1].inflate(0, -inner.height // 3), colour, bold=False, font_dir=fd)
        drawing.text(surface, counter, cols[2], colour, font_dir=fd)


def _counters(
    surface: pygame.Surface, rows: tuple[CounterRow, ...], box: pygame.Rect, pad: int, fd: Path | None
) -> None:
    head = pygame.Rect(box.left, box.top, box.width, box.height // 9)
    drawing.text(surface, "ĐANG PHỤC VỤ", head.inflate(0, -head.height // 4), GREY, font_dir=fd)
    slots = max(len(rows), 6)
    row_h = (box.bottom - head.bottom) // slots
    for i, row in enumerate(rows):
        rect = pygame.Rect(box.left, head.bottom + i * row_h, box.width, row_h - pad // 2)
        surface.fill(PANEL, rect)
        inner = rect.inflate(-2 * pad, -pad)
        left = pygame.Rect(inner.left, inner.top, inner.width * 9 // 20, inner.height)
        right = pygame.Rect(left.right + pad, inner.top, inner.right - left.right - pad, inner.height)
        drawing.text(surface, f"Quầy {row.number}", left.inflate(0, -inner.height // 4), WHITE, align="left",
                     font_dir=fd)  # fmt: skip
        if row.paused:
            drawing.text(surface, "Tạm dừng", right.inflate(0, -inner.height // 3), GREY, align="right", font_dir=fd)
        else:
            drawing.text(surface, row.label or "—", right, YELLOW if row.label else GREY, align="right", font_dir=fd)


def _waiting(
    surface: pygame.Surface, rows: tuple[tuple[str, int], ...], box: pygame.Rect, pad: int, fd: Path | None
) -> None:
    surface.fill(PANEL, box)
    label = pygame.Rect(box.left + pad, box.top, box.width // 8, box.height)
    drawing.text(surface, "Đang chờ", label.inflate(0, -box.height // 2), GREY, align="left", font_dir=fd)
    if not rows:
        return
    cell_w = (box.right - label.right - pad) // len(rows)
    for i, (name, count) in enumerate(rows):
        cell = pygame.Rect(label.right + i * cell_w, box.top, cell_w - pad, box.height).inflate(0, -pad)
        drawing.text(surface, str(count), cell.inflate(0, -cell.height * 2 // 5).move(0, -cell.height // 5), WHITE,
                     font_dir=fd)  # fmt: skip
        drawing.text(surface, name, cell.inflate(0, -cell.height * 7 // 10).move(0, cell.height * 3 // 10), GREY,
                     bold=False, font_dir=fd)  # fmt: skip


class BoardScreen(drawing.Window):
    """The board's window (full screen on the Pi). ``close()`` is idempotent."""

    def __init__(self, size: tuple[int, int] = (1920, 1080), *, fullscreen: bool = False) -> None:
        super().__init__(size, fullscreen=fullscreen, caption="motcua — bảng gọi số")

    def draw(self, view: BoardView) -> None:
        pygame.event.pump()
        render_board(self.surface, view)
        pygame.display.flip()
