"""Clock drills against the real ``motcua server`` process, its clock moved by libfaketime at run time.

The server runs with ``LD_PRELOAD=libfaketimeMT`` reading its offset from a file on every call
(``FAKETIME_NO_CACHE``), so the test steps the server's wall clock while it runs, as NTP does; monotonic time is
left real (``FAKETIME_DONT_FAKE_MONOTONIC``), as the kernel's is when NTP steps the clock. The devices and the
test itself keep the real time. Drills: boot behind the last stored event (refused, then a manager's override),
an NTP step forward during the day (alarm on /live, the waiting line kept, no new day from the jump), a step
back across a restart (no stamp earlier than the last stored one, no negative waits).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from sqlalchemy import select

from queue_server.analytics.visits import fold
from queue_server.app import open_store
from queue_server.bench.office import OfficeUnderTest
from queue_server.contract.device_link import DeviceLink
from queue_server.engine import events as ev
from queue_server.store.schema import audit_log
from queue_server.store.web_users import Role, create_user
from tests.e2e.web_helpers import TOKEN, WEB_PASSWORD, Browser
from tests.fakes import wait_until
from tests.fixtures.mosquitto import free_port

# the thread-safe build: the server reads the clock from many threads, and the plain libfaketime.so.1 races on its
# timestamp buffer (wolfcw/libfaketime#547), now and then answering the real time (a 20-hour "jump" in a test)
LIBFAKETIME = next(iter(sorted(Path("/usr/lib").glob("*/faketime/libfaketimeMT.so.1"))), Path("/nonexistent"))
pytestmark = pytest.mark.skipif(not LIBFAKETIME.exists(), reason="libfaketime (Debian faketime) not installed")


class ServerClock:
    """The server's clock as an offset from real time, written where libfaketime reads it on every call."""

    def __init__(self, directory: Path) -> None:
        self.path = directory / "faketime.rc"
        # a fixed local morning (08:00 in Vietnam) of a day after the release, whatever the hour of the test run
        real = datetime.now(UTC)
        self.morning = real.replace(hour=1, minute=0, second=0, microsecond=0) + timedelta(days=1)
        self.set(self.morning)

    def set(self, server_time: datetime) -> None:
        offset = round((server_time - datetime.now(UTC)).total_seconds())
        self.path.write_text(f"{offset:+d}\n")

    def env(self) -> dict[str, str]:
        return {
            "LD_PRELOAD": str(LIBFAKETIME),
            "FAKETIME_TIMESTAMP_FILE": str(self.path),
            "FAKETIME_NO_CACHE": "1",
            "FAKETIME_DONT_FAKE_MONOTONIC": "1",
        }


@pytest.fixture
def office(tmp_path: Path) -> Iterator[OfficeUnderTest]:
    office = OfficeUnderTest(tmp_path / "office", port=free_port(), broker_kind="embedded", web=True)
    with office.config_path.open("a") as fp:
        fp.write('[clock]\nrequire_sync = "never"\njump_alarm_minutes = 5\n')
    office.provision({"kiosk-1": ("kiosk", None), "counter-1": ("counter", "quay-1")})
    store = open_store(office.settings)
    try:
        create_user(store.engine, "boss", WEB_PASSWORD, Role.MANAGER, office_id=office.office_id,
                    password_method="pbkdf2:sha256:1000")  # fmt: skip
    finally:
        store.close()
    yield office
    office.stop_server()


def start(office: OfficeUnderTest, clock: ServerClock) -> Browser:
    """Start the server under the fake clock; a manager signed in to its web pages."""
    offset = office.log_path.stat().st_size if office.log_path.exists() else 0
    office.start_server(env=clock.env())
    found: list[str] = []

    def url_logged() -> bool:
        found[:] = re.findall(r"web pages on (http://[^\s\"]+)", office.log_path.read_text()[offset:])
        return bool(found)

    wait_until(url_logged, timeout=30)
    browser = Browser(found[0])
    browser.login("boss")
    return browser


def ask(link: DeviceLink, kind: str, **body: Any) -> dict[str, Any]:
    reply = link.request(kind, body, timeout=15)
    assert reply is not None, "no reply from the server"
    return dict(reply)


def issue(link: DeviceLink) -> dict[str, Any]:
    return ask(link, "issue_ticket", service_id="ho-tich")


def confirm_time(browser: Browser) -> str:
    """The manager presses "Giờ đã đúng" on the live page."""
    match = TOKEN.search(browser.get("/live"))
    assert match is not None
    form = urlencode({"csrf_token": match.group(1)}).encode()
    with browser.opener.open(browser.base + "/live/clock/confirm", form, timeout=10) as response:
        assert response.status == 200
        return str(response.read().decode())


def stored_events(office: OfficeUnderTest) -> list[ev.Event]:
    store = open_store(office.settings)
    try:
        return [s.event for s in store.events()]
    finally:
        store.close()


def test_boot_behind_the_last_event_is_refused_until_a_manager_confirms(office: OfficeUnderTest) -> None:
    clock = ServerClock(office.directory)
    start(office, clock)
    with office.link("kiosk-1") as kiosk:
        assert kiosk.wait_connected(10)
        assert issue(kiosk)["result"]["ticket"]["label"] == "A001"
    office.stop_server()
    clock.set(clock.morning - timedelta(days=1) + timedelta(hours=2))  # a Pi without RTC, booted before NTP
    browser = start(office, clock)
    with office.link("kiosk-1") as kiosk:
        assert kiosk.wait_connected(10)
        refused = issue(kiosk)
        assert refused["ok"] is False and refused["error"]["code"] == "clock_not_synced"
        assert "behind the last event" in refused["error"]["message"]
        live = browser.get("/live")
        assert "Đang ngừng cấp số" in live and "Giờ đã đúng" in live
        page = confirm_time(browser)
        assert "Đã xác nhận giờ máy chủ là đúng" in page
        accepted = issue(kiosk)
        assert accepted["ok"] is True and accepted["result"]["ticket"]["label"] == "A002"  # same day, no A001 again
    store = open_store(office.settings)
    try:
        with store.engine.connect() as conn:
            audited = conn.execute(select(audit_log.c.username).where(audit_log.c.action == "clock.confirm")).all()
    finally:
        store.close()
    assert [row.username for row in audited] == ["boss"]
    stamps = [e.at for e in stored_events(office)]
    assert stamps == sorted(stamps)  # nothing stamped earlier than what was stored before the restart


def test_ntp_step_forward_alarms_and_never_expires_the_line(office: OfficeUnderTest) -> None:
    clock = ServerClock(office.directory)
    browser = start(office, clock)
    with office.link("kiosk-1") as kiosk:
        assert kiosk.wait_connected(10)
        labels = [issue(kiosk)["result"]["ticket"]["label"] for _ in range(3)]
        assert labels == ["A001", "A002", "A003"]
        clock.set(clock.morning + timedelta(hours=2))  # NTP steps the clock 2 h forward, the same local day
        later = issue(kiosk)
        assert later["ok"] is True and later["result"]["events"] == ["TicketIssued"]  # no new day
        browser.login("boss")  # two hours later by the server's clock: the 30-minute session has ended
        assert re.search(r"Đồng hồ máy chủ vừa nhảy tới 1[12]\d phút", browser.get("/live/panel"))
        clock.set(clock.morning + timedelta(hours=18))  # a second step, into the next local day (02:00)
        refused = issue(kiosk)
        assert refused["ok"] is False and refused["error"]["code"] == "clock_not_synced"
        assert "jumped forward" in refused["error"]["message"]
    events = stored_events(office)
    assert sum(isinstance(e, ev.DayStarted) for e in events) == 1  # the jump started no day, expired nobody
    assert sum(isinstance(e, ev.TicketIssued) for e in events) == 4
    assert "server clock jumped forward by" in office.log_tail(200)


def test_step_back_across_a_restart_stamps_nothing_earlier_and_no_wait_is_negative(office: OfficeUnderTest) -> None:
    clock = ServerClock(office.directory)
    clock.set(clock.morning + timedelta(hours=2))
    start(office, clock)
    with office.link("kiosk-1") as kiosk:
        assert kiosk.wait_connected(10)
        replies = [issue(kiosk) for _ in range(2)]
        assert [r["ok"] for r in replies] == [True, True], replies
    office.stop_server()
    clock.set(clock.morning)  # two hours back across the restart
    start(office, clock)
    with office.link("kiosk-1") as kiosk, office.link("counter-1") as counter:
        assert kiosk.wait_connected(10) and counter.wait_connected(10)
        assert issue(kiosk)["error"]["code"] == "clock_not_synced"  # no number from a clock behind the log
        called = ask(counter, "call_next", counter_id="quay-1")  # the day goes on: calls are stamped at the floor
        assert called["ok"] is True
    events = stored_events(office)
    stamps = [e.at for e in events]
    assert stamps == sorted(stamps)
    setup = next(e.setup for e in events if isinstance(e, ev.OfficeConfigured))
    visits = fold(events, setup).visits.values()
    waits = [w.seconds for v in visits for w in v.waits]
    assert waits and min(waits) >= 0
