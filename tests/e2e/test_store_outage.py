"""The database fails mid-burst, with real processes: the server process, real Mosquitto, real PostgreSQL stopped
with ``pg_ctl stop -m fast`` and started again; real SQLite on a small tmpfs filled to the last byte, then freed.

Several runs in a row on the same office (``DRILL_RUNS``). After each: every request answered, every answered
request stored exactly once, ticket numbers gapless per service and day, no call of a ticket that was never
stored, and "store unavailable" logged a few times per outage, not once per resend. After the last run the server
restarts and replays its log cleanly (not read-only).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from queue_server.app import open_store
from queue_server.bench.office import OfficeUnderTest
from queue_server.bench.postgres import TemporaryPostgres
from queue_server.contract.device_link import DeviceLink
from queue_server.engine.events import TicketCalled, TicketIssued
from tests.fixtures.mosquitto import MosquittoBroker, free_port

pytestmark = [pytest.mark.mosquitto]

KIOSKS = ("kiosk-1", "kiosk-2")
SERVICES = ("ho-tich", "chung-thuc", "dat-dai", "cu-tru")
DRILL_RUNS = int(os.environ.get("MOTCUA_DRILL_RUNS", "10"))
PER_RUN = 30
"""Ticket requests per kiosk and run, sent over ~1.5 s while the fault comes and goes."""
OUTAGE_SECONDS = 1.5
SETTLE_TIMEOUT = 60.0


class Replies:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.by_id: dict[str, dict[str, Any]] = {}
        self.transient = 0

    def add(self, reply: dict[str, Any]) -> None:
        with self.lock:
            self.by_id[reply["id"]] = reply

    def not_now(self, reply: dict[str, Any]) -> None:
        with self.lock:
            self.transient += 1


class Drill:
    def __init__(self, office: OfficeUnderTest) -> None:
        self.office = office
        self.replies = Replies()
        self.tickets: list[str] = []
        self.calls: list[str] = []
        self.links: list[DeviceLink] = []

    def open(self) -> None:
        for device in (*KIOSKS, "counter-1"):
            link = self.office.link(device, on_reply=self.replies.add, resend_interval=0.5)
            link.on_transient = self.replies.not_now
            self.links.append(link.start())
        assert all(link.wait_connected(15) for link in self.links)

    def close(self) -> None:
        for link in self.links:
            link.close()

    def run(self, begin: Callable[[], None], end: Callable[[], None]) -> None:
        """A burst with the fault in its middle: it begins after a third of the burst, ends ``OUTAGE_SECONDS`` on."""

        def fault() -> None:
            time.sleep(0.4)
            try:
                begin()
                time.sleep(OUTAGE_SECONDS)
            finally:
                end()

        faulting = threading.Thread(target=fault)
        faulting.start()
        *kiosks, counter = self.links
        for i in range(PER_RUN):
            for k, link in enumerate(kiosks):
                self.tickets.append(link.submit("issue_ticket", {"service_id": SERVICES[(i + k) % len(SERVICES)]}))
            if i % 3 == 0:
                self.calls.append(counter.submit("call_next", {"counter_id": "quay-1"}))
            time.sleep(0.05)
        faulting.join()
        deadline = time.monotonic() + SETTLE_TIMEOUT
        while time.monotonic() < deadline and any(link.pending() for link in self.links):
            time.sleep(0.1)
        assert not any(link.pending() for link in self.links), (
            f"unanswered: {[link.pending() for link in self.links]}\n{self.office.log_tail()}"
        )

    def check(self) -> None:
        by_id = self.replies.by_id
        assert set(by_id) == set(self.tickets) | set(self.calls), "every request answered"
        assert all(by_id[t]["ok"] for t in self.tickets), [by_id[t] for t in self.tickets if not by_id[t]["ok"]][:3]
        store = open_store(self.office.settings)
        try:
            stored = list(store.events())
        finally:
            store.close()
        issued = [s for s in stored if isinstance(s.event, TicketIssued)]
        assert len(issued) == len(self.tickets), f"{len(issued)} tickets stored for {len(self.tickets)} requests"
        assert max(Counter(s.request_id for s in issued).values()) == 1, "a request applied twice"
        answered = {by_id[t]["result"]["ticket"]["ticket_id"] for t in self.tickets}
        assert answered == {s.event.ticket_id for s in issued if isinstance(s.event, TicketIssued)}
        numbers: dict[tuple[str, object], list[int]] = defaultdict(list)
        for s in issued:
            assert isinstance(s.event, TicketIssued)
            numbers[(s.event.service_id, s.event.day)].append(s.event.number)
        for key, found in numbers.items():
            assert sorted(found) == list(range(1, len(found) + 1)), f"gap or duplicate in {key}"
        issued_at = {s.event.ticket_id: s.seq for s in issued if isinstance(s.event, TicketIssued)}
        called = [s for s in stored if isinstance(s.event, TicketCalled)]
        for s in called:
            assert isinstance(s.event, TicketCalled)
            assert issued_at.get(s.event.ticket_id, s.seq) < s.seq, f"call of a ticket never stored: {s}"
        called_by_request = {s.request_id: s for s in called}
        for call in self.calls:
            if by_id[call]["ok"]:
                event = called_by_request[call].event
                assert isinstance(event, TicketCalled)
                assert by_id[call]["result"]["ticket"]["ticket_id"] == event.ticket_id


def _office(tmp_path: Path, mosquitto: MosquittoBroker, store_url: str | None, **kwargs: Any) -> OfficeUnderTest:
    port = free_port()
    office = OfficeUnderTest(tmp_path / "office", port=port, store_url=store_url, **kwargs)
    office.provision({**{k: ("kiosk", None) for k in KIOSKS}, "counter-1": ("counter", "quay-1")})
    mosquitto.start_on(port, office.accounts(), office_id=office.office_id)
    office.start_server()
    return office


def _drill(office: OfficeUnderTest, begin: Callable[[], None], end: Callable[[], None]) -> None:
    drill = Drill(office)
    try:
        drill.open()
        for _ in range(DRILL_RUNS):
            drill.run(begin, end)
            drill.check()
        assert drill.replies.transient > 0, "the fault was seen: store_unavailable answered and resent"
    finally:
        drill.close()
    log = office.log_path.read_text(errors="replace")
    outage_lines = [line for line in log.splitlines() if "logger=queue_server.store.health" in line]
    assert 0 < len(outage_lines) <= 4 * DRILL_RUNS, "a few lines per outage, not one per resend"
    assert "Traceback" not in log, office.log_tail()
    offset = office.log_path.stat().st_size
    office.stop_server()
    office.start_server()  # replays the log: a gap or a call of a missing ticket would make it read-only
    restarted = office.log_path.read_text(errors="replace")[offset:]
    assert "replayed" in restarted and "READ-ONLY" not in restarted, restarted
    office.stop_server()


@pytest.mark.postgres
def test_postgres_stopped_mid_burst_loses_nothing_and_invents_nothing(
    tmp_path: Path, mosquitto: MosquittoBroker, postgres_server: TemporaryPostgres, postgres_db_url: str
) -> None:
    office = _office(tmp_path, mosquitto, postgres_db_url)
    try:
        _drill(office, postgres_server.halt, postgres_server.resume)
    finally:
        office.stop_server()
        ready = postgres_server.run("pg_isready", "-h", "127.0.0.1", "-p", str(postgres_server.port))
        if ready.returncode != 0:
            postgres_server.resume()  # the session's other tests need it


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 16 MB tmpfs for the office's database, so that it can really be filled (needs root: mount)."""
    mount_point = tmp_path / "disk"
    mount_point.mkdir()
    if shutil.which("mount") is None or os.geteuid() != 0:
        pytest.skip("filling a disk needs root to mount a small tmpfs")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount_point)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", "-l", str(mount_point)], check=False)


def filling(folder: Path) -> tuple[Callable[[], None], Callable[[], None]]:
    """Fill the disk (a file written until it says no) and free it again."""
    filler = folder / "filler"

    def begin() -> None:
        with filler.open("wb", buffering=0) as fp:  # unbuffered: closing has nothing left to write
            try:
                while True:
                    fp.write(b"\0" * 65536)
            except OSError:
                pass

    def end() -> None:
        filler.unlink(missing_ok=True)

    return begin, end


def test_sqlite_disk_full_mid_burst_loses_nothing_and_invents_nothing(
    tmp_path: Path, mosquitto: MosquittoBroker, small_disk: Path
) -> None:
    # min_free_mb = 0: no floor, so SQLite itself meets the full disk (the floor is tested on the service).
    office = _office(tmp_path, mosquitto, f"sqlite:///{small_disk}/office.db", min_free_mb=0)
    try:
        _drill(office, *filling(small_disk))
    finally:
        office.stop_server()
