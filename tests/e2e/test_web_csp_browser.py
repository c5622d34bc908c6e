"""The Content Security Policy in a real browser (Debian's Chromium): every page works under it (charts, the live
page's event stream, the console, the ticket page's polling) with no violation reported, and no other site can
show the pages in a frame (clickjacking)."""

from __future__ import annotations

from playwright.sync_api import ConsoleMessage, Page, expect

from tests.e2e.test_web_browser import sign_in
from tests.fixtures.browser import MANAGER, STAFF, OpenPage, WebOffice

VIOLATION = ("Content Security Policy", "Refused to")


def violations(page: Page) -> list[str]:
    found: list[str] = []

    def seen(message: ConsoleMessage) -> None:
        if any(word in message.text for word in VIOLATION):
            found.append(message.text)

    page.on("console", seen)
    return found


def test_the_pages_run_under_the_policy(web_office: WebOffice, open_page: OpenPage) -> None:
    ticket = web_office.issue("ho-tich")
    manager = open_page("csp-manager")
    reported = violations(manager)
    sign_in(manager, web_office, MANAGER)
    expect(manager).to_have_url(web_office.url("/dashboard"))
    manager.goto(web_office.url("/dashboard?period=day"))
    expect(manager.locator("svg.chart").first).to_be_visible()
    manager.goto(web_office.url("/live"))
    expect(manager.locator("#live-panel")).to_have_attribute("data-connected", "yes", timeout=10_000)
    staff = open_page("csp-staff")
    reported_staff = violations(staff)
    sign_in(staff, web_office, STAFF)
    expect(staff).to_have_url(web_office.url("/console"))
    phone = open_page("csp-ticket")
    reported_phone = violations(phone)
    phone.goto(web_office.url(f"/t/{ticket['ticket_id']}"))
    expect(phone.get_by_text("A001").first).to_be_visible()
    assert reported == reported_staff == reported_phone == []


def test_no_other_site_can_frame_the_pages(web_office: WebOffice, open_page: OpenPage) -> None:
    page = open_page("csp-frame")
    page.goto(web_office.url("/auth/login"))  # the app's own origin, then a foreign page that frames it
    page.set_content(f'<iframe id="f" src="{web_office.url("/auth/login")}" width="600" height="400"></iframe>')
    frame = page.frame_locator("#f")
    expect(frame.get_by_label("Tên đăng nhập")).to_have_count(0, timeout=5_000)
