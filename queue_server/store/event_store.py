"""The durable event log of one office, and the replies already given to devices' requests.

The server decides a batch of requests, hands the results to ``EventStore.commit`` and answers the devices
only after it returns: by then the events *and* the replies are committed in one transaction (group commit,
one fsync for many requests). A device that retries a request gets the stored reply back (``find_reply``)
instead of having the command applied twice.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import islice
from typing import Any

from sqlalchemy import Engine, Row, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from queue_server.contract.errors import MotcuaError
from queue_server.engine.codec import DecodeError, event_from_dict, event_to_dict
from queue_server.engine.events import Event
from queue_server.store import db
from queue_server.store.schema import audit_log
from queue_server.store.schema import events as events_table
from queue_server.store.schema import requests as requests_table

log = logging.getLogger(__name__)

IMPORT_CHUNK = 1000


class StoreError(MotcuaError):
    """The store refused an operation; nothing was written."""


class DuplicateRequestError(StoreError):
    """A (device_id, request_id) was committed twice: the caller should have answered from ``find_reply``."""

    def __init__(self, keys: Sequence[tuple[str, str]]) -> None:
        shown = ", ".join(f"{d}/{r}" for d, r in keys[:5])
        more = f" and {len(keys) - 5} more" if len(keys) > 5 else ""
        super().__init__(f"request already committed (device/request): {shown}{more}")
        self.keys = list(keys)


class CorruptEventError(DecodeError):
    """A stored row that does not decode into an event: which one (``seq``, ``event_id``) and why."""

    def __init__(self, seq: int, event_id: str, reason: str) -> None:
        super().__init__(f"stored event seq {seq} ({event_id}) is unreadable: {reason}")
        self.seq, self.event_id, self.reason = seq, event_id, reason


@dataclass(frozen=True)
class StoredEvent:
    seq: int
    """Position in this store's log; not portable between stores (use ``event_id``)."""
    event_id: str
    """Global identity of the event, kept across export/import and used for exactly-once upload."""
    office_id: str
    device_id: str | None
    request_id: str | None
    event: Event


@dataclass(frozen=True)
class Commit:
    """The result of handling one request: its events (none if rejected) and the reply sent for it."""

    device_id: str | None
    request_id: str | None
    events: Sequence[Event]
    reply: dict[str, Any]
    audit: Mapping[str, Any] | None = None
    """An ``audit_log`` row stored in the same transaction (an admin change: ``queue_server.audited``)."""


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


class EventStore:
    """Append-only event log on SQLite or PostgreSQL (SQLAlchemy URL), for the office ``office_id``.

    Several offices may share one database: each store reads only its own office's events. Only one process
    should write a given office's log, so ``seq`` grows in commit order.
    """

    def __init__(self, url: str, office_id: str, *, engine: Engine | None = None) -> None:
        """``engine`` lets many offices' stores share one pool (the province); its owner disposes it."""
        self.office_id = office_id
        self._engine = engine if engine is not None else db.make_engine(url)
        self._closed = False

    @property
    def engine(self) -> Engine:
        """The SQLAlchemy engine, for other tables kept in the same database (e.g. the device registry)."""
        return self._engine

    def migrate(self, *, in_subprocess: bool = False) -> None:
        """Create or upgrade the tables (Alembic ``upgrade head``); nothing to do when already at head.

        ``in_subprocess`` runs Alembic in a short-lived child process, so a long-running server never holds
        Alembic in memory (the database URL goes through the environment, never the command line).
        """
        if db.current_revision(self._engine) == db.HEAD_REVISION:
            return
        if not in_subprocess:
            db.upgrade(self._engine)
            return
        env = {**os.environ, "MOTCUA_MIGRATE_URL": self._engine.url.render_as_string(hide_password=False)}
        result = subprocess.run(
            [sys.executable, "-m", "queue_server.store.migrate"], env=env, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise StoreError(f"database migration failed:\n{result.stderr[-2000:]}")

    def commit(self, batch: Sequence[Commit]) -> list[list[StoredEvent]]:
        """Store a batch of handled requests in ONE transaction; return the stored events of each commit.

        Returns only after the COMMIT, so the caller may answer the devices. Raises ``DuplicateRequestError``
        (and stores nothing) if a (device_id, request_id) pair is already stored or repeated in the batch.
        """
        if not batch:
            return []
        received_at = datetime.now(UTC)
        request_rows: list[dict[str, Any]] = []
        event_rows: list[dict[str, Any]] = []
        keys: set[tuple[str, str]] = set()
        for item in batch:
            if item.device_id is not None and item.request_id is not None:
                key = (item.device_id, item.request_id)
                if key in keys:
                    raise DuplicateRequestError([key])
                keys.add(key)
                request_rows.append(
                    {
                        "device_id": item.device_id,
                        "request_id": item.request_id,
                        "received_at": received_at,
                        "reply": _dumps(item.reply),
                    }
                )
            for event in item.events:
                event_rows.append(self._row(str(uuid.uuid4()), item.device_id, item.request_id, event))
        seqs: Sequence[int] = []
        audit_rows = [dict(item.audit) for item in batch if item.audit is not None]
        try:
            with self._engine.begin() as conn:
                if request_rows:
                    conn.execute(insert(requests_table), request_rows)
                if audit_rows:
                    conn.execute(insert(audit_log), audit_rows)
                if event_rows:
                    stmt = insert(events_table).returning(events_table.c.seq, sort_by_parameter_order=True)
                    seqs = conn.execute(stmt, event_rows).scalars().all()
        except IntegrityError as exc:
            existing = [k for k in sorted(keys) if self.find_reply(*k) is not None]
            if existing:
                raise DuplicateRequestError(existing) from exc
            raise
        return self._stored(batch, event_rows, seqs)

    def _stored(
        self, batch: Sequence[Commit], rows: list[dict[str, Any]], seqs: Sequence[int]
    ) -> list[list[StoredEvent]]:
        out: list[list[StoredEvent]] = []
        index = 0
        for item in batch:
            stored = []
            for event in item.events:
                row = rows[index]
                stored.append(
                    StoredEvent(seqs[index], row["event_id"], self.office_id, item.device_id, item.request_id, event)
                )
                index += 1
            out.append(stored)
        return out

    def _row(self, event_id: str, device_id: str | None, request_id: str | None, event: Event) -> dict[str, Any]:
        if event.at.tzinfo is None or event.at.utcoffset() is None:
            raise StoreError(f"{type(event).__name__} has a naive time {event.at}; events carry UTC server time")
        body = event_to_dict(event)
        return {
            "event_id": event_id,
            "office_id": self.office_id,
            "type": body["type"],
            "at": event.at,
            "device_id": device_id,
            "request_id": request_id,
            "payload": _dumps(body),
        }

    def find_reply(self, device_id: str, request_id: str) -> dict[str, Any] | None:
        """The reply already sent for this request, or None if the request is new."""
        stmt = select(requests_table.c.reply).where(
            requests_table.c.device_id == device_id, requests_table.c.request_id == request_id
        )
        with self._engine.connect() as conn:
            text = conn.execute(stmt).scalar_one_or_none()
        if text is None:
            return None
        reply = json.loads(text)
        assert isinstance(reply, dict)
        return reply

    def find_replies(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], dict[str, Any]]:
        """``find_reply`` for a whole batch in one query per device: the server checks every request it reads."""
        by_device: dict[str, list[str]] = {}
        for device_id, request_id in keys:
            by_device.setdefault(device_id, []).append(request_id)
        found: dict[tuple[str, str], dict[str, Any]] = {}
        with self._engine.connect() as conn:
            for device_id, request_ids in by_device.items():
                stmt = select(requests_table.c.request_id, requests_table.c.reply).where(
                    requests_table.c.device_id == device_id, requests_table.c.request_id.in_(request_ids)
                )
                for request_id, text in conn.execute(stmt):
                    found[(device_id, request_id)] = json.loads(text)
        return found

    def events(
        self,
        after_seq: int = 0,
        batch_size: int = 5000,
        *,
        on_corrupt: Callable[[CorruptEventError], None] | None = None,
    ) -> Iterator[StoredEvent]:
        """This office's events with ``seq > after_seq``, in seq order.

        Read in pages of ``batch_size`` on short transactions, so a long replay holds no lock or snapshot
        between pages (it would stall SQLite's WAL checkpoints) and memory stays bounded. A row that does not
        decode raises ``CorruptEventError``; with ``on_corrupt`` it is handed to that instead and skipped (an
        export must save the rest of the log).
        """
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        t = events_table
        last = after_seq
        while True:
            stmt = (
                select(t.c.seq, t.c.event_id, t.c.office_id, t.c.device_id, t.c.request_id, t.c.payload)
                .where(t.c.office_id == self.office_id, t.c.seq > last)
                .order_by(t.c.seq)
                .limit(batch_size)
            )
            with self._engine.connect() as conn:
                rows = conn.execute(stmt).all()
            yield from decode_rows(rows, on_corrupt)
            if len(rows) < batch_size:
                return
            last = rows[-1].seq

    def last_of_type(self, event_type: type[Event]) -> StoredEvent | None:
        """This office's newest event of one type (``OfficeConfigured``: the setup in force), None if none."""
        t = events_table
        stmt = (
            select(t.c.seq, t.c.event_id, t.c.office_id, t.c.device_id, t.c.request_id, t.c.payload)
            .where(t.c.office_id == self.office_id, t.c.type == event_type.__name__)
            .order_by(t.c.seq.desc())
            .limit(1)
        )
        with self._engine.connect() as conn:
            rows = conn.execute(stmt).all()
        return next(decode_rows(rows), None)

    def last_seq(self) -> int:
        """The highest seq of this office's events, 0 if there are none."""
        stmt = select(func.max(events_table.c.seq)).where(events_table.c.office_id == self.office_id)
        with self._engine.connect() as conn:
            value = conn.execute(stmt).scalar_one_or_none()
        return int(value or 0)

    def import_events(self, records: Iterable[StoredEvent]) -> int:
        """Add events made elsewhere, keeping their event_id; those already stored are skipped.

        One transaction for all of them: if ``records`` raises part-way (e.g. a corrupt input line), nothing
        is imported. Each record gets a new seq (in input order); its ``seq`` field is kept as ``origin_seq``,
        the event's place in the log it came from (the province folds each office in that order), and filled
        in on an event already stored without one. Returns how many events were added.
        """
        added = 0
        iterator = iter(records)
        t = events_table
        with self._engine.begin() as conn:
            while chunk := list(islice(iterator, IMPORT_CHUNK)):
                ids = [r.event_id for r in chunk]
                stmt = select(t.c.event_id, t.c.origin_seq).where(t.c.event_id.in_(ids))
                found = {row.event_id: row.origin_seq for row in conn.execute(stmt)}
                known = set(found)
                unordered = [r for r in chunk if r.event_id in found and found[r.event_id] is None]
                for record in unordered:  # stored before origin_seq existed (migration 0007)
                    conn.execute(update(t).where(t.c.event_id == record.event_id).values(origin_seq=record.seq))
                rows = []
                for record in chunk:
                    if record.office_id != self.office_id:
                        raise StoreError(
                            f"event {record.event_id} belongs to office {record.office_id!r}, "
                            f"this store is {self.office_id!r}"
                        )
                    if record.event_id in known:
                        continue
                    known.add(record.event_id)
                    row = self._row(record.event_id, record.device_id, record.request_id, record.event)
                    rows.append(row | {"origin_seq": record.seq})
                if rows:
                    conn.execute(insert(events_table), rows)
                    added += len(rows)
        log.info("imported %d events into office %s", added, self.office_id)
        return added

    def close(self) -> None:
        """Release pooled connections; safe to call more than once."""
        if not self._closed:
            self._closed = True
            self._engine.dispose()


def decode_rows(
    rows: Iterable[Row[*tuple[Any, ...]]], on_corrupt: Callable[[CorruptEventError], None] | None = None
) -> Iterator[StoredEvent]:
    """Rows with ``seq, event_id, office_id, device_id, request_id, payload`` as stored events; a row that does
    not decode raises ``CorruptEventError``, or with ``on_corrupt`` is handed to it and skipped."""
    for row in rows:
        try:
            decoded = _decode(row)
        except CorruptEventError as exc:
            if on_corrupt is None:
                raise
            on_corrupt(exc)
            continue
        yield decoded


def _decode(row: Row[*tuple[Any, ...]]) -> StoredEvent:
    try:
        event = event_from_dict(json.loads(row.payload))
    except (ValueError, TypeError, KeyError, AttributeError, RecursionError, DecodeError) as exc:
        raise CorruptEventError(int(row.seq), str(row.event_id), str(exc)[:300] or type(exc).__name__) from exc
    return StoredEvent(row.seq, row.event_id, row.office_id, row.device_id, row.request_id, event)
