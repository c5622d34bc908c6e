"""The service when its store fails (real SQLite underneath, a store that can be switched "down"): the state
follows the store, never leads it; a failed commit leaves the state exactly as before; ``store_unavailable``
replies, recovery by itself; a commit reported failed but stored all the same; the free-space floor; the WAL
checkpoint; a corrupt event that starts the service read-only.
"""

from __future__ import annotations

import copy
import itertools
import json
import logging
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update
from sqlalchemy.exc import OperationalError

from queue_server.config import load_settings
from queue_server.contract import topics
from queue_server.engine import commands as cmd
from queue_server.service import OfficeService, Publish
from queue_server.store.event_store import Commit, EventStore, StoredEvent
from queue_server.store.health import Problem, ServerReadOnly, StoreHealth, StoreUnavailable
from queue_server.store.jsonl import export_jsonl
from queue_server.store.schema import events as events_table
from tests.fakes import SteppingClock
from tests.integration.test_service import DEVICES, OFFICE, replies, request

MB = 1024 * 1024


class FlakyStore(EventStore):
    """A real SQLite store that fails like a stopped database while ``down`` (and, with ``lose_ack``, stores
    a commit but raises as if the connection dropped after COMMIT)."""

    down = False
    full = False
    """Reads work, commits fail: a full disk."""
    lose_ack = False

    def _fail(self) -> None:
        if self.down:
            raise OperationalError("SELECT 1", {}, ConnectionRefusedError("connection refused"))

    def commit(self, batch: Sequence[Commit]) -> list[list[StoredEvent]]:
        self._fail()
        if self.full:
            raise OperationalError("INSERT", {}, sqlite3.OperationalError("database or disk is full"))
        stored = super().commit(batch)
        if self.lose_ack:
            self.lose_ack = False
            raise OperationalError("COMMIT", {}, ConnectionResetError("server closed the connection"))
        return stored

    def find_replies(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        self._fail()
        return super().find_replies(keys)

    def last_seq(self) -> int:
        self._fail()
        return super().last_seq()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[FlakyStore]:
    store = FlakyStore(f"sqlite:///{tmp_path}/office.db", OFFICE)
    store.migrate()
    yield store
    store.close()


def make_service(store: EventStore, health: StoreHealth | None = None, **kwargs: Any) -> OfficeService:
    ids = (f"t{i:04d}" for i in itertools.count())
    service = OfficeService(
        setup=load_settings().office_setup(),
        store=store,
        devices=DEVICES.get,
        clock=SteppingClock(),
        new_id=lambda: next(ids),
        health=health,
        **kwargs,
    )
    service.start()
    return service


def issue(n: int, first: int = 0) -> list[tuple[str, bytes]]:
    return [request("kiosk-01", f"req-{i:08d}", "issue_ticket", service_id="ho-tich") for i in range(first, first + n)]


def codes(out: list[Publish], device: str = "kiosk-01") -> list[str]:
    return ["ok" if r["ok"] else r["error"]["code"] for r in replies(out, device)]  # type: ignore[index]


def status_of(out: list[Publish]) -> dict[str, Any] | None:
    found = [json.loads(p.payload) for p in out if p.topic == topics.server_status(OFFICE)]
    return found[-1] if found else None


def test_a_failed_commit_leaves_the_state_exactly_as_before_and_recovers_by_itself(store: FlakyStore) -> None:
    service = make_service(store)
    service.handle(issue(1))
    before = copy.deepcopy(service.state)
    store.full = True
    out = service.handle(issue(3, first=1))  # decided one after the other (A002, A003, A004), none stored
    assert codes(out) == ["store_unavailable"] * 3
    assert service.state == before
    assert service.live.snapshot().store.problem is Problem.DISK_FULL
    full = "disk full (database or disk is full)"
    assert status_of(out) == {"v": 1, "online": True, "store": "disk_full", "reason": full}
    assert sum(w.count for w in service.live.snapshot().waiting) == 1, "no uncommitted ticket on the pages"
    with pytest.raises(StoreUnavailable):
        service.execute(cmd.CallNext("quay-1"))
    assert service.state == before
    store.full, store.down = False, True  # then the database goes away altogether
    out = service.handle(issue(3, first=1))
    assert codes(out) == ["store_unavailable"] * 3
    assert status_of(out) == {"v": 1, "online": True, "store": "unavailable", "reason": "connection refused"}
    assert service.state == before

    store.down = False
    out = service.handle(issue(3, first=1))  # the devices resend the same ids
    assert codes(out) == ["ok"] * 3
    labels = [r["result"]["ticket"]["label"] for r in replies(out, "kiosk-01")]  # type: ignore[index]
    assert labels == ["A002", "A003", "A004"]
    assert status_of(out) == {"v": 1, "online": True}
    assert service.live.snapshot().store.ok
    assert service.state == make_service(store).state, "the state is the replay of the store"


def test_a_commit_stored_despite_its_error_is_taken_from_the_store(store: FlakyStore) -> None:
    service = make_service(store)
    store.lose_ack = True
    assert codes(service.handle(issue(2))) == ["store_unavailable"] * 2
    out = service.handle(issue(2) + issue(1, first=2))  # both resent, and a new one
    got = replies(out, "kiosk-01")
    assert [r["result"]["ticket"]["label"] for r in got] == ["A001", "A002", "A003"]  # type: ignore[index]
    issued = [s for s in store.events() if type(s.event).__name__ == "TicketIssued"]
    assert len(issued) == 3, "each request stored once"
    assert service.state == make_service(store).state


def test_tick_clears_the_alarm_when_the_database_answers_again(store: FlakyStore) -> None:
    service = make_service(store)
    store.down = True
    service.handle(issue(1))
    assert not service.live.snapshot().store.ok
    store.down = False
    service._probed = 0.0  # as if the probe interval had passed
    out = service.tick()
    assert status_of(out) == {"v": 1, "online": True}
    assert service.live.snapshot().store.ok


def test_one_log_line_a_minute_while_the_store_is_down(store: FlakyStore, caplog: pytest.LogCaptureFixture) -> None:
    service = make_service(store)
    store.down = True
    with caplog.at_level(logging.ERROR, logger="queue_server.store.health"):
        for i in range(20):
            service.handle(issue(1, first=i))
    lines = [r for r in caplog.records if r.name == "queue_server.store.health"]
    assert len(lines) == 1 and "store unavailable" in lines[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)


def test_under_the_free_space_floor_new_tickets_wait_and_the_line_is_still_served(store: FlakyStore) -> None:
    free = [1000 * MB]
    health = StoreHealth(Path("/"), min_free_mb=200, space_check_seconds=0, free=lambda _: free[0])
    service = make_service(store, health)
    service.handle(issue(1))
    free[0] = 150 * MB
    out = service.handle(issue(1, first=1))
    assert codes(out) == ["store_unavailable"]
    assert "disk almost full: 150 MB free" in replies(out, "kiosk-01")[0]["error"]["message"]  # type: ignore[index]
    assert status_of(out) is not None and status_of(out)["store"] == "low_space"  # type: ignore[index]
    snapshot = service.live.snapshot()
    assert snapshot.store.problem is Problem.LOW_SPACE and snapshot.store.free_mb == 150
    out = service.handle([request("counter-1", "req-call0001", "call_next", counter_id="quay-1")])
    assert codes(out, "counter-1") == ["ok"], "the people already waiting are still called"
    free[0] = 900 * MB
    assert codes(service.handle(issue(1, first=1))) == ["ok"]


def test_the_wal_is_checkpointed_and_truncated_on_schedule(store: FlakyStore, tmp_path: Path) -> None:
    service = make_service(store, wal_checkpoint_seconds=0)
    service.handle(issue(50))
    wal = tmp_path / "office.db-wal"
    assert wal.stat().st_size > 0
    service.tick(quiet=True)
    assert wal.stat().st_size == 0


def corrupt(store: EventStore, seq: int, payload: str) -> None:
    """Overwrite one stored event's payload, as a disk error or a hand edit would."""
    with store.engine.begin() as conn:
        conn.execute(update(events_table).where(events_table.c.seq == seq).values(payload=payload))


def event_id_of(store: EventStore, seq: int) -> str:
    return next(s.event_id for s in store.events() if s.seq == seq)


@pytest.mark.parametrize(
    "payload",
    [
        '{"type": "TicketIssued", "at": "garbage"',  # not JSON
        '{"type": "NoSuchEvent", "at": "2026-11-23T01:00:00+00:00"}',  # not an event
        '{"type":"TicketCalled","at":"2026-11-23T01:00:09+00:00","ticket_id":"nope","counter_id":"quay-1",'
        '"service_id":"ho-tich","staff_id":null,"segment":1}',  # decodes, but calls a ticket that never was
    ],
)
def test_a_corrupt_event_starts_the_service_read_only_and_export_saves_the_rest(
    store: FlakyStore, payload: str, caplog: pytest.LogCaptureFixture
) -> None:
    service = make_service(store)
    service.handle(issue(5))
    bad_seq = 4
    bad_id = event_id_of(store, bad_seq)
    corrupt(store, bad_seq, payload)
    with caplog.at_level(logging.ERROR):
        restarted = make_service(store)
    assert restarted.read_only is not None and (restarted.read_only.seq, restarted.read_only.event_id) == (
        bad_seq,
        bad_id,
    )
    assert any(f"seq={bad_seq} event_id={bad_id}" in r.getMessage() for r in caplog.records)
    out = restarted.handle(issue(1, first=10))
    assert codes(out) == ["read_only"]
    assert str(bad_id) in replies(out, "kiosk-01")[0]["error"]["message"]  # type: ignore[index]
    with pytest.raises(ServerReadOnly):
        restarted.execute(cmd.CallNext("quay-1"))
    assert restarted.live.snapshot().store.problem is Problem.READ_ONLY
    assert sum(w.count for w in restarted.live.snapshot().waiting) == 1, "the office as of the event before"

    skipped: list[Any] = []
    lines: list[str] = []

    class Sink:
        def write(self, text: str) -> None:
            lines.append(text)

    written = export_jsonl(store, Sink(), skipped)  # type: ignore[arg-type]
    total = store.last_seq()
    if payload.startswith('{"type":"TicketCalled"'):
        assert written == total and not skipped, "a decodable event is exported as it is"
    else:
        assert written == total - 1 and [(e.seq, e.event_id) for e in skipped] == [(bad_seq, bad_id)]


def test_the_pages_never_see_a_batch_whose_commit_is_still_running_or_failed(store: FlakyStore) -> None:
    service = make_service(store)
    service.handle(issue(1))
    in_commit, release = threading.Event(), threading.Event()
    real_commit = store.commit

    def slow_failing_commit(batch: Sequence[Commit]) -> list[list[StoredEvent]]:
        in_commit.set()
        release.wait(10)
        raise OperationalError("COMMIT", {}, sqlite3.OperationalError("disk I/O error"))

    store.commit = slow_failing_commit  # type: ignore[method-assign]
    batch = threading.Thread(target=service.handle, args=(issue(3, first=1),))
    batch.start()
    assert in_commit.wait(10)
    seen: list[int] = []
    reader = threading.Thread(target=lambda: seen.append(sum(w.count for w in service.live.snapshot().waiting)))
    reader.start()
    reader.join(0.3)
    assert reader.is_alive(), "a page waits while the batch is being committed"
    release.set()
    batch.join(10)
    reader.join(10)
    assert seen == [1], "and then sees the state without the failed batch"
    store.commit = real_commit  # type: ignore[method-assign]
