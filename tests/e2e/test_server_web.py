"""The office server serving its web pages: ``motcua server`` answers HTTP, and a device's paper-out status,
published through a real broker (Mosquitto, and the embedded amqtt with motcua's ACL), reaches the managers' live
page and its event stream over real HTTP (waitress)."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from queue_server.app import OfficeServer
from queue_server.brokers.credentials import hash_password, new_password
from queue_server.brokers.mosquitto import BrokerAccount
from queue_server.config import load_settings
from queue_server.contract import topics
from queue_server.contract.mqtt_client import make_client
from queue_server.contract.topics import SERVER_USERNAME
from tests.e2e.web_helpers import OFFICE, Browser, kiosk, provision, write_config
from tests.fakes import wait_until
from tests.fixtures.mosquitto import MosquittoBroker, free_port

ALARMS = re.compile(r'<ul id="alarms"[^>]*>(.*?)</ul>', re.S)


@pytest.fixture(params=["mosquitto", "embedded"])
def office(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[OfficeServer, str]]:
    """A running office server (web on a free port) and its kiosk's password, on either broker."""
    port, server_password = free_port(), new_password()
    settings = load_settings(write_config(tmp_path / "office", request.param, port, server_password))
    kiosk_password = provision(settings)
    if request.param == "mosquitto":
        mosquitto: MosquittoBroker = request.getfixturevalue("mosquitto")
        accounts = [
            BrokerAccount("kiosk-01", hash_password(kiosk_password)),
            BrokerAccount(SERVER_USERNAME, hash_password(server_password)),
        ]
        mosquitto.start_on(port, accounts, office_id=OFFICE)
    server = OfficeServer(settings).start()
    try:
        assert server.link is not None and server.link.wait_connected(15)
        yield server, kiosk_password
    finally:
        server.stop()


def test_paper_out_reaches_the_live_page_and_its_stream(
    office: tuple[OfficeServer, str], tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    server, password = office
    assert server.web is not None
    browser = Browser(server.web.url)
    browser.login("boss")

    def alarms() -> str:
        match = ALARMS.search(browser.get("/live"))
        assert match is not None
        return match.group(1)

    with kiosk(server, password, tmp_path) as link:
        assert link.wait_connected(10)
        link.set_alarms(["printer_paper_out"])
        wait_until(lambda: "Máy in hết giấy" in alarms())
        assert "Ki-ốt kiosk-01" in alarms()
        event = browser.first_event("/live/stream")
        assert event.startswith("retry: 2000\n") and "Máy in hết giấy" in event and 'id="waiting-ho-tich"' in event

        # A malformed status is logged once, and the previous status stays on the page.
        rogue = make_client("rogue-kiosk", "kiosk-01", password)
        rogue.connect("127.0.0.1", server.settings.broker.port)
        rogue.loop_start()
        try:
            with caplog.at_level(logging.WARNING, logger="queue_server.live"):
                for _ in range(3):
                    rogue.publish(
                        topics.device_status(OFFICE, "kiosk-01"), b'{"online": "maybe"}', qos=1
                    ).wait_for_publish(5)
                link.set_alarms(["printer_paper_out", "printer_paper_near_end"])  # a later, valid status
                wait_until(lambda: "Máy in sắp hết giấy" in alarms())
        finally:
            rogue.disconnect()
            rogue.loop_stop()
        malformed = [r for r in caplog.records if "malformed status" in r.getMessage()]
        assert len(malformed) == 1 and "device=kiosk-01" in malformed[0].getMessage()
    wait_until(lambda: "mất kết nối" in alarms())  # the kiosk said goodbye: offline


def test_motcua_server_serves_the_web_pages(tmp_path: Path) -> None:
    directory = tmp_path / "office"
    config = write_config(directory, "embedded", free_port(), new_password())
    log_path = directory / "server.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "queue_server.cli", "--config", str(config), "server"],
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
    try:
        found: list[str] = []

        def url_logged() -> bool:
            assert process.poll() is None, log_path.read_text()
            found[:] = re.findall(r"web pages on (http://[^\s\"]+)", log_path.read_text())
            return bool(found)

        wait_until(url_logged, timeout=30)
        with urllib.request.urlopen(found[0] + "auth/login", timeout=10) as response:
            assert response.status == 200 and "Đăng nhập" in response.read().decode()
        secret = directory / "data" / "web.secret"
        assert secret.stat().st_mode & 0o777 == 0o600 and len(secret.read_text()) >= 32
    finally:
        process.terminate()
        assert process.wait(timeout=20) == 0, log_path.read_text()
