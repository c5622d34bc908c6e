"""The counter display on a small screen (a 5" or 7" HDMI/DSI panel above the counter), drawn with pygame.

Same model as the serial LED board, but with the full Vietnamese text: "Quầy 3", the field, and the ticket
number as large as the screen allows. Paused and link lost are whole-screen colours, readable from the hall.

Example::

    screen = CounterScreen((800, 480), fullscreen=True)
    screen.draw(model.view())
"""

from __future__ import annotations

from pathlib import Path

import pygame

from firmware.display import drawing
from firmware.display.counter_model import TRANSFER_TEXT
from hardware.counter_view import CounterView

BACKGROUND = {"serving": (10, 30, 80), "idle": (10, 30, 80), "paused": (150, 90, 0), "link_lost": (150, 20, 20),
              "transfer": (0, 95, 90)}  # fmt: skip
WHITE, YELLOW, GREY = (255, 255, 255), (255, 215, 0), (190, 200, 220)
SUBTITLE = {"paused": "Xin mời sang quầy khác", "link_lost": "Đang kết nối lại…", "idle": "Chưa có số"}


def render_counter(surface: pygame.Surface, view: CounterView, font_dir: Path | None = None) -> None:
    """Draw ``view`` onto any surface (a window, or an off-screen surface in tests)."""
    width, height = surface.get_size()
    surface.fill(BACKGROUND[view.mode])
    pad = width // 30
    top = pygame.Rect(pad, pad // 2, width - 2 * pad, height // 5)
    drawing.text(surface, view.counter_text.upper(), top, WHITE, font_dir=font_dir)
    middle = pygame.Rect(pad, top.bottom, width - 2 * pad, height * 11 // 20)
    if view.mode == "serving":
        number_box = middle
        if view.display_name:  # small, under the number: whom staff are calling, on this counter's screen only
            name_h = height // 10
            number_box = pygame.Rect(middle.x, middle.y, middle.width, middle.height - name_h)
            name_box = pygame.Rect(middle.x, number_box.bottom, middle.width, name_h)
            drawing.text(surface, view.display_name, name_box, WHITE, bold=False, font_dir=font_dir)
        drawing.text(surface, view.headline, number_box, YELLOW, font_dir=font_dir)
        bottom_text = view.service or ""
    elif view.mode == "transfer":
        drawing.text(surface, view.headline, middle.inflate(0, -middle.height // 3), WHITE, font_dir=font_dir)
        bottom_text = f"{TRANSFER_TEXT} {view.label} ({view.position}) · giữ nút để xác nhận"
    else:
        drawing.text(surface, view.headline, middle.inflate(0, -middle.height // 3), WHITE, font_dir=font_dir)
        bottom_text = SUBTITLE.get(view.mode, "")
    bottom = pygame.Rect(pad, middle.bottom, width - 2 * pad, height - middle.bottom - pad // 2)
    if view.notice:  # the unit runs on its cached office copy: a strip along the bottom, the subtitle above it
        strip = pygame.Rect(0, height - height // 12, width, height // 12)
        surface.fill(YELLOW, strip)
        drawing.text(surface, view.notice, strip.inflate(-pad, -pad // 4), (0, 0, 0), bold=False, font_dir=font_dir)
        bottom.height -= strip.height
    if bottom_text:  # grey on navy reads well; on the amber and red screens only white does
        colour = GREY if view.mode in ("serving", "idle") else WHITE
        drawing.text(surface, bottom_text, bottom, colour, bold=False, font_dir=font_dir)


class CounterScreen(drawing.Window):
    """A pygame window showing one counter's view. ``close()`` is idempotent."""

    def __init__(self, size: tuple[int, int] = (800, 480), *, fullscreen: bool = False) -> None:
        super().__init__(size, fullscreen=fullscreen, caption="motcua — quầy")

    def draw(self, view: CounterView) -> None:
        pygame.event.pump()
        render_counter(self.surface, view)
        pygame.display.flip()

    show = draw  # the name the counter display runner calls on every output
