"""Opening hours in Debian's Chromium (Playwright), in Vietnamese, on a real server and store: an administrator
changes Friday's hours, a Saturday morning and a holiday; the change is an ``OfficeConfigured`` event in the
store, and the page shows it back. Screenshots go to tests/artifacts/web/."""

from __future__ import annotations

from datetime import date, time

from playwright.sync_api import Page, expect

from queue_server.engine import events as ev
from queue_server.engine.hours import Session, sessions_on
from tests.e2e.test_web_browser import sign_in
from tests.fixtures.browser import ADMIN, WebOffice, screenshot


def test_an_admin_changes_the_opening_hours_and_sees_them_recorded(web_office: WebOffice, page: Page) -> None:
    sign_in(page, web_office, ADMIN)
    page.goto(web_office.url("/admin/setup"))
    expect(page.get_by_role("heading", name="Giờ làm việc")).to_be_visible()
    friday = page.get_by_label("Thứ Sáu")
    expect(friday).to_have_value("07:30-11:30, 13:30-17:00")
    friday.fill("07:30-11:30, 14:00-17:00")
    page.get_by_label("Thứ Bảy").fill("07:30-11:30")
    page.get_by_label("Ngày nghỉ lễ").fill("2/9/2026")
    screenshot(page, "admin-hours-filled")
    page.get_by_role("button", name="Lưu giờ làm việc").click()

    expect(page.locator(".flash.info")).to_contain_text("Đã lưu")
    expect(page.get_by_label("Thứ Sáu")).to_have_value("07:30-11:30, 14:00-17:00")
    expect(page.get_by_label("Thứ Bảy")).to_have_value("07:30-11:30")
    expect(page.get_by_label("Ngày nghỉ lễ")).to_have_value("02/09/2026")
    screenshot(page, "admin-hours-saved")

    configured = [s.event for s in web_office.store.events() if isinstance(s.event, ev.OfficeConfigured)]
    hours = configured[-1].setup.hours
    assert sessions_on(hours, date(2026, 12, 4)) == (
        Session(4, time(7, 30), time(11, 30)),
        Session(4, time(14, 0), time(17, 0)),
    )
    assert sessions_on(hours, date(2026, 12, 5)) == (Session(5, time(7, 30), time(11, 30)),)
    assert hours.holidays == (date(2026, 9, 2),)

    page.get_by_label("Thứ Hai").fill("11:30-07:30")
    page.get_by_role("button", name="Lưu giờ làm việc").click()
    # the refusal is the page itself (status 400) with the reason, and the form still there
    expect(page.locator(".flash.error")).to_have_text("Thứ Hai: buổi 11:30-07:30 kết thúc trước giờ bắt đầu.")
    again = [s.event for s in web_office.store.events() if isinstance(s.event, ev.OfficeConfigured)]
    assert len(again) == len(configured), "a refused change is not recorded"
