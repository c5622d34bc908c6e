"""The ticket just issued (printed or not), and the messages when no ticket could be issued.

When printing fails the ticket stays on screen twice as long, with the printer's problem in red and a request
to note the number: the ticket exists on the server, so the citizen keeps their place.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pygame

from hardware.printer import PrinterError
from kiosk.i18n import _, language
from kiosk.screens.base import (
    GAP,
    HEADER_H,
    MARGIN,
    RED,
    TOUCH_MIN,
    WHITE,
    YELLOW,
    Button,
    Label,
    Screen,
    Widget,
    header,
)
from kiosk.ticket import TicketView

if TYPE_CHECKING:
    from kiosk.app import KioskApp


class TicketScreen(Screen):
    name = "ticket"

    def __init__(self, app: KioskApp, view: TicketView, printer_error: PrinterError | None) -> None:
        super().__init__(app)
        self.view, self.printer_error = view, printer_error
        self.seconds = app.config.timing.ticket_screen_s * (2 if printer_error else 1)
        if printer_error is not None:
            self.name = "printer_error"

    def info_lines(self) -> list[str]:
        view = self.view
        service = next((s for s in self.app.office.services if s.name_vi == view.field_name), None)
        lines = [service.name(language()) if service else view.field_name]
        if view.counters:
            counters = [c.replace("Quầy", _("Quầy")) for c in view.counters]
            lines.append(_("Mời đến: {counters}").format(counters=", ".join(counters)))
        lines.append(_("Số người đang chờ trước bạn: {n}").format(n=view.people_ahead))
        if view.wait is not None:
            lines.append(
                _("Thời gian chờ dự kiến: khoảng {n} phút (dự kiến gọi lúc {at})").format(
                    n=view.wait.minutes(), at=f"{view.wait.call_at:%H:%M}"
                )
            )
        return lines

    def notice(self) -> str:
        error = self.printer_error
        if error is None:
            return _("Mời bạn nhận vé in bên dưới")
        problem = error.message_en if language() == "en" else error.message_vi
        return problem + " — " + _("vui lòng ghi lại số của bạn")

    def build(self, width: int, height: int) -> list[Widget]:
        app, view = self.app, self.view
        widgets = header(app, width, app.office.name)
        done = pygame.Rect(width - MARGIN - 300, height - MARGIN - TOUCH_MIN, 300, TOUCH_MIN)
        widgets.append(Button("done", _("Xong"), done, app.home, "primary", size=36))
        notice = pygame.Rect(MARGIN, done.y, done.x - GAP - MARGIN, TOUCH_MIN)
        error = self.printer_error is not None
        widgets.append(Label(self.notice(), notice, 30, bold=error, color=WHITE if error else (17, 17, 17),
                             background=RED if error else None))  # fmt: skip
        top = HEADER_H + GAP
        landscape = width > height
        card_w = (width - 2 * MARGIN - GAP) // 2 if landscape else width - 2 * MARGIN
        card_h = done.y - GAP - top if landscape else (done.y - GAP - top) // 2
        card = pygame.Rect(MARGIN, top, card_w, card_h)
        widgets.append(Label(_("Số thứ tự của bạn"), pygame.Rect(card.x, card.y, card.w, 60), 36, bold=True))
        number = pygame.Rect(card.x, card.y + 60, card.w, card.h - 60 - (90 if view.priority else 0))
        widgets.append(Label(view.label, number, 200, bold=True, color=(11, 61, 145)))
        if view.priority:
            mark = pygame.Rect(card.x + card.w // 4, number.bottom, card.w // 2, 80)
            widgets.append(Label(_("Ưu tiên"), mark, 40, bold=True, background=YELLOW))
        info = pygame.Rect(card.right + GAP, top, card_w, card_h) if landscape else pygame.Rect(
            MARGIN, card.bottom + GAP, card_w, done.y - 2 * GAP - card.bottom
        )  # fmt: skip
        lines = self.info_lines()
        line_h = info.height // len(lines)
        for i, text in enumerate(lines):
            rect = pygame.Rect(info.x, info.y + i * line_h, info.w, line_h)
            widgets.append(Label(text, rect, 44 if i == 0 else 32, bold=i == 0, align="left"))
        return widgets


class MessageScreen(Screen):
    """A full-screen message with a way on; ``offline`` and ``refused`` are the two the app shows."""

    def __init__(self, app: KioskApp, name: str, title: str, text: str, hold_s: float = 0.0) -> None:
        super().__init__(app)
        self.name, self.title, self.text = name, title, text
        self.hold_s = hold_s
        """Stay at least this long even if the link is back (a request just timed out: let the citizen read)."""

    @classmethod
    def offline(cls, app: KioskApp, hold_s: float = 0.0) -> MessageScreen:
        return cls(app, "offline", "Hệ thống đang kết nối lại...", "Vui lòng chờ trong giây lát hoặc hỏi cán bộ.",
                   hold_s)  # fmt: skip

    @classmethod
    def refused(cls, app: KioskApp) -> MessageScreen:
        return cls(app, "refused", "Chưa lấy được số", "Vui lòng thử lại hoặc hỏi cán bộ tại quầy.")

    @classmethod
    def clock_not_synced(cls, app: KioskApp) -> MessageScreen:
        """The server refused (``clock_not_synced``): its clock is not trusted yet, so no number is issued."""
        return cls(app, "clock_not_synced", "Hệ thống chưa sẵn sàng cấp số",
                   "Đồng hồ máy chủ đang được kiểm tra. Vui lòng chờ ít phút hoặc hỏi cán bộ tại quầy.")  # fmt: skip

    @classmethod
    def busy(cls, app: KioskApp) -> MessageScreen:
        """The server refused (``rate_limited``): this kiosk asked for more numbers than its budget allows."""
        return cls(app, "busy", "Xin chờ một chút", "Ki-ốt vừa cấp nhiều số liền nhau. Vui lòng thử lại sau một phút.")

    def build(self, width: int, height: int) -> list[Widget]:
        from kiosk.screens.browse import SearchScreen

        app = self.app
        widgets = header(app, width, app.office.name)
        top = HEADER_H + 2 * GAP
        widgets.append(Label(_(self.title), pygame.Rect(MARGIN, top, width - 2 * MARGIN, 140), 52, bold=True))
        widgets.append(Label(_(self.text), pygame.Rect(MARGIN, top + 160, width - 2 * MARGIN, 120), 36))
        bottom = pygame.Rect(MARGIN, height - MARGIN - TOUCH_MIN, width - 2 * MARGIN, TOUCH_MIN)
        left, right = pygame.Rect(bottom.x, bottom.y, bottom.w // 2 - GAP, bottom.h), pygame.Rect(
            bottom.centerx + GAP, bottom.y, bottom.w // 2 - GAP, bottom.h
        )  # fmt: skip
        widgets.append(Button("search", _("Tra cứu thủ tục"), left, lambda: app.go(SearchScreen(app)), "secondary"))
        widgets.append(Button("done", _("Về trang chủ"), right, app.home, "primary"))
        return widgets
