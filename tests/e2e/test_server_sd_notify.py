"""``motcua server`` under a systemd-like supervisor: it sends READY=1 once serving, pings WATCHDOG=1 within
half of WatchdogSec, and STOPPING=1 on SIGTERM, as datagrams to a real ``$NOTIFY_SOCKET``."""

from __future__ import annotations

import socket
from pathlib import Path

from queue_server.bench.office import OfficeUnderTest
from tests.fixtures.mosquitto import free_port


def test_server_notifies_ready_watchdog_and_stopping(tmp_path: Path) -> None:
    path = str(tmp_path / "notify")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind(path)
        sock.settimeout(20)
        office = OfficeUnderTest(tmp_path / "office", port=free_port(), broker_kind="embedded")
        office.start_server(env={"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "2000000"})  # WatchdogSec=2
        try:
            assert sock.recv(4096).decode() == "READY=1\nSTATUS=office tuan-giao serving"
            assert sock.recv(4096).decode() == "WATCHDOG=1"
        finally:
            office.stop_server()
        messages = []
        while (message := sock.recv(4096).decode()) == "WATCHDOG=1":
            messages.append(message)
        assert message == "STOPPING=1"
