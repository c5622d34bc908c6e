"""The web app as people use it: Debian's Chromium (Playwright) in Vietnamese, on a real server and store.

Signing in, calling a number at the console, the manager's live page updating by itself, the dashboard's
spreadsheet and PDF downloads, the public ticket page on a phone, and a staff member kept out of the dashboard.
Screenshots go to tests/artifacts/web/ (named ones below, and one per page when each test ends).
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

from openpyxl import load_workbook  # type: ignore[import-untyped]
from playwright.sync_api import Page, expect
from pypdf import PdfReader

from queue_server.contract import messages as msg
from queue_server.contract.payloads import DeviceStatus
from queue_server.engine import commands as cmd
from queue_server.engine import events as ev
from queue_server.engine.setup import Outcome
from tests.fixtures.browser import ADMIN, ARTIFACTS, MANAGER, STAFF, OpenPage, WebOffice, screenshot

PHONE = {"width": 360, "height": 640}


def sign_in(page: Page, office: WebOffice, username: str, password: str | None = None) -> None:
    page.goto(office.url("/auth/login"))
    page.get_by_label("Tên đăng nhập").fill(username)
    page.get_by_label("Mật khẩu").fill(password if password is not None else office.passwords[username])
    page.locator("form.card").get_by_role("button", name="Đăng nhập").click()


def test_login_page_is_vietnamese_refuses_a_wrong_password_and_signs_the_manager_in(
    web_office: WebOffice, page: Page
) -> None:
    page.goto(web_office.url("/"))
    expect(page).to_have_url(web_office.url("/auth/login"))
    expect(page.locator("html")).to_have_attribute("lang", "vi")
    expect(page.get_by_role("heading", name="Đăng nhập")).to_be_visible()
    expect(page.get_by_label("Tên đăng nhập")).to_be_visible()
    expect(page.get_by_label("Mật khẩu")).to_be_visible()
    screenshot(page, "login")

    sign_in(page, web_office, MANAGER, "không phải mật khẩu")
    expect(page.locator(".flash.error")).to_have_text("Sai tên đăng nhập hoặc mật khẩu.")
    expect(page.get_by_label("Tên đăng nhập")).to_have_value(MANAGER)
    screenshot(page, "login-wrong-password")

    sign_in(page, web_office, MANAGER)
    expect(page).to_have_url(web_office.url("/dashboard"))
    expect(page.get_by_role("heading", level=1)).to_have_text(web_office.setup.name)
    expect(page.get_by_role("button", name=f"Đăng xuất ({MANAGER})")).to_be_visible()


def test_staff_calls_the_next_number_at_the_console(web_office: WebOffice, page: Page) -> None:
    sign_in(page, web_office, STAFF)
    expect(page).to_have_url(web_office.url("/console"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Quầy 1")
    expect(page.locator(".card .number")).to_have_text("—")
    take_counter = page.get_by_role("button", name="Nhận quầy này")  # nobody is signed in at counter 1 yet
    take_counter.click()
    expect(take_counter).to_have_count(0)

    expect(page.locator("#waiting-ho-tich")).to_have_text("0")
    ticket = web_office.issue("ho-tich")  # a kiosk prints a ticket meanwhile: the console shows it by itself
    expect(page.locator("#waiting-ho-tich")).to_have_text("1")
    page.get_by_role("button", name="Gọi số tiếp").click()
    expect(page.locator(".card .number")).to_have_text(ticket["label"])
    expect(page.get_by_text("Hộ tịch", exact=True).first).to_be_visible()
    screenshot(page, "console")
    called = [s.event for s in web_office.store.events() if isinstance(s.event, ev.TicketCalled)]
    assert [(e.counter_id, e.ticket_id) for e in called] == [("quay-1", ticket["ticket_id"])]


def test_live_page_updates_without_reload_when_a_ticket_is_issued_and_called(web_office: WebOffice, page: Page) -> None:
    sign_in(page, web_office, MANAGER)
    web_office.issue("ho-tich")
    page.goto(web_office.url("/live"))
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Trực tiếp · {web_office.setup.name}")
    waiting = page.locator("#waiting-ho-tich")
    expect(waiting).to_have_text("1")
    expect(page.locator("#longest-wait")).to_contain_text("phút")
    expect(page.locator("#counter-quay-1")).to_contain_text("—")
    expect(page.locator("#alarms")).to_contain_text("Tất cả thiết bị đang hoạt động")
    expect(page.locator("#live-panel")).to_have_attribute("data-connected", "yes")  # the event stream is open
    page.evaluate("window.notReloaded = true")

    web_office.issue("ho-tich")
    web_office.issue("ho-tich")
    expect(waiting).to_have_text("3")
    web_office.run(cmd.SignIn("quay-1", "nv-lan"))
    web_office.run(cmd.CallNext("quay-1"))
    expect(waiting).to_have_text("2")
    expect(page.locator("#counter-quay-1")).to_contain_text("A001")
    expect(page.locator("#counter-quay-1")).to_contain_text("Nguyễn Thị Lan")
    paper_out = DeviceStatus.of(online=True, alarms=[msg.AlarmCode.PRINTER_PAPER_OUT]).encode()
    web_office.service.live.device_status("kiosk-1", "kiosk", paper_out, datetime.now(UTC))  # as MQTT delivers it
    expect(page.locator("#alarms")).to_contain_text("Máy in hết giấy")
    assert page.evaluate("window.notReloaded") is True, "the live page reloaded instead of updating itself"
    screenshot(page, "live")


def serve_a_morning(office: WebOffice) -> tuple[str, int]:
    """Three visits: two served at counter 1 (one dossier received), one still waiting. Returns (day, visits)."""
    days = {office.issue("ho-tich")["day"] for _ in range(3)}
    office.run(cmd.SignIn("quay-1", "nv-lan"))
    office.run(cmd.CallNext("quay-1"))
    office.run(cmd.FinishService("quay-1", Outcome.DOSSIER_RECEIVED, "HS-2026-001"))
    office.run(cmd.CallNext("quay-1"))
    office.run(cmd.FinishService("quay-1", None, None))
    assert len(days) == 1, "the office's day changed during the test (local midnight): run it again"
    return days.pop(), 3


def test_dashboard_downloads_a_spreadsheet_and_a_pdf_with_the_days_figures(web_office: WebOffice, page: Page) -> None:
    day, visits = serve_a_morning(web_office)
    sign_in(page, web_office, MANAGER)
    page.goto(web_office.url(f"/dashboard?period=day&date={day}"))
    expect(page.locator("#visits")).to_have_text(str(visits))
    screenshot(page, "dashboard")

    with page.expect_download() as xlsx_download:
        page.locator("a[href*='export.xlsx']").first.click()
    assert xlsx_download.value.suggested_filename.endswith(".xlsx")
    xlsx = ARTIFACTS / "dashboard-export.xlsx"  # kept for a person to open
    xlsx_download.value.save_as(xlsx)
    rows = [
        row for sheet in load_workbook(xlsx, read_only=True).worksheets for row in sheet.iter_rows(values_only=True)
    ]
    assert ("Đơn vị", web_office.setup.name) == rows[1][:2], rows[:3]
    assert ("Lượt giao dịch", visits) in {row[:2] for row in rows}, rows[:12]  # the summary sheet's figure
    assert ("Hộ tịch", visits) in {row[:2] for row in rows}  # the per-service sheet

    with page.expect_download() as pdf_download:
        page.locator("a[href*='export.pdf']").first.click()
    assert pdf_download.value.suggested_filename.endswith(".pdf")
    pdf = ARTIFACTS / "dashboard-export.pdf"
    pdf_download.value.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF")
    text = unicodedata.normalize("NFC", "\n".join(p.extract_text() for p in PdfReader(pdf).pages))
    assert "\ufffd" not in text, "characters lost in the PDF"
    assert f"Đơn vị: {web_office.setup.name}" in text, text[:500]
    assert f"Lượt giao dịch {visits}" in text.splitlines(), text[:500]
    assert "Hộ tịch" in text, text[:2000]


def test_ticket_page_on_a_phone_shows_people_ahead_then_the_counter(web_office: WebOffice, open_page: OpenPage) -> None:
    first = web_office.issue("ho-tich")
    mine = web_office.issue("ho-tich")
    phone = open_page("phone", viewport=PHONE)
    phone.clock.install()  # the page polls every few seconds: the test moves its clock instead of waiting
    phone.goto(web_office.url(f"/t/{mine['ticket_id']}"))
    expect(phone.locator(".number")).to_have_text(mine["label"])
    expect(phone.get_by_text("Số người đang chờ trước bạn: 1")).to_be_visible()
    expect(phone.get_by_text(web_office.setup.name)).to_be_visible()
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], f"the ticket page is {width}px wide on a {PHONE['width']}px phone"
    screenshot(phone, "ticket")
    poll_ms = 1000 * int(phone.locator("[data-poll]").get_attribute("data-every") or "0")
    assert poll_ms > 0

    web_office.run(cmd.SignIn("quay-1", "nv-lan"))
    assert web_office.run(cmd.CallNext("quay-1"))["result"]["ticket"]["label"] == first["label"]
    phone.clock.fast_forward(poll_ms)
    expect(phone.get_by_text("Số người đang chờ trước bạn: 0")).to_be_visible()
    web_office.run(cmd.FinishService("quay-1", None, None))
    assert web_office.run(cmd.CallNext("quay-1"))["result"]["ticket"]["label"] == mine["label"]
    phone.clock.fast_forward(poll_ms)
    expect(phone.get_by_text("Mời bạn đến quầy 1")).to_be_visible()
    expect(phone.locator(".number")).to_have_text(mine["label"])
    screenshot(phone, "ticket-called")


def test_staff_has_no_dashboard_link_and_is_refused_the_dashboard(web_office: WebOffice, page: Page) -> None:
    sign_in(page, web_office, STAFF)
    expect(page).to_have_url(web_office.url("/console"))
    expect(page.locator("header nav a[href^='/dashboard']")).to_have_count(0)
    expect(page.locator("header nav a[href^='/live']")).to_have_count(0)
    for path in ("/dashboard?period=day", "/live"):
        response = page.goto(web_office.url(path))
        assert response is not None and response.status == 403, (path, response and response.status)


def test_admin_lands_on_the_user_list(web_office: WebOffice, page: Page) -> None:
    sign_in(page, web_office, ADMIN)
    expect(page).to_have_url(web_office.url("/admin/users"))
    expect(page.get_by_role("cell", name="truongphong")).to_be_visible()
