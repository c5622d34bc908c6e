"""The live page, its event stream, the live parts of the console and ticket page, on a real office service and
SQLite store: roles, what is shown, how it updates, the stream cap, device alarms, and the translations."""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient

from queue_server.contract.payloads import DeviceStatus
from queue_server.engine import commands as cmd
from queue_server.i18n import TRANSLATIONS
from queue_server.web import create_app
from tests.integration.web_support import Office, login

LIVE_FILES = ["live.py", "server.py", "templates/live.html", "templates/live_panel.html", "templates/base.html"]
LIVE_FILES += ["templates/console_live.html", "templates/ticket_part.html", "templates/console.html"]


def live_app(office: Office, **config: Any) -> Flask:
    test_config = {"TESTING": True, "SECRET_KEY": "test-secret", "LIVE_MIN_INTERVAL_SECONDS": 0, **config}
    return create_app(
        test_config, store=office.store, setup=office.setup, execute=office.execute, live=office.service.live
    )


@pytest.fixture
def app(office: Office) -> Flask:
    return live_app(office)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def text_of(page: str, element_id: str) -> str:
    """The text inside the element with this id (tags stripped, spaces collapsed)."""
    match = re.search(rf'<(\w+)[^>]*\bid="{re.escape(element_id)}"[^>]*>(.*?)</\1>', page, re.S)
    assert match is not None, f"no #{element_id}"
    return " ".join(re.sub(r"<[^>]+>", " ", match.group(2)).split())


def first_events(response: Any, count: int) -> Iterator[str]:
    chunks = iter(response.response)
    for _ in range(count):
        chunk = next(chunks)
        yield chunk.decode() if isinstance(chunk, bytes) else chunk


def event_html(event: str) -> str:
    return "\n".join(line[len("data: ") :] for line in event.splitlines() if line.startswith("data: "))


@pytest.mark.parametrize(
    ("username", "status"), [("boss", 200), ("province", 200), ("admin", 200), ("lan", 403), ("other-boss", 403)]
)
def test_live_page_and_stream_by_role(client: FlaskClient, username: str, status: int) -> None:
    assert client.get("/live").status_code == 302  # not signed in: to the sign-in page
    login(client, username)
    assert client.get("/live").status_code == status
    assert client.get("/live/panel").status_code == status
    response = client.get("/live/stream", buffered=False)
    assert response.status_code == status
    response.close()


def test_live_shows_waiting_counters_longest_wait_and_alerts(office: Office, client: FlaskClient) -> None:
    office.run(cmd.IssueTicket("ho-tich"))
    office.run(cmd.IssueTicket("ho-tich"))
    office.clock.advance(300)
    office.run(cmd.IssueTicket("dat-dai"))
    office.run(cmd.SignIn("quay-1", "nv-lan"))
    office.run(cmd.CallNext("quay-1"))  # A001
    office.run(cmd.PauseCounter("quay-3"))
    login(client, "boss")
    page = client.get("/live").get_data(as_text=True)
    assert (text_of(page, "waiting-ho-tich"), text_of(page, "waiting-dat-dai"), text_of(page, "waiting-cu-tru")) == (
        "1",
        "1",
        "0",
    )
    assert text_of(page, "longest-wait") == "5,0 phút"  # A002, issued five minutes ago
    assert text_of(page, "longest-wait-ticket") == "A002 · Hộ tịch"
    assert 'id="counter-quay-1" class="counter-open" data-status="open"' in page
    assert "A001" in text_of(page, "counter-quay-1") and "Nguyễn Thị Lan" in text_of(page, "counter-quay-1")
    assert 'data-status="paused"' in page and "Tạm dừng" in text_of(page, "counter-quay-3")
    assert "Đang trống" in text_of(page, "counter-quay-2")
    assert text_of(page, "wait-alerts") == ""
    assert "Tất cả thiết bị đang hoạt động bình thường." in text_of(page, "alarms")
    office.clock.advance(11 * 60)  # A002 has now waited 16 minutes, C001 11
    page = client.get("/live").get_data(as_text=True)
    assert text_of(page, "wait-alerts") == "Số A002 (Hộ tịch) đã chờ 16,0 phút, quá 15 phút."
    assert '<meta http-equiv="refresh"' in page and 'src="/static/live.js"' in page
    english = client.get("/live?lang=en").get_data(as_text=True)
    assert text_of(english, "wait-alerts") == "A002 (Civil status) has waited 16.0 min, over 15 min."


def test_alert_threshold_comes_from_the_config(office: Office) -> None:
    client = live_app(office, WAIT_ALERT_SECONDS=60).test_client()
    office.run(cmd.IssueTicket("ho-tich"))
    office.clock.advance(90)
    login(client, "boss")
    assert "A001" in text_of(client.get("/live").get_data(as_text=True), "wait-alerts")


def test_stream_sends_the_panel_then_each_change(office: Office, client: FlaskClient) -> None:
    login(client, "boss")
    response = client.get("/live/stream", buffered=False)
    assert response.mimetype == "text/event-stream"
    events = iter(response.response)
    first = next(events).decode()
    assert first.startswith("retry: 2000\n") and text_of(event_html(first), "waiting-ho-tich") == "0"
    office.run(cmd.IssueTicket("ho-tich"))
    second = event_html(next(events).decode())
    assert text_of(second, "waiting-ho-tich") == "1"
    office.run(cmd.CallNext("quay-2"))
    third = event_html(next(events).decode())
    assert text_of(third, "waiting-ho-tich") == "0" and "A001" in text_of(third, "counter-quay-2")
    response.close()


def test_streams_over_the_cap_get_one_update_and_come_back_later(office: Office) -> None:
    client, other = (live_app(office, LIVE_MAX_STREAMS=1).test_client(),) * 2
    login(client, "boss")
    held = client.get("/live/stream", buffered=False)
    [first] = first_events(held, 1)
    assert first.startswith("retry: 2000\n")
    refused = other.get("/live/stream")  # buffered: completes, because it ends after one event
    body = refused.get_data(as_text=True)
    assert body.startswith("retry: 20000\n") and body.count("\n\n") == 1 and "waiting-ho-tich" in body
    held.close()  # the client went away: its slot is free again
    again = other.get("/live/stream", buffered=False)
    [event] = first_events(again, 1)
    assert event.startswith("retry: 2000\n")
    again.close()


def test_a_stream_ends_when_the_server_stops(office: Office, client: FlaskClient) -> None:
    login(client, "boss")
    response = client.get("/live/stream", buffered=False)
    events = iter(response.response)
    next(events)
    office.service.live.close()
    assert list(events) == []


def test_device_alarms_and_offline_devices_in_vietnamese(
    office: Office, client: FlaskClient, caplog: pytest.LogCaptureFixture
) -> None:
    live = office.service.live
    now = office.clock()
    live.device_status("kiosk-01", "kiosk", DeviceStatus.of(True, ["printer_paper_out"]).encode(), now)
    live.device_status("board-01", "display", DeviceStatus.of(False).encode(), now)
    live.device_status("counter-1", "counter", DeviceStatus.of(True).encode(), now)
    login(client, "boss")
    alarms = text_of(client.get("/live").get_data(as_text=True), "alarms")
    assert "Ki-ốt kiosk-01 : Máy in hết giấy" in alarms
    assert "Màn hình sảnh board-01 : mất kết nối" in alarms
    assert "counter-1" not in alarms  # online, no alarm: nothing to see
    with caplog.at_level(logging.WARNING, logger="queue_server.live"):
        for _ in range(3):
            live.device_status("kiosk-01", "kiosk", b'{"v":1,"online":true,"alarms":["on_fire"]}', now)
    assert [r.getMessage() for r in caplog.records if "kiosk-01" in r.getMessage()] == [
        "device=kiosk-01 sent a malformed status, previous one kept: bad DeviceStatus: "
        + caplog.records[0].getMessage().split("bad DeviceStatus: ")[1]
    ]
    assert "Máy in hết giấy" in text_of(client.get("/live").get_data(as_text=True), "alarms")  # kept
    live.device_status("kiosk-01", "kiosk", DeviceStatus.of(True).encode(), now)
    assert "kiosk-01" not in text_of(client.get("/live").get_data(as_text=True), "alarms")


def test_console_updates_live_for_its_own_counter_only(office: Office, client: FlaskClient) -> None:
    login(client, "lan")
    page = client.get("/console").get_data(as_text=True)
    assert 'data-stream="/console/stream"' in page and text_of(page, "waiting-ho-tich") == "0"
    response = client.get("/console/stream", buffered=False)
    events = iter(response.response)
    assert text_of(event_html(next(events).decode()), "waiting-chung-thuc") == "0"
    office.run(cmd.IssueTicket("ho-tich"))
    office.run(cmd.CallNext("quay-2"))  # another counter calls it: quay-1's console shows nothing in service
    html = event_html(next(events).decode())
    assert "waiting-cu-tru" not in html  # quay-1 does not serve Cư trú
    office.run(cmd.IssueTicket("chung-thuc"))
    office.run(cmd.CallNext("quay-1"))
    html = event_html(next(events).decode())
    while "B001" not in html:
        html = event_html(next(events).decode())
    assert 'data-reload-key="B001|' in html
    response.close()
    login(client, "boss")
    assert client.get("/console/stream").status_code == 403


def test_ticket_page_polls_its_part_until_the_visit_ends(office: Office) -> None:
    client = live_app(office, TICKET_PAGE_PER_MINUTE=4).test_client()
    office.run(cmd.IssueTicket("ho-tich"))
    ticket_id = office.run(cmd.IssueTicket("ho-tich"))["result"]["ticket"]["ticket_id"]
    page = client.get(f"/t/{ticket_id}").get_data(as_text=True)
    assert f'data-poll="/t/{ticket_id}/part"' in page and 'data-every="20"' in page
    assert "Số người đang chờ trước bạn: 1" in page
    office.run(cmd.CallNext("quay-1"))
    assert "Số người đang chờ trước bạn: 0" in client.get(f"/t/{ticket_id}/part").get_data(as_text=True)
    office.run(cmd.CallNext("quay-2"))
    part = client.get(f"/t/{ticket_id}/part").get_data(as_text=True)
    assert "Mời bạn đến quầy 2" in part and 'data-final="no"' in part
    office.run(cmd.FinishService("quay-2", None, None))
    part = client.get(f"/t/{ticket_id}/part").get_data(as_text=True)
    assert "Đã phục vụ xong" in part and 'data-final="yes"' in part
    assert client.get(f"/t/{ticket_id}/part").status_code == 429  # the polls count against the same limit


def test_a_web_process_beside_the_server_follows_the_store(office: Office) -> None:
    """No ``live`` given (``flask run``): the view catches up with new events, no replay per request."""
    client = create_app({"TESTING": True, "SECRET_KEY": "x"}, store=office.store, setup=office.setup).test_client()
    login(client, "boss")
    assert text_of(client.get("/live").get_data(as_text=True), "waiting-ho-tich") == "0"
    office.run(cmd.IssueTicket("ho-tich"))
    assert text_of(client.get("/live").get_data(as_text=True), "waiting-ho-tich") == "1"


def test_nav_links_by_role(client: FlaskClient) -> None:
    expected = {
        "lan": {"nav-console"},
        "boss": {"nav-live", "nav-dashboard", "nav-plan"},
        "admin": {"nav-live", "nav-dashboard", "nav-plan", "nav-admin"},
    }
    for username, ids in expected.items():
        login(client, username)
        page = client.get("/auth/login").get_data(as_text=True)
        assert set(re.findall(r'id="(nav-[a-z]+)"', page)) == ids
    assert ">Trực tiếp</a>" in page and ">Báo cáo</a>" in page and ">Quản trị</a>" in page


def test_every_live_text_has_a_vietnamese_translation_in_nfc() -> None:
    found: set[str] = set()
    for filename, _, message, *_ in extract_from_dir(
        str(TRANSLATIONS.parent), [("**.py", "python"), ("templates/**.html", "jinja2")], keywords={"_": None}
    ):
        if filename in LIVE_FILES or filename == "console.py" or filename == "ticket.py":
            found.add(message)
    assert {"Longest wait", "Printer out of paper", "Your number", "Live"} <= found
    translated: dict[str, str] = {}
    for po in sorted(Path(TRANSLATIONS / "vi" / "LC_MESSAGES").glob("*.po")):
        with po.open("rb") as f:
            translated |= {m.id: m.string for m in read_po(f) if m.id and m.string and m.id not in translated}
    assert sorted(m for m in found if m not in translated) == []
    assert all(unicodedata.is_normalized("NFC", translated[m]) for m in found)


def test_a_flooding_kiosk_shows_on_live_until_quiet_for_a_minute(office: Office, client: FlaskClient) -> None:
    """The admission gate (as the server's MQTT thread runs it) raises the server-side alarm ``flooding``."""
    from queue_server.admission import AdmissionGate
    from queue_server.admission_limits import DeviceLimits, Rate
    from queue_server.contract import topics
    from queue_server.service import DeviceInfo

    clock = [1000.0]
    live = office.service.live
    live.device_status("kiosk-01", "kiosk", DeviceStatus.of(True, ["printer_paper_near_end"]).encode(), office.clock())
    gate = AdmissionGate(
        office.setup.office_id,
        limits=DeviceLimits({"kiosk": Rate(6, 5)}, default=Rate(6, 3)),
        devices=lambda d: DeviceInfo(d, "kiosk"),
        earlier_reply=lambda d, r: None,
        live=live,
        clock=lambda: clock[0],
    )
    topic = topics.request(office.setup.office_id, "kiosk-01")
    admitted = [gate.screen(topic, b"{}")[0] for _ in range(50)]
    assert admitted.count(True) == 5
    login(client, "boss")
    alarms = text_of(client.get("/live").get_data(as_text=True), "alarms")
    assert "Ki-ốt kiosk-01 : Gửi yêu cầu quá nhiều, Máy in sắp hết giấy" in alarms, alarms
    clock[0] += 30
    gate.tick()
    assert "Gửi yêu cầu quá nhiều" in text_of(client.get("/live").get_data(as_text=True), "alarms")
    clock[0] += 31  # a quiet minute since the last refusal
    gate.tick()
    alarms = text_of(client.get("/live").get_data(as_text=True), "alarms")
    assert "Gửi yêu cầu quá nhiều" not in alarms and "kiosk-01" in alarms, alarms  # its own alarm stays
