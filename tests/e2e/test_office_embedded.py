"""The office on the embedded defaults (amqtt in the server process, SQLite), as ``make demo`` runs it."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from queue_server.bench.office import OfficeUnderTest
from queue_server.brokers.process import free_port
from queue_server.config import load_settings
from queue_server.contract import topics
from queue_server.demo.office import device_rng, next_ticket

OFFICE = "tuan-giao"


class StateSeen:
    """Collects retained state messages and lets a test wait for one that matches."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.messages: list[tuple[str, dict[str, Any]]] = []

    def __call__(self, topic: str, data: dict[str, Any]) -> None:
        with self.cond:
            self.messages.append((topic, data))
            self.cond.notify_all()

    def wait_for(self, topic: str, check: Any, timeout: float = 10) -> dict[str, Any]:
        with self.cond:
            found: list[dict[str, Any]] = []

            def ready() -> bool:
                found[:] = [d for t, d in self.messages if t == topic and check(d)]
                return bool(found)

            assert self.cond.wait_for(ready, timeout), f"no matching message on {topic}: {self.messages[-5:]}"
            return found[-1]


def test_embedded_office_serves_devices_and_displays_recover_at_once(tmp_path: Path) -> None:
    office = OfficeUnderTest(tmp_path / "office", port=free_port(), broker_kind="embedded")
    office.provision({"kiosk-1": ("kiosk", None), "counter-1": ("counter", "quay-1"), "board-1": ("display", None)})
    office.start_server()
    try:
        kiosk_saw = StateSeen()
        with office.link("kiosk-1", on_state=kiosk_saw) as kiosk, office.link("counter-1") as counter:
            assert kiosk.wait_connected(10) and counter.wait_connected(10)
            issued = kiosk.request("issue_ticket", {"service_id": "ho-tich", "priority": "elderly_60"})
            assert issued is not None and issued["ok"], issued
            assert issued["result"]["ticket"]["label"] == "A001"
            called = counter.request("call_next", {"counter_id": "quay-1"})
            assert called is not None and called["result"]["ticket"]["label"] == "A001"
            refused = kiosk.request("call_next", {"counter_id": "quay-1"})
            assert refused is not None and refused["error"]["code"] == "forbidden"
            with pytest.raises(ValueError, match="limit"):
                kiosk.submit("issue_ticket", {"service_id": "x" * 5000})
        # The kiosk subscribed to nothing but its replies: no other device's state may reach it.
        assert kiosk_saw.messages == []
        # A display that (re)connects now is right at once, from retained state alone.
        seen = StateSeen()
        state_topics = (
            topics.counter_state(OFFICE, "quay-1"),
            topics.board_state(OFFICE),
            topics.server_status(OFFICE),
        )
        with office.link("board-1", on_state=seen, state_topics=state_topics) as board:
            assert board.wait_connected(10)
            now_serving = seen.wait_for(state_topics[0], lambda d: d["serving"] is not None)
            assert now_serving["serving"]["label"] == "A001" and now_serving["number"] == 1
            hall = seen.wait_for(state_topics[1], lambda d: d["recent"])
            assert hall["recent"][0]["label"] == "A001" and hall["recent"][0]["counter_number"] == 1
            seen.wait_for(state_topics[2], lambda d: d["online"] is True)
            office.stop_server()  # the embedded broker goes with the server: displays see the link drop
            deadline = time.monotonic() + 10
            while board.connected and time.monotonic() < deadline:
                time.sleep(0.05)
            assert not board.connected
    finally:
        office.stop_server()


def test_demo_runs_the_office_and_issues_and_calls(tmp_path: Path) -> None:
    config = tmp_path / "demo.toml"
    port = free_port()
    config.write_text(
        f'[broker]\nport = {port}\n[store]\nurl = "sqlite:///{tmp_path}/office.db"\n'
        f'[server]\ndata_dir = "{tmp_path}/data"\n'
    )
    result = subprocess.run(
        [sys.executable, "-m", "queue_server.cli", "--config", str(config), "demo", "--seconds", "12", "--seed", "7"],
        capture_output=True,
        text=True,
        timeout=90,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    issued = [line for line in result.stderr.splitlines() if "Ki-ốt: phát số" in line]
    assert issued, result.stderr[-3000:]
    # seeded: the kiosk's first ticket is the service and category its generator draws first
    services = load_settings(config).services
    _, service, priority = next_ticket(device_rng(7, "kiosk-01"), [s.id for s in services])
    name = next(s.name_vi for s in services if s.id == service)
    assert f"{' (ưu tiên)' if priority else ''} – {name}, " in issued[0], issued[0]
    assert "mời số" in result.stderr and "Bảng gọi số" in result.stderr, result.stderr[-3000:]
    devices = json.loads((tmp_path / "data" / "demo-devices.json").read_text())
    assert {"kiosk-01", "board-01", "counter-1", "counter-2", "counter-3"} == set(devices)
