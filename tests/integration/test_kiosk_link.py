"""The kiosk against a real office on real Mosquitto: alarms, a late reply, ID-card privacy, restart.

The server runs as its own process (``OfficeUnderTest``), the kiosk app in this one with a real ``DeviceLink``; a
third MQTT client logged in as the server user records every message published in the office's tree.
"""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from queue_server.bench.office import OfficeUnderTest
from queue_server.contract import topics
from tests.fixtures.mosquitto import MosquittoBroker, free_port
from tests.integration.test_printer_serial import PAPER_OK, PAPER_OUT, FakeSerialPrinter
from tests.unit import test_kiosk_app
from tests.unit.test_kiosk_scan import ELDER, MASKED, SECRETS

pytestmark = [pytest.mark.mosquitto]
ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts" / "kiosk"
pg = test_kiosk_app.pg  # the SDL dummy driver fixture


class Sniffer:
    """Every message in the office's tree, as (topic, payload, retained), as the server sees them."""

    def __init__(self, office: OfficeUnderTest) -> None:
        from queue_server.contract.mqtt_client import make_client

        self.messages: list[tuple[str, bytes, bool]] = []
        self.lock = threading.Lock()
        # the read-only monitor account: the client id is the username, so the server's would take it over
        self.client = make_client(f"sniffer-{uuid.uuid4().hex[:8]}", topics.MONITOR_USERNAME, office.monitor_password)
        self.client.on_connect = lambda c, *_: c.subscribe(f"motcua/v1/{office.office_id}/#", qos=1)
        self.client.on_message = self._add
        self.client.connect("127.0.0.1", office.port)
        self.client.loop_start()

    def _add(self, client: Any, userdata: Any, message: Any) -> None:
        with self.lock:
            self.messages.append((message.topic, bytes(message.payload), bool(message.retain)))

    def wait_for(self, topic: str, check: Callable[[dict[str, Any]], bool], timeout: float = 15) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for seen, payload, _ in reversed(self.messages):
                    if seen == topic:
                        data: dict[str, Any] = json.loads(payload)
                        if check(data):
                            return data
                        break
            time.sleep(0.05)
        raise AssertionError(f"nothing matching on {topic}: {self.messages[-5:]}")

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def retained(office: OfficeUnderTest, topic: str) -> dict[str, Any]:
    """What a client subscribing now gets for ``topic``: the broker's retained copy (retain flag set)."""
    late = Sniffer(office)
    try:
        late.wait_for(topic, lambda d: True)
        with late.lock:
            found = [(p, r) for t, p, r in late.messages if t == topic]
        assert found[0][1], "delivered as retained"
        data: dict[str, Any] = json.loads(found[0][0])
        return data
    finally:
        late.close()


@pytest.fixture
def office(tmp_path: Path, mosquitto: MosquittoBroker) -> Iterator[OfficeUnderTest]:
    office = OfficeUnderTest(tmp_path / "office", port=free_port())
    office.provision({"kiosk-1": ("kiosk", None), "counter-1": ("counter", "quay-1")})
    mosquitto.start_on(office.port, office.accounts(), office_id=office.office_id)
    office.start_server()
    yield office
    office.stop_server()


def kiosk(office: OfficeUnderTest, printer: Any, **timing: float) -> tuple[Any, Any]:
    from kiosk.app import KioskApp, SystemClock
    from kiosk.catalogue import load_catalogue
    from kiosk.config import KioskConfig, ScannerSection, TimingSection, office_from_settings

    link = office.link("kiosk-1", state_topics=(topics.waiting_state(office.office_id),), resend_interval=0.5)
    config = KioskConfig(timing=TimingSection(**timing), scanner=ScannerSection(show_masked_name=True))
    app = KioskApp(link, printer, load_catalogue(), office_from_settings(office.settings), clock=SystemClock(),
                   config=config)  # fmt: skip
    link.start()
    assert link.wait_connected(10)
    return app, link


def test_paper_out_is_a_retained_alarm_on_the_kiosk_status_until_refilled(office: OfficeUnderTest, pg: Any) -> None:
    from hardware.printer import open_printer

    sniffer = Sniffer(office)
    fake = FakeSerialPrinter()
    fake.state[4] = PAPER_OUT
    status = topics.device_status(office.office_id, "kiosk-1")
    try:
        with open_printer("serial", devfile=fake.devfile, baudrate=115200, timeout=0.2, width=576) as printer:
            app, link = kiosk(office, printer, printer_check_s=1.0)
            with closing(link):
                app.step()
                app.button("field:ho-tich").action()
                app.wait_idle(20)
                assert app.screen.name == "printer_error" and "Máy in hết giấy" in " ".join(app.texts())
                sniffer.wait_for(status, lambda d: d["online"] and d["alarms"] == ["printer_paper_out"])
                assert retained(office, status) == {"v": 1, "online": True, "alarms": ["printer_paper_out"]}
                fake.state[4] = PAPER_OK  # refilled: the next idle check clears the alarm
                deadline = time.monotonic() + 15
                while app.alarm_board.current() and time.monotonic() < deadline:
                    app.update()
                    time.sleep(0.1)
                sniffer.wait_for(status, lambda d: d["online"] and d["alarms"] == [])
                assert retained(office, status) == {"v": 1, "online": True, "alarms": []}
                app.close()
    finally:
        sniffer.close()
        fake.close()


def test_a_late_reply_is_logged_not_printed(
    office: OfficeUnderTest, mosquitto: MosquittoBroker, pg: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The broker hangs (SIGSTOP) while the request is on its way; the citizen is told "reconnecting" and gets
    no ticket; the broker comes back and delivers the request, the server issues a ticket: logged, not printed."""
    from hardware.printer import open_printer

    caplog.set_level(logging.INFO)
    ticket_log = tmp_path / "tickets.bin"
    with open_printer("file", path=ticket_log) as printer:
        app, link = kiosk(office, printer, request_timeout_s=1.5)
        with closing(link):
            app.step()
            assert mosquitto.process is not None
            mosquitto.process.send_signal(signal.SIGSTOP)
            try:
                app.button("field:ho-tich").action()
                app.wait_idle(20)
                assert app.screen.name == "offline" and "Hệ thống đang kết nối lại..." in app.texts()
                time.sleep(1.0)  # well past the request's time to live
            finally:
                mosquitto.process.send_signal(signal.SIGCONT)
            deadline = time.monotonic() + 20
            while not app.late_tickets and time.monotonic() < deadline:
                time.sleep(0.05)
            assert app.late_tickets == ["A001"], "the server did issue it: the request was already in flight"
            while app.waiting.get("ho-tich") != 1 and time.monotonic() < deadline:
                time.sleep(0.05)
            assert app.waiting.get("ho-tich") == 1
            # no sleep: the late reply was handled (late_tickets above) and the office's state that followed it
            # has arrived, so whatever the kiosk shows for that reply is on screen after one frame
            app.update()
            assert app.screen.name in ("offline", "home"), "no ticket screen for a citizen who was sent away"
            app.close()
    assert ticket_log.read_bytes() == b"", "a late ticket must not be printed"
    assert any("late ticket A001" in r.getMessage() and "not printed" in r.getMessage() for r in caplog.records)


def test_scan_to_ticket_publishes_and_stores_no_id_data(
    office: OfficeUnderTest, pg: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The office enabled the masked name: it travels in the request and the counter unit's private view, nowhere
    else (what every device account can receive: ``tests/e2e/test_hostile_requests.py``)."""
    from firmware.display.counter_model import CounterDisplayModel
    from hardware.printer import open_printer

    caplog.set_level(logging.DEBUG)
    sniffer = Sniffer(office)
    screen = CounterDisplayModel(office.office_id, "quay-1", device_id="counter-1")
    counter_link = office.link("counter-1", on_state=screen.on_state, state_topics=screen.state_topics())
    ticket_log = tmp_path / "tickets.bin"
    try:
        with open_printer("file", path=ticket_log) as printer:
            app, link = kiosk(office, printer)
            with closing(link):
                app.step()
                app.scan(ELDER)
                app.step()
                assert app.screen.name == "scan_offer" and "Xin chào Nguyễn V. A." in app.texts()
                app.button("offer:yes").action()
                app.button("field:ho-tich").action()
                app.wait_idle(20)
                assert app.screen.name == "ticket" and "A001" in app.texts()
                sniffer.wait_for(topics.waiting_state(office.office_id), lambda d: d["waiting"].get("ho-tich") == 1)
                app.close()
        with counter_link:
            assert counter_link.wait_connected(10)
            screen.set_link(True)
            assert (counter_link.request("call_next", {"counter_id": "quay-1"}) or {}).get("ok")
            unit_view = topics.device_view(office.office_id, "counter-1")
            sniffer.wait_for(unit_view, lambda d: (d.get("serving") or {}).get("display_name") == MASKED)
            sniffer.wait_for(topics.board_state(office.office_id), lambda d: bool(d["recent"]))
            deadline = time.monotonic() + 10
            while screen.view().display_name is None and time.monotonic() < deadline:
                time.sleep(0.05)
            assert (screen.view().label, screen.view().display_name) == ("A001", MASKED), "the counter's screen"
    finally:
        sniffer.close()
        office.stop_server()
    request = next(json.loads(p) for t, p, _ in sniffer.messages if t.endswith("/dev/kiosk-1/req"))
    assert request["body"] == {"service_id": "ho-tich", "priority": "elderly_60", "display_name": MASKED}
    carrying = {t.split("/v1/", 1)[1].split("/", 1)[1] for t, p, _ in sniffer.messages if MASKED.encode() in p}
    assert carrying == {"dev/kiosk-1/req", "dev/counter-1/view"}, carrying  # not the state, events or replies
    published = b"\n".join(p for _, p, _ in sniffer.messages)
    logged = caplog.text
    files = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()}
    assert ticket_log in files and b"\x1dv0" in files[ticket_log]
    kiosk_files = {p for p in files if p.parent != office.directory or "kiosk-1" in p.name}  # its outbox, printer
    assert MASKED not in logged and not [p for p in kiosk_files if MASKED.encode() in files[p]]
    holders = {p.name for p in files if MASKED.encode() in files[p]}
    assert holders and all(n.startswith("office.db") for n in holders), holders  # the event log keeps it, nothing else
    for secret in SECRETS:
        assert secret.encode() not in published, secret
        assert secret not in logged, secret
        leaks = [p for p, data in files.items() if secret.encode() in data]
        assert not leaks, (secret, leaks)


def test_a_restarted_kiosk_comes_back_home_with_the_waiting_counts(office: OfficeUnderTest, pg: Any) -> None:
    from hardware.printer import open_printer

    with open_printer("dummy") as printer:
        app, link = kiosk(office, printer)
        with closing(link):
            app.step()
            for service in ("ho-tich", "ho-tich", "dat-dai"):
                app.home()
                app.button(f"field:{service}").action()
                app.wait_idle(20)
            app.close()
        app, link = kiosk(office, printer)  # a new process would do exactly this
        with closing(link):
            deadline = time.monotonic() + 10
            while app.waiting != {"ho-tich": 2, "dat-dai": 1} and time.monotonic() < deadline:
                time.sleep(0.05)
            app.step()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            app.save_png(str(ARTIFACTS / "restart-home.png"))
            assert app.screen.name == "home"
            assert "2 người đang chờ" in app.texts() and "1 người đang chờ" in app.texts()
            app.close()


def test_broker_down_shows_reconnecting_sends_nothing_and_back_up_returns_home(
    office: OfficeUnderTest, mosquitto: MosquittoBroker, pg: Any, tmp_path: Path
) -> None:
    from hardware.printer import open_printer

    ticket_log = tmp_path / "tickets.bin"
    with open_printer("file", path=ticket_log) as printer:
        app, link = kiosk(office, printer)
        with closing(link):
            app.step()
            app.button("field:dat-dai").action()
            app.wait_idle(20)
            assert app.screen.name == "ticket"
            app.home()
            mosquitto.stop()
            deadline = time.monotonic() + 15
            while link.connected and time.monotonic() < deadline:
                time.sleep(0.05)
            app.update()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            app.save_png(str(ARTIFACTS / "broker-down.png"))
            assert app.screen.name == "offline" and "Hệ thống đang kết nối lại..." in app.texts()
            app.take_ticket("ho-tich")
            assert app.requests_sent == 1 and not app.busy, "nothing sent while the broker is down"
            mosquitto.restart()
            deadline = time.monotonic() + 30
            while app.screen.name != "home" and time.monotonic() < deadline:
                app.update()
                time.sleep(0.1)
            assert app.screen.name == "home"
            while "1 người đang chờ" not in app.texts() and time.monotonic() < deadline:
                app.update()
                time.sleep(0.1)
            assert "1 người đang chờ" in app.texts(), "dat-dai's count, from retained state after the restart"
            app.close()
    assert ticket_log.read_bytes().count(b"\x1dV\x00") == 1, "one ticket printed, none while down"
