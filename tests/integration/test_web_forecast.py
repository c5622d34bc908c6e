"""The forecast on the web pages (real office service, SQLite store): the public ticket page, the staff
console's queue and ``/live``, all in the office's time, the same figures the issue reply carried."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from flask.testing import FlaskClient

from queue_server.engine import commands as cmd
from queue_server.web import create_app
from tests.integration.web_support import Office, login

QUEUED = re.compile(r'<li data-ticket="([^"]+)">(.*?)</li>', re.S)


@pytest.fixture
def clocked(office: Office) -> FlaskClient:
    """A client of the web app inside the server: it reads the service's own live view, on the test clock."""
    config = {"TESTING": True, "SECRET_KEY": "test-secret"}
    app = create_app(config, store=office.store, setup=office.setup, execute=office.execute, live=office.service.live)
    return app.test_client()


def text_of(page: str, element_id: str) -> str:
    """The text inside the element with this id (tags stripped, spaces collapsed)."""
    match = re.search(rf'<(\w+)[^>]*\bid="{re.escape(element_id)}"[^>]*>(.*?)</\1>', page, re.S)
    assert match is not None, f"no #{element_id}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(2)).split())


def _issue(office: Office, service_id: str = "ho-tich", priority: str | None = None) -> dict[str, object]:
    result: dict[str, object] = office.run(cmd.IssueTicket(service_id, priority=priority))["result"]
    return result


def test_the_ticket_page_shows_the_expected_call_in_office_time(office: Office, clocked: FlaskClient) -> None:
    for _ in range(6):
        result = _issue(office)
    ticket_id = result["ticket"]["ticket_id"]  # type: ignore[index]
    forecast = result["forecast"]  # type: ignore[index]
    text = text_of(clocked.get(f"/t/{ticket_id}").get_data(as_text=True), "ticket-forecast")
    match = re.fullmatch(r"Dự kiến được gọi: khoảng (\d+)–(\d+) phút \(khoảng (\d\d:\d\d)\)", text)
    assert match is not None, text
    low, high = int(match[1]), int(match[2])
    assert low <= high and high > 0
    # The page forecasts afresh (more runs, a later now) what the reply printed: the same call, give or take.
    printed = datetime.fromisoformat(forecast["call_at"])  # type: ignore[index]
    shown = datetime.combine(printed.date(), datetime.strptime(match[3], "%H:%M").time(), printed.tzinfo)
    assert abs(shown - printed) <= timedelta(minutes=5), (match[3], printed)
    english = text_of(clocked.get(f"/t/{ticket_id}?lang=en").get_data(as_text=True), "ticket-forecast")
    assert english.startswith("Expected call: about ")


def test_a_ticket_no_open_counter_serves_says_so(office: Office, client: FlaskClient) -> None:
    office.run(cmd.PauseCounter("quay-3"))  # the only counter for land
    ticket_id = _issue(office, "dat-dai")["ticket"]["ticket_id"]  # type: ignore[index]
    page = client.get(f"/t/{ticket_id}").get_data(as_text=True)
    assert text_of(page, "ticket-forecast") == "Hiện chưa có quầy nào đang mở phục vụ lĩnh vực này."


def test_the_console_queue_and_live_show_each_waiting_tickets_expected_call(
    office: Office, clocked: FlaskClient
) -> None:
    labels = [_issue(office)["ticket"]["label"] for _ in range(4)]  # type: ignore[index]
    urgent = _issue(office, priority="elderly_60")["ticket"]["label"]  # type: ignore[index]
    login(clocked, "lan")
    queue = QUEUED.findall(clocked.get("/console").get_data(as_text=True))
    assert [label for label, _ in queue][:3] == [*labels[:2], urgent]  # the engine's order: two normals, then 60+
    times = []
    for _, item in queue:
        match = re.search(r"Dự kiến gọi lúc (\d\d:\d\d) \((\d\d:\d\d)–(\d\d:\d\d)\)", item)
        assert match is not None, item
        assert match[2] <= match[1] <= match[3]
        times.append(match[1])
    assert len(set(times)) > 1  # not one constant: each ticket its own call
    local_now = office.clock.now + timedelta(hours=7)
    assert times[0] == f"{local_now:%H:%M}"  # two idle counters: the first is called at once
    login(clocked, "boss")
    table = text_of(clocked.get("/live").get_data(as_text=True), "forecast")
    assert all(label in table for label in labels) and urgent in table
    assert "Lượt gọi" not in table and "Số Lĩnh vực Thứ tự Dự kiến gọi" in table
