"""A remote number end to end, as a citizen lives it: Debian's Chromium on a 360×640 phone in Vietnamese books a
number on the real office server (embedded broker, SQLite store), confirms the SMS code, checks in with the
kiosk's ``check_in`` request over real MQTT, is called, and gets the "near" and "called" SMS.

The SMS go through the server's notifier; until the Gammu backend is configured that is the log-only one, so the
code is read from its log line (masked number, full text). Every MQTT message of the office's tree, every log
record and every file the server wrote are recorded, and the phone number must be in none of them but the phone
store (``remote.sqlite``): the personal-data test of issue 14.
"""

from __future__ import annotations

import json
import logging
import re
import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from queue_server.app import OfficeServer
from queue_server.brokers.credentials import new_password
from queue_server.config import load_settings
from queue_server.contract import topics
from queue_server.contract.mqtt_client import make_client
from queue_server.engine import commands as cmd
from queue_server.web import ticket as ticket_page
from tests.e2e.web_helpers import OFFICE, kiosk, provision
from tests.fakes import wait_until
from tests.fixtures.browser import ARTIFACTS, OpenPage
from tests.fixtures.mosquitto import free_port

PHONE_TYPED = "0912 345 678"
PHONE_FORMS = ("0912345678", "912345678", "+84912345678", "84912345678")
PHONE = {"width": 360, "height": 640}
EVERY_DAY = "\n".join(f'{day} = ["00:00-23:59"]' for day in
                      ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"))  # fmt: skip


class Recorder(logging.Handler):
    """Every log record of the process, formatted as the journal would get it."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.lines: list[str] = []
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(self.format(record))

    def sms(self, purpose: str) -> list[str]:
        return [line for line in self.lines if f"[{purpose}]" in line and "sms (log only)" in line]


class Sniffer:
    """Every message in the office's tree (the read-only monitor account)."""

    def __init__(self, port: int, password: str) -> None:
        self.messages: list[tuple[str, bytes]] = []
        self.lock = threading.Lock()
        self.client = make_client(f"sniffer-{uuid.uuid4().hex[:8]}", topics.MONITOR_USERNAME, password)
        self.client.on_connect = lambda c, *_: c.subscribe(f"motcua/v1/{OFFICE}/#", qos=1)
        self.client.on_message = self._add
        self.client.connect("127.0.0.1", port)
        self.client.loop_start()

    def _add(self, client: Any, userdata: Any, message: Any) -> None:
        with self.lock:
            self.messages.append((message.topic, bytes(message.payload)))

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


@pytest.fixture
def server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[OfficeServer, str, str]]:
    monkeypatch.setattr(ticket_page, "POLL_SECONDS", 1)  # the page's poll, so the call shows within the test
    port, monitor = free_port(), new_password()
    folder = tmp_path / "office"
    folder.mkdir()
    config = folder / "motcua.toml"
    config.write_text(
        f'[broker]\nkind = "embedded"\nhost = "127.0.0.1"\nport = {port}\nserver_password = "{new_password()}"\n'
        f'monitor_password = "{monitor}"\n'
        f'[store]\nurl = "sqlite:///{folder}/office.db"\n[server]\ndata_dir = "{folder / "data"}"\n'
        '[web]\nport = 0\n[clock]\nrequire_sync = "never"\n'
        f"[hours]\n{EVERY_DAY}\n"
        "[remote]\nenabled = true\nnear_position = 3\ncheck_in_before_minutes = 1440\n"
    )
    settings = load_settings(config)
    kiosk_password = provision(settings)
    office = OfficeServer(settings).start()
    try:
        assert office.link is not None and office.link.wait_connected(15)
        yield office, kiosk_password, monitor
    finally:
        office.stop()


def test_a_phone_takes_a_number_checks_in_at_the_kiosk_is_called_and_its_number_stays_private(
    server: tuple[OfficeServer, str, str], open_page: OpenPage, tmp_path: Path
) -> None:
    office, kiosk_password, monitor = server
    assert office.web is not None and office.link is not None
    recorder = Recorder()
    logging.getLogger().addHandler(recorder)
    logging.getLogger().setLevel(logging.DEBUG)
    sniffer = Sniffer(office.settings.broker.port, monitor)
    try:
        page = open_page("remote", viewport=PHONE)
        page.goto(office.web.url.rstrip("/") + "/r")
        expect(page.get_by_role("heading", name="Lấy số trực tuyến")).to_be_visible()
        page.get_by_label("Hộ tịch").check()
        page.get_by_label("Số điện thoại di động").fill(PHONE_TYPED)
        page.get_by_role("button", name="Gửi mã cho tôi").click()
        expect(page.get_by_text("có đuôi …678")).to_be_visible()
        wait_until(lambda: recorder.sms("otp"), "the one-time code's SMS")
        found = re.search(r": (\d{6})\.", recorder.sms("otp")[-1])
        assert found is not None
        page.get_by_label("Mã xác nhận").fill(found.group(1))
        page.get_by_role("button", name="Nhận số").click()
        expect(page.locator("#ticket-label")).to_have_text("A001")
        expect(page.get_by_text("Chưa xác nhận có mặt")).to_be_visible()
        expect(page.locator("#check-in-qr svg")).to_be_visible()
        code = page.locator("#check-in-code").inner_text()
        page.screenshot(path=str(ARTIFACTS / "remote-booked.png"), full_page=True)

        with kiosk(office, kiosk_password, tmp_path) as link:
            assert link.wait_connected(10)
            reply = link.request("check_in", {"check_in_code": code}, timeout=10)
            assert reply is not None and reply["ok"], reply
            assert reply["result"]["ticket"]["label"] == "A001"
        wait_until(lambda: recorder.sms("near"), "the 'your turn is near' SMS")
        expect(page.get_by_text("Chưa xác nhận có mặt")).to_be_hidden()
        page.locator("body").click()  # a person's first touch lets the page play its sound
        office.link.execute(cmd.CallNext("quay-1"))
        expect(page.locator("#ticket-status")).to_have_attribute("data-status", "serving")
        expect(page.get_by_text("Mời bạn đến quầy 1")).to_be_visible()
        expect(page.locator("body")).to_have_attribute("data-alerted", "called")
        wait_until(lambda: recorder.sms("called"), "the 'called' SMS")
        assert "Mời số A001 đến quầy 1." in recorder.sms("called")[-1]
        assert len(recorder.sms("near")) == 1 and len(recorder.sms("called")) == 1
        page.screenshot(path=str(ARTIFACTS / "remote-called.png"), full_page=True)
        page_text = page.content()
    finally:
        logging.getLogger().removeHandler(recorder)
        sniffer.close()
    office.stop()

    # -- where the number may be, and nowhere else -----------------------------------------------------------
    def holds_phone(data: bytes) -> bool:
        return any(form.encode() in data for form in PHONE_FORMS)

    assert sniffer.messages and not [t for t, p in sniffer.messages if holds_phone(p)]
    assert any(b"RemoteCheckedIn" in p for _, p in sniffer.messages)  # the recording did see the remote events
    assert recorder.lines and not [line for line in recorder.lines if holds_phone(line.encode())]
    assert any("…678" in line for line in recorder.lines)
    assert not holds_phone(page_text.encode())
    folder = tmp_path / "office"
    files = [p for p in folder.rglob("*") if p.is_file()]
    allowed = [p for p in files if p.name.startswith("remote.sqlite")]
    assert allowed and any(holds_phone(p.read_bytes()) for p in allowed)
    assert [str(p) for p in files if p not in allowed and holds_phone(p.read_bytes())] == []
    assert any(p.name == "office.db" for p in files)
    assert json.loads(json.dumps({"checked": len(files)}))["checked"] > 3
