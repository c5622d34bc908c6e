"""The durable store on real databases: every test runs on SQLite and on PostgreSQL (``store_url``)."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from itertools import count
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, select

from queue_server.engine import QueueState, decide
from queue_server.engine import commands as cmd
from queue_server.engine.events import Event, TicketIssued
from queue_server.engine.setup import Counter, OfficeSetup, Outcome, Service, Staff
from queue_server.store import (
    Commit,
    DeviceExistsError,
    DeviceKind,
    DeviceRegistry,
    DuplicateRequestError,
    EventStore,
    JsonlError,
    StoreError,
    UnknownDeviceError,
    event_store,
    export_jsonl,
    import_jsonl,
)
from queue_server.store.schema import events as events_table
from queue_server.store.schema import metadata

OFFICE = "ubnd-phuong-ben-thanh"
START = datetime(2026, 5, 4, 1, 30, tzinfo=UTC)  # 08:30 in Hồ Chí Minh City

SETUP = OfficeSetup(
    office_id=OFFICE,
    name="Trung tâm Phục vụ hành chính công phường Bến Thành",
    services=(Service("hotich", "A", "Hộ tịch", "Civil status"), Service("datdai", "B", "Đất đai", "Land")),
    counters=(Counter("q1", 1, ("hotich",)), Counter("q2", 2, ("datdai", "hotich"))),
    staff=(Staff("nv1", "Nguyễn Văn An"),),
)

SCRIPT: list[cmd.Command] = [
    cmd.ConfigureOffice(SETUP),
    cmd.SignIn("q1", "nv1"),
    cmd.IssueTicket("hotich", device_id="kiosk-1"),
    cmd.IssueTicket("datdai", priority="elderly_60", device_id="kiosk-1"),
    cmd.IssueTicket("hotich", device_id="kiosk-1"),
    cmd.CallNext("q1"),
    cmd.Recall("q1"),
    cmd.RateService("q1", "very_satisfied"),
    cmd.FinishService("q1", Outcome.DOSSIER_RECEIVED, "H12.34-260504-0001"),
    cmd.CallNext("q2"),
    cmd.Transfer("q2", to_service_id="hotich", to_counter_id="q1", to_front=True),
    cmd.CallNext("q1"),
    cmd.SkipTicket("q1"),
    cmd.PauseCounter("q2"),
    cmd.ResumeCounter("q2"),
    cmd.SignOut("q1"),
]


def run_script(tz: timezone = UTC) -> list[list[Event]]:
    """The events of each command of ``SCRIPT``, decided by the real engine one minute apart."""
    state = QueueState()
    ids = count(1)
    out = []
    for minute, command in enumerate(SCRIPT):
        now = (START + timedelta(minutes=minute)).astimezone(tz)
        events = decide(state, command, now, lambda: f"ticket-{next(ids)}")
        for event in events:
            state.apply(event)
        out.append(events)
    return out


def commits(tz: timezone = UTC) -> list[Commit]:
    return [
        Commit("kiosk-1" if i % 2 else "counter-q1", f"req-{i}", events, {"ok": True, "n": i, "text": "Hộ tịch"})
        for i, events in enumerate(run_script(tz))
    ]


@pytest.fixture
def store(store_url: str) -> Iterator[EventStore]:
    store = EventStore(store_url, OFFICE)
    store.migrate()
    yield store
    store.close()


def open_store(url: str, office_id: str = OFFICE) -> EventStore:
    store = EventStore(url, office_id)
    store.migrate()
    return store


def export_text(store: EventStore) -> str:
    buffer = io.StringIO()
    export_jsonl(store, buffer)
    return buffer.getvalue()


def test_migrate_creates_the_schema_of_the_code_on_an_empty_database(store_url: str) -> None:
    store = EventStore(store_url, OFFICE)
    try:
        store.migrate()
        store.migrate()  # at head already: nothing to do, no error
        with store.engine.connect() as conn:
            assert {"events", "requests", "devices"} <= set(inspect(conn).get_table_names())
            # The hand-written revision and schema.py describe the same tables.
            assert compare_metadata(MigrationContext.configure(conn), metadata) == []
        assert store.last_seq() == 0
        assert list(store.events()) == []
    finally:
        store.close()
        store.close()  # idempotent


def test_commit_then_read_back_equal(store: EventStore) -> None:
    batch = commits()
    returned = store.commit(batch)
    assert [[s.event for s in stored] for stored in returned] == [list(c.events) for c in batch]
    stored = list(store.events())
    assert stored == [s for group in returned for s in group]
    assert [s.event for s in stored] == [e for c in batch for e in c.events]
    for s in stored:
        assert s.event.at.tzinfo is not None
        assert s.office_id == OFFICE
        assert uuid.UUID(s.event_id).version == 4
    assert len({s.event_id for s in stored}) == len(stored)
    first_issue = next(s for s in stored if isinstance(s.event, TicketIssued))
    assert (first_issue.device_id, first_issue.request_id) == ("counter-q1", "req-2")


def test_event_times_keep_their_instant_and_the_column_is_utc(store: EventStore) -> None:
    hcm = timezone(timedelta(hours=7))
    batch = commits(tz=hcm)
    store.commit(batch)
    stored = list(store.events())
    assert [s.event.at for s in stored] == [e.at for c in batch for e in c.events]
    assert stored[0].event.at.utcoffset() == timedelta(hours=7)  # the payload keeps the original offset
    with store.engine.connect() as conn:
        column = conn.execute(select(events_table.c.at).order_by(events_table.c.seq)).scalars().all()
    assert column == [s.event.at for s in stored]
    assert all(at.utcoffset() == timedelta(0) for at in column)


def test_find_reply_returns_the_stored_reply_or_none(store: EventStore) -> None:
    store.commit(commits()[:3])
    rejected = Commit("kiosk-2", "req-x", [], {"ok": False, "reason": "unknown_service"})
    assert store.commit([rejected]) == [[]]
    assert store.find_reply("kiosk-1", "req-1") == {"ok": True, "n": 1, "text": "Hộ tịch"}
    assert store.find_reply("kiosk-2", "req-x") == {"ok": False, "reason": "unknown_service"}
    assert store.find_reply("kiosk-1", "req-999") is None
    assert store.find_reply("kiosk-9", "req-1") is None


def test_a_committed_request_cannot_be_committed_again(store: EventStore) -> None:
    batch = commits()
    store.commit(batch[:3])
    last = store.last_seq()
    with pytest.raises(DuplicateRequestError, match="kiosk-1/req-1") as info:
        store.commit([batch[3], batch[1]])
    assert info.value.keys == [("kiosk-1", "req-1")]
    assert store.last_seq() == last  # the whole batch was rolled back, batch[3] included
    assert store.find_reply(batch[3].device_id or "", batch[3].request_id or "") is None


def test_a_request_repeated_inside_one_batch_is_refused(store: EventStore) -> None:
    batch = commits()
    with pytest.raises(DuplicateRequestError):
        store.commit([batch[0], batch[1], batch[1]])
    assert store.last_seq() == 0


def test_naive_event_times_are_refused(store: EventStore) -> None:
    naive = Commit(
        None,
        None,
        [
            TicketIssued(
                at=datetime(2026, 5, 4, 8, 0), ticket_id="t", service_id="s", number=1, label="A001", day=START.date()
            )
        ],
        {},
    )
    with pytest.raises(StoreError, match="naive"):
        store.commit([naive])
    assert store.last_seq() == 0


def test_seq_strictly_increases_and_pages_resume_after_a_seq(store: EventStore) -> None:
    batch = commits()
    for i in range(0, len(batch), 4):
        store.commit(batch[i : i + 4])
    seqs = [s.seq for s in store.events()]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    assert store.last_seq() == seqs[-1]
    assert [s.seq for s in store.events(batch_size=3)] == seqs
    assert [s.seq for s in store.events(after_seq=seqs[4], batch_size=2)] == seqs[5:]
    assert list(store.events(after_seq=seqs[-1])) == []


def test_each_office_sees_only_its_own_events(store: EventStore, store_url: str) -> None:
    store.commit(commits()[:2])
    other = EventStore(store_url, "another-office")
    try:
        assert list(other.events()) == [] and other.last_seq() == 0
    finally:
        other.close()


def test_export_then_import_gives_identical_events(store: EventStore, new_store_url: Callable[[], str]) -> None:
    store.commit(commits())
    text = export_text(store)
    lines = text.splitlines()
    assert len(lines) == store.last_seq()
    first = json.loads(lines[0])
    assert set(first) == {"schema", "seq", "event_id", "office_id", "device_id", "request_id", "event"}
    assert first["schema"] == 1 and first["event"]["type"] == "OfficeConfigured"

    target = open_store(new_store_url())
    try:
        assert import_jsonl(target, io.StringIO(text)) == len(lines)
        original, copied = list(store.events()), list(target.events())
        assert [(s.event_id, s.device_id, s.request_id, s.event) for s in copied] == [
            (s.event_id, s.device_id, s.request_id, s.event) for s in original
        ]
        assert export_text(target) == text
        assert import_jsonl(target, io.StringIO(text)) == 0  # idempotent by event_id
        assert target.last_seq() == store.last_seq()
    finally:
        target.close()


def test_a_corrupt_line_is_reported_and_nothing_is_imported(
    store: EventStore, new_store_url: Callable[[], str], monkeypatch: pytest.MonkeyPatch
) -> None:
    store.commit(commits())
    lines = export_text(store).splitlines(keepends=True)
    broken = json.loads(lines[4])
    broken["event"]["number"] = "seven"
    lines[4] = json.dumps(broken) + "\n"
    # Insert line by line, so lines 1-4 are written before line 5 fails: the transaction must undo them.
    monkeypatch.setattr(event_store, "IMPORT_CHUNK", 1)
    target = open_store(new_store_url())
    try:
        with pytest.raises(JsonlError, match="line 5") as info:
            import_jsonl(target, lines)
        assert info.value.line_number == 5
        assert target.last_seq() == 0
        with pytest.raises(JsonlError, match="line 2: Expecting"):
            import_jsonl(target, [lines[0], "{not json\n"])
        assert target.last_seq() == 0
    finally:
        target.close()
    elsewhere = open_store(new_store_url(), "another-office")
    try:
        with pytest.raises(JsonlError, match=r"line 1: .*office"):
            import_jsonl(elsewhere, lines[:1])
    finally:
        elsewhere.close()


def test_device_registry(store: EventStore) -> None:
    registry = DeviceRegistry(store)
    kiosk = registry.add("kiosk-1", DeviceKind.KIOSK, "scrypt$abc", now=START)
    registry.add("counter-q1", "counter", "scrypt$def", counter_id="q1")
    assert registry.get("kiosk-1") == kiosk and kiosk.active
    assert registry.get("nobody") is None
    with pytest.raises(DeviceExistsError):
        registry.add("kiosk-1", DeviceKind.DISPLAY, "x")
    assert [d.device_id for d in registry.list()] == ["counter-q1", "kiosk-1"]
    counter = registry.get("counter-q1")
    assert counter is not None and counter.counter_id == "q1" and counter.kind is DeviceKind.COUNTER

    revoked = registry.revoke("kiosk-1", now=START + timedelta(days=1))
    assert revoked.revoked_at == START + timedelta(days=1) and not revoked.active
    assert registry.revoke("kiosk-1").revoked_at == revoked.revoked_at  # the first revocation stands
    assert [d.device_id for d in registry.list(include_revoked=False)] == ["counter-q1"]
    assert [d.device_id for d in registry.list()] == ["counter-q1", "kiosk-1"]
    with pytest.raises(UnknownDeviceError):
        registry.revoke("nobody")

    registry.set_password_hash("counter-q1", "scrypt$new")
    assert registry.get("counter-q1") == replace(counter, password_hash="scrypt$new")
    with pytest.raises(ValueError):
        registry.add("toaster", "toaster", "x")


def test_sqlite_connections_are_durable(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'pragmas.db'}")
    try:
        # Two connections at once: the pool must configure every connection, not just the first.
        with store.engine.connect() as first, store.engine.connect() as second:
            for conn in (first, second):
                assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
                assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
                assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
                assert (conn.exec_driver_sql("PRAGMA busy_timeout").scalar() or 0) >= 1000
    finally:
        store.close()


def test_head_revision_constant_matches_alembic() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    from queue_server.store import db

    config = Config()
    config.set_main_option("script_location", str(db.MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(config).get_current_head() == db.HEAD_REVISION


def test_migration_in_a_subprocess_then_nothing_to_do(tmp_path: Path) -> None:
    from queue_server.store import db

    store = EventStore(f"sqlite:///{tmp_path}/sub.db", "q1")
    try:
        assert db.current_revision(store.engine) is None
        store.migrate(in_subprocess=True)
        assert db.current_revision(store.engine) == db.HEAD_REVISION
        store.migrate(in_subprocess=True)  # already at head: returns without starting anything
        assert store.last_seq() == 0
    finally:
        store.close()


def test_a_new_office_database_is_readable_by_the_server_user_only(tmp_path: Path) -> None:
    """It holds password hashes and masked names: 0600, its WAL and shared-memory files too."""
    import stat

    from queue_server.app import open_store
    from queue_server.config import Settings, load_settings

    base = load_settings()
    settings = Settings.model_validate(
        {
            **base.model_dump(),
            "store": {"url": f"sqlite:///{tmp_path}/data/office.db"},
            "server": {"data_dir": tmp_path},
        }
    )
    store = open_store(settings)
    try:
        with store.engine.begin() as conn:
            conn.exec_driver_sql("CREATE TABLE probe (x)")
        files = sorted(tmp_path.glob("data/office.db*"))
        assert {f.name for f in files} >= {"office.db", "office.db-wal", "office.db-shm"}, files
        assert {oct(stat.S_IMODE(f.stat().st_mode)) for f in files} == {"0o600"}
    finally:
        store.close()
    (tmp_path / "data" / "office.db").chmod(0o644)  # made by an older version
    open_store(settings).close()
    assert stat.S_IMODE((tmp_path / "data" / "office.db").stat().st_mode) == 0o600
