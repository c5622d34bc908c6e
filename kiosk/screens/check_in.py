"""Check-in of a number taken online: a keypad for the six digits (or a scan of the ticket page's QR), then
the answer: "Đã xác nhận số A006. Mời ngồi chờ gọi số." or why not."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pygame

from kiosk.i18n import _
from kiosk.screens.base import GAP, HEADER_H, MARGIN, TOUCH_MIN, Button, Label, Screen, Widget, grid, header, row

if TYPE_CHECKING:
    from kiosk.app import KioskApp
    from kiosk.check_in import CheckInResult

DIGITS = 6


class CheckInScreen(Screen):
    name = "check_in"

    def __init__(self, app: KioskApp) -> None:
        super().__init__(app)
        self.code = ""

    def build(self, width: int, height: int) -> list[Widget]:
        app = self.app
        widgets = header(app, width, _("Xác nhận số lấy trực tuyến"))
        top = HEADER_H + GAP
        hint = pygame.Rect(MARGIN, top, width - 2 * MARGIN, TOUCH_MIN)
        widgets.append(Label(_("Quét mã QR trên điện thoại hoặc nhập 6 chữ số"), hint, 32))
        shown = pygame.Rect(MARGIN, hint.bottom + GAP, width - 2 * MARGIN, 100)
        widgets.append(Label(" ".join(self.code.ljust(DIGITS, "_")), shown, 64, bold=True))
        bottom = pygame.Rect(MARGIN, height - MARGIN - TOUCH_MIN, width - 2 * MARGIN, TOUCH_MIN)
        pad = pygame.Rect(MARGIN, shown.bottom + GAP, width - 2 * MARGIN, bottom.y - GAP - shown.bottom - GAP)
        keys = [*"123456789", "⌫", "0", "OK"]
        cell = (pad.height - 3 * GAP) // 4
        for key, rect in zip(keys, grid(pad, len(keys), 3, cell), strict=True):
            if key == "OK":
                ready = len(self.code) == DIGITS and not app.busy
                widgets.append(Button("checkin:ok", _("Xác nhận"), rect, self._send, "primary", enabled=ready))
            elif key == "⌫":
                widgets.append(Button("checkin:del", "⌫", rect, self._delete, "secondary", size=48))
            else:
                widgets.append(Button(f"checkin:{key}", key, rect, lambda k=key: self._type(k), "secondary", size=48))  # type: ignore[misc]
        widgets.append(Button("back", "◀ " + _("Quay lại"), bottom, app.home, "secondary"))
        return widgets

    def _type(self, digit: str) -> None:
        if len(self.code) < DIGITS:
            self.code += digit

    def _delete(self) -> None:
        self.code = self.code[:-1]

    def _send(self) -> None:
        if len(self.code) == DIGITS:
            self.app.check_in(self.code)

    def on_text(self, text: str) -> None:
        for ch in text:
            if ch.isdigit():
                self._type(ch)

    def on_key(self, key: int) -> None:
        if key == pygame.K_BACKSPACE:
            self._delete()
        elif key in (pygame.K_RETURN, pygame.K_KP_ENTER):
            self._send()


REFUSALS = {
    "unknown_check_in_code": "Không tìm thấy số với mã này hôm nay. Xin kiểm tra lại mã hoặc hỏi cán bộ.",
    "check_in_closed": "Đã quá lượt của số này. Xin hỏi cán bộ tại quầy.",
    "timeout": "Hệ thống đang kết nối lại. Vui lòng thử lại sau giây lát.",
}


class CheckInDoneScreen(Screen):
    name = "check_in_done"

    def __init__(self, app: KioskApp, result: CheckInResult) -> None:
        super().__init__(app)
        self.result = result

    def build(self, width: int, height: int) -> list[Widget]:
        app, result = self.app, self.result
        widgets = header(app, width, app.office.name)
        top = HEADER_H + 2 * GAP
        if result.label is not None:
            title = _("Đã xác nhận số {label}").format(label=result.label)
            text = _("Mời ngồi chờ gọi số trên màn hình.")
        elif result.error == "check_in_early":
            title = _("Chưa đến giờ xác nhận")
            text = _("Xin quay lại từ {at}.").format(at=result.opens_at) if result.opens_at else _("Xin quay lại sau.")
        else:
            title = _("Chưa xác nhận được")
            text = _(REFUSALS.get(result.error or "", "Vui lòng thử lại hoặc hỏi cán bộ tại quầy."))
        widgets.append(Label(title, pygame.Rect(MARGIN, top, width - 2 * MARGIN, 140), 52, bold=True))
        widgets.append(Label(text, pygame.Rect(MARGIN, top + 160, width - 2 * MARGIN, 120), 36))
        bottom = pygame.Rect(MARGIN, height - MARGIN - TOUCH_MIN, width - 2 * MARGIN, TOUCH_MIN)
        again, home = row(bottom, 2)
        widgets.append(
            Button("checkin:again", _("Nhập mã khác"), again, lambda: app.go(CheckInScreen(app)), "secondary")
        )
        widgets.append(Button("done", _("Về trang chủ"), home, app.home, "primary"))
        return widgets
