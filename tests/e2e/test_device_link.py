"""DeviceLink through a server outage on real Mosquitto: durable requests are delivered once the server is back;
requests with a time to live (staff commands) expire locally and never reach the server late."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest

from queue_server.app import open_store
from queue_server.bench.office import OfficeUnderTest
from tests.fixtures.mosquitto import MosquittoBroker, free_port

pytestmark = [pytest.mark.mosquitto]


def test_outage_durable_delivered_volatile_expired(tmp_path: Path, mosquitto: MosquittoBroker) -> None:
    port = free_port()
    office = OfficeUnderTest(tmp_path / "office", port=port)
    office.provision({"kiosk-1": ("kiosk", None), "counter-1": ("counter", "quay-1")})
    mosquitto.start_on(port, office.accounts(), office_id=office.office_id)
    replies: list[dict[str, Any]] = []
    got = threading.Condition()

    def on_reply(reply: dict[str, Any]) -> None:
        with got:
            replies.append(reply)
            got.notify_all()

    office.start_server()  # the server's MQTT session now exists on the broker...
    office.stop_server()  # ...and it goes down: the broker must not keep requests for it
    with (
        office.link("kiosk-1", resend_interval=0.5) as kiosk,
        office.link("counter-1", on_reply=on_reply, resend_interval=0.5) as counter,
    ):
        assert kiosk.wait_connected(10) and counter.wait_connected(10)
        # The server is down: the broker is up and accepts, nobody answers.
        ticket_request = kiosk.submit("issue_ticket", {"service_id": "ho-tich"})
        staff_request = counter.submit("call_next", {"counter_id": "quay-1"}, ttl=1.0)
        with got:
            assert got.wait_for(lambda: any(r["id"] == staff_request for r in replies), timeout=10)
        expired = next(r for r in replies if r["id"] == staff_request)
        assert expired["ok"] is False and expired["error"]["code"] == "expired"
        assert counter.pending() == 0 and kiosk.pending() == 1
        office.start_server()
        try:
            deadline = time.monotonic() + 20
            while kiosk.pending() and time.monotonic() < deadline:
                time.sleep(0.1)
            assert kiosk.pending() == 0, "the durable ticket request was delivered and answered"
            time.sleep(1.5)  # several resend intervals: an expired request would have been resent by now
        finally:
            office.stop_server()
    store = open_store(office.settings)
    try:
        stored = [(s.request_id, type(s.event).__name__) for s in store.events() if s.request_id]
    finally:
        store.close()
    assert (ticket_request, "TicketIssued") in stored
    assert all(request_id != staff_request for request_id, _ in stored), "an expired staff command reached the server"
