"""After an ID-card scan of a citizen aged 60 or over: "Bạn đủ 60 tuổi: lấy số ưu tiên?" Yes or no.

The masked name ("Nguyễn V. A.") appears only when the office enabled it; it is forgotten when the kiosk
returns home for the next citizen.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pygame

from kiosk.i18n import _
from kiosk.scan import ELDERLY
from kiosk.screens.base import GAP, HEADER_H, MARGIN, TOUCH_MIN, Button, Label, Screen, Widget, header

if TYPE_CHECKING:
    from kiosk.app import KioskApp


class ScanOfferScreen(Screen):
    name = "scan_offer"

    def __init__(self, app: KioskApp, masked_name: str | None) -> None:
        super().__init__(app)
        app.masked_name = masked_name

    def build(self, width: int, height: int) -> list[Widget]:
        app = self.app
        widgets = header(app, width, _("Lấy số ưu tiên"))
        top = HEADER_H + 2 * GAP
        if app.masked_name:
            hello = pygame.Rect(MARGIN, top, width - 2 * MARGIN, TOUCH_MIN)
            widgets.append(Label(_("Xin chào {name}").format(name=app.masked_name), hello, 36))
            top = hello.bottom + GAP
        question = pygame.Rect(MARGIN, top, width - 2 * MARGIN, 160)
        widgets.append(Label(_("Bạn đủ 60 tuổi: lấy số ưu tiên?"), question, 52, bold=True))
        note = pygame.Rect(MARGIN, question.bottom + GAP, width - 2 * MARGIN, TOUCH_MIN)
        widgets.append(Label(_("Thông tin trên thẻ không được lưu lại."), note, 28))
        tall = TOUCH_MIN + 48  # the one decision on this screen: big targets
        buttons_h = 2 * tall + GAP if width <= height else tall
        area = pygame.Rect(MARGIN, height - MARGIN - buttons_h, width - 2 * MARGIN, buttons_h)
        if width > height:
            yes = pygame.Rect(area.x, area.y, area.w // 2 - GAP // 2, area.h)
            no = pygame.Rect(yes.right + GAP, area.y, area.w - yes.w - GAP, area.h)
        else:
            yes = pygame.Rect(area.x, area.y, area.w, tall)
            no = pygame.Rect(area.x, yes.bottom + GAP, area.w, tall)
        widgets.append(Button("offer:yes", _("Có, lấy số ưu tiên"), yes, self._yes, "priority", size=38))
        widgets.append(Button("offer:no", _("Không, lấy số thường"), no, self._no, "secondary", size=34))
        return widgets

    def _yes(self) -> None:
        from kiosk.screens.home import HomeScreen

        self.app.priority = ELDERLY
        self.app.go(HomeScreen(self.app))

    def _no(self) -> None:
        from kiosk.screens.home import HomeScreen

        self.app.priority = None
        self.app.go(HomeScreen(self.app))
