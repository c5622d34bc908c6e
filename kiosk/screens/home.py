"""Home: one large button per field with the number of people waiting, search, priority, language.

And the priority choice (60+, pregnant, disabled, người có công): the citizen picks a category here, then a field
on the home screen, which now shows a yellow "Ưu tiên" banner; the ticket request carries the category.
"""

from __future__ import annotations

import pygame

from kiosk.i18n import _, language
from kiosk.screens.base import GAP, HEADER_H, MARGIN, TOUCH_MIN, Button, Label, Screen, Widget, fits, grid, header, row
from kiosk.screens.base import pager as page_bar

PRIORITY_LABELS = {
    "elderly_60": "Người cao tuổi (từ 60 tuổi)",
    "pregnant": "Phụ nữ mang thai",
    "disabled": "Người khuyết tật",
    "merit": "Người có công với cách mạng",
}


def priority_label(code: str) -> str:
    return _(PRIORITY_LABELS.get(code, code))


class HomeScreen(Screen):
    name = "home"
    page = 0

    def _go_page(self, page: int) -> None:
        self.page = page

    def build(self, width: int, height: int) -> list[Widget]:
        app = self.app
        widgets = header(app, width, app.office.name)
        top = HEADER_H + GAP
        if app.priority is not None:
            banner = pygame.Rect(MARGIN, top, width - 2 * MARGIN - 260 - GAP, TOUCH_MIN)
            text = _("Ưu tiên: {who}. Mời chọn lĩnh vực").format(who=priority_label(app.priority))
            if app.masked_name:
                text = f"{app.masked_name} — {text}"
            widgets.append(Label(text, banner, 30, bold=True, background=(255, 210, 0)))
            cancel = pygame.Rect(banner.right + GAP, top, 260, TOUCH_MIN)
            widgets.append(Button("priority:cancel", _("Bỏ ưu tiên"), cancel, self._cancel_priority, "secondary"))
        else:
            title = pygame.Rect(MARGIN, top, width - 2 * MARGIN, TOUCH_MIN)
            widgets.append(Label(_("Chạm vào lĩnh vực để lấy số thứ tự"), title, 36, bold=True))
        top += TOUCH_MIN + GAP
        bottom = pygame.Rect(MARGIN, height - MARGIN - 110, width - 2 * MARGIN, 110)
        columns = 2 if width > height else 1
        services = app.office.services
        area = pygame.Rect(MARGIN, top, width - 2 * MARGIN, bottom.y - GAP - top)
        per_page = fits(area.height, 150) * columns
        pages = max(1, -(-len(services) // per_page))
        if pages > 1:
            per_page = fits(area.height - TOUCH_MIN - GAP, 150) * columns
            pages = -(-len(services) // per_page)
            nav = pygame.Rect(area.x, area.bottom - TOUCH_MIN, area.width, TOUCH_MIN)
            area.height -= TOUCH_MIN + GAP
            widgets += page_bar(self, nav, self.page, pages, self._go_page)
        shown = services[self.page * per_page : (self.page + 1) * per_page]
        rows = max(1, -(-len(shown) // columns))
        cell_h = min(220, (area.height - GAP * (rows - 1)) // rows)
        style = "priority" if app.priority else "primary"
        for service, rect in zip(shown, grid(area, len(shown), columns, cell_h), strict=True):
            count = app.waiting.get(service.id, 0)
            detail = _("{n} người đang chờ").format(n=count)
            widgets.append(
                Button(
                    f"field:{service.id}",
                    service.name(language()),
                    rect,
                    lambda sid=service.id: app.take_ticket(sid),  # type: ignore[misc]
                    style,
                    enabled=not app.busy,
                    detail=_("Đang lấy số...") if app.busy else detail,
                    size=40,
                )
            )
        cells = row(bottom, 3 if app.config.remote.check_in else 2)
        search, priority = cells[0], cells[1]
        widgets.append(Button("search", _("Tra cứu thủ tục"), search, self._search, "secondary"))
        if app.config.remote.check_in:
            widgets.append(Button("check_in", _("Đã lấy số trực tuyến"), cells[2], self._check_in, "secondary",
                                  detail=_("Xác nhận có mặt")))  # fmt: skip
        if app.priority is None:
            who = _("Người cao tuổi, mang thai, khuyết tật, người có công")
            widgets.append(Button("priority", _("Lấy số ưu tiên"), priority, self._priority, "priority", detail=who))
        return widgets

    def _search(self) -> None:
        from kiosk.screens.browse import SearchScreen

        self.app.go(SearchScreen(self.app))

    def _priority(self) -> None:
        self.app.go(PriorityScreen(self.app))

    def _check_in(self) -> None:
        from kiosk.screens.check_in import CheckInScreen

        self.app.go(CheckInScreen(self.app))

    def _cancel_priority(self) -> None:
        self.app.priority = None


class PriorityScreen(Screen):
    name = "priority"

    def build(self, width: int, height: int) -> list[Widget]:
        app = self.app
        widgets = header(app, width, _("Lấy số ưu tiên"))
        top = HEADER_H + GAP
        note = pygame.Rect(MARGIN, top, width - 2 * MARGIN, TOUCH_MIN)
        widgets.append(Label(_("Bạn thuộc đối tượng nào? Cán bộ có thể đề nghị xem giấy tờ."), note, 30))
        top = note.bottom + GAP
        back = pygame.Rect(MARGIN, height - MARGIN - TOUCH_MIN, width - 2 * MARGIN, TOUCH_MIN)
        codes = app.office.priority_categories
        columns = 2 if width > height else 1
        area = pygame.Rect(MARGIN, top, width - 2 * MARGIN, back.y - GAP - top)
        rows = max(1, -(-len(codes) // columns))
        cell_h = min(200, (area.height - GAP * (rows - 1)) // rows)
        for code, rect in zip(codes, grid(area, len(codes), columns, cell_h), strict=True):
            widgets.append(
                Button(f"priority:{code}", priority_label(code), rect, lambda c=code: self._choose(c), "priority")  # type: ignore[misc]
            )
        widgets.append(Button("back", "◀ " + _("Quay lại"), back, app.home, "secondary"))
        return widgets

    def _choose(self, code: str) -> None:
        self.app.priority = code
        self.app.go(HomeScreen(self.app))
