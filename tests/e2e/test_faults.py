"""Faults with real processes: SIGKILL of the server, a restart of the broker, both mid-burst.

3 kiosks send 1,000 ticket requests between them. Whatever breaks, afterwards every request is answered, every
answered ticket is in the store exactly once, and numbers are unique and gapless per service and day.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

import pytest

from queue_server.app import open_store
from queue_server.bench.office import OfficeUnderTest
from queue_server.engine.events import TicketIssued
from tests.fixtures.mosquitto import MosquittoBroker

pytestmark = [pytest.mark.mosquitto]

KIOSKS = ("kiosk-1", "kiosk-2", "kiosk-3")
SERVICES = ("ho-tich", "chung-thuc", "dat-dai", "cu-tru")
TOTAL = 1000
SETTLE_TIMEOUT = 180.0


class Replies:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_id: dict[str, dict[str, Any]] = {}
        self.count = 0

    def add(self, reply: dict[str, Any]) -> None:
        with self.lock:
            self.by_id[reply["id"]] = reply
            self.count += 1


def _burst(office: OfficeUnderTest, replies: Replies, fault: Any) -> list[str]:
    links = [office.link(k, on_reply=replies.add, resend_interval=1.0) for k in KIOSKS]
    sent: list[str] = []
    try:
        for link in links:
            link.start()
            assert link.wait_connected(15)
        per_kiosk = [TOTAL // 3 + (1 if i < TOTAL % 3 else 0) for i in range(3)]
        fault_at = TOTAL // 3
        faulted = False
        for i in range(max(per_kiosk)):
            for k, link in enumerate(links):
                if i < per_kiosk[k]:
                    sent.append(link.submit("issue_ticket", {"service_id": SERVICES[(i + k) % len(SERVICES)]}))
            if not faulted and len(sent) >= fault_at:
                fault()
                faulted = True
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while time.monotonic() < deadline and any(link.pending() for link in links):
            time.sleep(0.2)
        assert not any(link.pending() for link in links), (
            f"unanswered: {[link.pending() for link in links]}\n{office.log_tail()}"
        )
    finally:
        for link in links:
            link.close()
    return sent


def _check_store(office: OfficeUnderTest, sent: list[str], replies: Replies) -> None:
    assert set(replies.by_id) == set(sent), "every request answered"
    assert all(r["ok"] for r in replies.by_id.values()), [r for r in replies.by_id.values() if not r["ok"]][:3]
    store = open_store(office.settings)
    try:
        issued = [s for s in store.events() if isinstance(s.event, TicketIssued)]
    finally:
        store.close()
    by_request = Counter(s.request_id for s in issued)
    assert len(issued) == TOTAL, f"{len(issued)} tickets stored for {TOTAL} requests"
    assert max(by_request.values()) == 1, "a retried request was applied twice"
    stored_ids = {s.event.ticket_id for s in issued if isinstance(s.event, TicketIssued)}
    answered_ids = {r["result"]["ticket"]["ticket_id"] for r in replies.by_id.values()}
    assert answered_ids == stored_ids, "every answered ticket is in the store"
    numbers: dict[tuple[str, object], list[int]] = defaultdict(list)
    for s in issued:
        assert isinstance(s.event, TicketIssued)
        numbers[(s.event.service_id, s.event.day)].append(s.event.number)
    for key, nums in numbers.items():
        assert sorted(nums) == list(range(1, len(nums) + 1)), f"gap or duplicate in {key}"


def _office(tmp_path: Path, mosquitto: MosquittoBroker, store_url: str | None) -> OfficeUnderTest:
    # The broker's port is chosen first, so the office's config can name it.
    from tests.fixtures.mosquitto import free_port

    port = free_port()
    office = OfficeUnderTest(tmp_path / "office", port=port, store_url=store_url)
    office.provision({k: ("kiosk", None) for k in KIOSKS})
    mosquitto.start_on(port, office.accounts(), office_id=office.office_id)
    office.start_server()
    return office


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fault_store_url(request: pytest.FixtureRequest) -> str | None:
    if request.param == "sqlite":
        return None
    url: str = request.getfixturevalue("postgres_db_url")
    return url


def test_server_killed_mid_burst_loses_nothing(
    tmp_path: Path, mosquitto: MosquittoBroker, fault_store_url: str | None
) -> None:
    office = _office(tmp_path, mosquitto, fault_store_url)
    replies = Replies()

    def kill_and_restart() -> None:
        office.kill_server()
        office.start_server()

    try:
        sent = _burst(office, replies, kill_and_restart)
    finally:
        office.stop_server()
    _check_store(office, sent, replies)


def test_broker_restarted_mid_burst_loses_nothing(
    tmp_path: Path, mosquitto: MosquittoBroker, fault_store_url: str | None
) -> None:
    office = _office(tmp_path, mosquitto, fault_store_url)
    replies = Replies()
    try:
        sent = _burst(office, replies, mosquitto.kill_and_restart)
    finally:
        office.stop_server()
    _check_store(office, sent, replies)
