"""Opening hours in the web app: edited in the admin setup page (an audited ``OfficeConfigured`` event), shown on
``/live`` and the public ticket page in the office's time, and refused with a reason when they make no sense."""

from __future__ import annotations

from datetime import date, time

from flask.testing import FlaskClient
from sqlalchemy import select

from queue_server.engine import commands as cmd
from queue_server.engine import events as ev
from queue_server.engine.hours import Session, sessions_on
from queue_server.engine.state import QueueState
from queue_server.store.schema import audit_log
from tests.integration.test_web_live import live_app, text_of
from tests.integration.web_support import Office, login, post

WEEK = {
    "monday": "07:30-11:30, 13:30-17:00",
    "tuesday": "07:30-11:30, 13:30-17:00",
    "wednesday": "07:30-11:30, 13:30-17:00",
    "thursday": "07:30-11:30, 13:30-17:00",
    "friday": "07:00-11:00, 13:00-16:30",
    "saturday": "7h30-11h30",
    "sunday": "",
    "holidays": "1/1/2027, 2026-12-31",
    "make_up_days": "",
}


def replayed(office: Office) -> QueueState:
    return QueueState.replay(stored.event for stored in office.store.events())


def test_an_admin_changes_the_week_lunch_break_and_holidays_as_an_audited_event(office: Office) -> None:
    client = live_app(office).test_client()
    login(client, "admin")
    assert post(client, "/admin/setup/hours", WEEK).status_code == 302
    assert [type(c) for c in office.sent] == [cmd.ConfigureOffice]
    setup = replayed(office).setup
    assert setup is not None
    hours = setup.hours
    assert sessions_on(hours, date(2026, 11, 27)) == (
        Session(4, time(7, 0), time(11, 0)),
        Session(4, time(13, 0), time(16, 30)),
    )
    assert sessions_on(hours, date(2026, 11, 28)) == (Session(5, time(7, 30), time(11, 30)),)
    assert hours.holidays == (date(2026, 12, 31), date(2027, 1, 1))
    configured = [s.event for s in office.store.events() if isinstance(s.event, ev.OfficeConfigured)]
    assert configured[-1].setup.hours == hours
    with office.store.engine.connect() as conn:
        rows = list(conn.execute(select(audit_log.c.action, audit_log.c.target)).all())
    assert [tuple(r) for r in rows] == [("hours.save", "hours")]
    page = client.get("/admin/setup").get_data(as_text=True)
    assert 'value="07:00-11:00, 13:00-16:30"' in page and 'value="07:30-11:30"' in page
    assert "31/12/2026, 01/01/2027" in page and "Giờ làm việc" in page


def test_bad_hours_are_refused_with_a_reason_and_nothing_is_recorded(office: Office) -> None:
    client = live_app(office).test_client()
    login(client, "admin")
    for data, message in [
        ({**WEEK, "monday": "11:30-07:30"}, "Thứ Hai: buổi 11:30-07:30 kết thúc trước giờ bắt đầu."),
        ({**WEEK, "tuesday": "07:30-12:00, 11:00-17:00"}, "Thứ Ba: các buổi làm việc chồng lên nhau."),
        ({**WEEK, "wednesday": "sáng"}, "Thứ Tư: ghi mỗi buổi theo dạng 07:30-11:30."),
        ({**WEEK, "thursday": "25:00-26:00"}, "Thứ Năm: ghi mỗi buổi theo dạng 07:30-11:30."),
        ({**WEEK, "holidays": "30/2/2026"}, "Ngày nghỉ lễ: 30/2/2026 không phải là ngày (dd/mm/yyyy)."),
    ]:
        response = post(client, "/admin/setup/hours", data)
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)  # the page itself, not a redirect a browser ignores
    assert office.sent == []


def test_a_manager_sees_the_hours_read_only(office: Office) -> None:
    client = live_app(office).test_client()
    login(client, "boss")
    page = client.get("/admin/setup").get_data(as_text=True)
    assert text_of(page, "hours-monday") == "07:30-11:30, 13:30-17:00" and text_of(page, "hours-sunday") == "nghỉ"
    assert 'action="/admin/setup/hours"' not in page
    assert post(client, "/admin/setup/hours", WEEK).status_code == 403


def live_hours(client: FlaskClient) -> str:
    return text_of(client.get("/live").get_data(as_text=True), "office-hours")


def test_live_shows_todays_hours_the_lunch_break_and_closing_in_office_time(office: Office) -> None:
    client = live_app(office).test_client()
    login(client, "boss")
    office.clock.at(2, 0)  # Monday 09:00 in the office
    assert live_hours(client) == "Giờ làm việc hôm nay: 07:30–11:30, 13:30–17:00"
    office.clock.at(5, 0)  # 12:00
    assert live_hours(client).endswith("Đang nghỉ trưa: làm việc trở lại lúc 13:30.")
    office.clock.at(10, 5)  # 17:05
    assert live_hours(client).endswith("Đã hết giờ làm việc. Làm việc trở lại lúc 07:30 Thứ Ba 24/11.")
    office.run(cmd.IssueTicket("ho-tich"))  # after closing the engine still issues tickets
    english = client.get("/live?lang=en").get_data(as_text=True)
    assert text_of(english, "office-closed") == "Opening hours are over for today. Open again at 07:30 Tuesday 24/11."


def test_the_ticket_page_shows_the_day_off(office: Office) -> None:
    client = live_app(office).test_client()
    ticket_id = office.run(cmd.IssueTicket("ho-tich"))["result"]["ticket"]["ticket_id"]
    office.clock.now = office.clock.now.replace(day=28, hour=2)  # Saturday 28/11, 09:00
    page = client.get(f"/t/{ticket_id}").get_data(as_text=True)
    assert text_of(page, "office-hours") == "Hôm nay không làm việc. Làm việc trở lại lúc 07:30 Thứ Hai 30/11."


def test_an_oversized_hours_post_is_refused_before_parsing(office: Office) -> None:
    client = live_app(office).test_client()
    login(client, "admin")
    response = post(client, "/admin/setup/hours", {**WEEK, "holidays": "1/1/2027 " * 300})
    assert response.status_code == 400
    assert "Giờ làm việc: tối đa 2000 ký tự." in response.get_data(as_text=True)
    assert office.sent == []
