"""The capacity cut-off, before anything is printed: "Hôm nay có thể không kịp phục vụ bạn".

The server predicted that a new ticket would be called after closing (``after_closing``). The citizen reads the
prediction and the closing time and chooses: the number anyway (the same request with ``accept_late: true``) or
the next opening, which only says when to come back and prints nothing. Texts are built at draw time so the
language toggle applies; every time is on the office's clock.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import pygame

from kiosk.config import in_office_time
from kiosk.i18n import _
from kiosk.late import IssueRequest, LateNotice
from kiosk.screens.base import GAP, HEADER_H, MARGIN, TOUCH_MIN, YELLOW, Button, Label, Screen, Widget, header

if TYPE_CHECKING:
    from kiosk.app import KioskApp


def weekday_name(moment: datetime) -> str:
    names = (_("Thứ Hai"), _("Thứ Ba"), _("Thứ Tư"), _("Thứ Năm"), _("Thứ Sáu"), _("Thứ Bảy"), _("Chủ nhật"))
    return names[moment.weekday()]


def when(moment: datetime, today: datetime) -> str:
    """``13:30`` on the same day, else ``07:30, Thứ Ba 24/11``."""
    if moment.date() == today.date():
        return f"{moment:%H:%M}"
    return f"{moment:%H:%M}, {weekday_name(moment)} {moment:%d/%m}"


class LateScreen(Screen):
    name = "after_closing"

    def __init__(self, app: KioskApp, notice: LateNotice, request: IssueRequest) -> None:
        super().__init__(app)
        self.notice, self.request = notice, request

    def today(self) -> datetime:
        return in_office_time(self.app.clock.now(), self.app.office.utc_offset_minutes)

    def lines(self) -> list[str]:
        notice, today = self.notice, self.today()
        lines: list[str] = []
        low, high, call = notice.wait_low_min, notice.wait_high_min, notice.call_at
        if low is not None and high is not None and call is not None:
            text = _("Dự kiến đến lượt bạn sau khoảng {low}–{high} phút (dự kiến gọi lúc {at}).")
            lines.append(text.format(low=low, high=high, at=when(call, today)))
        elif call is not None:
            lines.append(_("Dự kiến gọi lúc {at}.").format(at=when(call, today)))
        closing = notice.closing_at  # the server knows the office's hours; the kiosk does not guess them
        if closing is not None:
            lines.append(_("Giờ làm việc hôm nay kết thúc lúc {at}.").format(at=f"{closing:%H:%M}"))
        lines.append(_("Bạn vẫn có thể lấy số, hoặc quay lại vào giờ làm việc tiếp theo."))
        return lines

    def come_back(self) -> None:
        self.app.go(ComeBackScreen(self.app, self.notice.next_opening))

    def build(self, width: int, height: int) -> list[Widget]:
        app = self.app
        widgets = header(app, width, app.office.name)
        top = HEADER_H + 2 * GAP
        title = pygame.Rect(MARGIN, top, width - 2 * MARGIN, 120)
        widgets.append(Label(_("Hôm nay có thể không kịp phục vụ bạn"), title, 52, bold=True, background=YELLOW))
        bottom = pygame.Rect(MARGIN, height - MARGIN - TOUCH_MIN, width - 2 * MARGIN, TOUCH_MIN)
        lines = self.lines()
        space = bottom.y - GAP - (title.bottom + GAP)
        line_h = min(110, space // len(lines))
        for i, text in enumerate(lines):
            rect = pygame.Rect(MARGIN, title.bottom + GAP + i * line_h, width - 2 * MARGIN, line_h)
            widgets.append(Label(text, rect, 34))
        left = pygame.Rect(bottom.x, bottom.y, bottom.w // 2 - GAP, bottom.h)
        right = pygame.Rect(bottom.centerx + GAP, bottom.y, bottom.w // 2 - GAP, bottom.h)
        opening = self.notice.next_opening
        later = _("Quay lại lúc {at}").format(at=when(opening, self.today())) if opening else _("Quay lại sau")
        widgets.append(Button("come_back", later, right, self.come_back, "secondary", enabled=not app.busy))
        anyway = Button("accept_late", _("Vẫn lấy số"), left, lambda: app.take_late(self.request), "primary")
        anyway.enabled = not app.busy
        widgets.append(anyway)
        return widgets


class ComeBackScreen(Screen):
    """The citizen chose to come back: when the office next opens; no number was taken or printed."""

    name = "come_back"

    def __init__(self, app: KioskApp, next_opening: datetime | None) -> None:
        super().__init__(app)
        self.next_opening = next_opening

    def build(self, width: int, height: int) -> list[Widget]:
        app = self.app
        widgets = header(app, width, app.office.name)
        top = HEADER_H + 2 * GAP
        widgets.append(Label(_("Mời bạn quay lại sau"), pygame.Rect(MARGIN, top, width - 2 * MARGIN, 140), 52,
                             bold=True))  # fmt: skip
        if self.next_opening is not None:
            today = in_office_time(app.clock.now(), app.office.utc_offset_minutes)
            at = when(self.next_opening, today)
            text = _("Giờ làm việc tiếp theo bắt đầu lúc {at}. Không có số nào được in.").format(at=at)
        else:
            text = _("Vui lòng quay lại vào ngày làm việc tiếp theo. Không có số nào được in.")
        widgets.append(Label(text, pygame.Rect(MARGIN, top + 160, width - 2 * MARGIN, 160), 36))
        done = pygame.Rect(width - MARGIN - 360, height - MARGIN - TOUCH_MIN, 360, TOUCH_MIN)
        widgets.append(Button("done", _("Về trang chủ"), done, app.home, "primary"))
        return widgets
