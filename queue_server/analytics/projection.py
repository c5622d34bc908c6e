"""The statistics read model: the event log folded into ``stats_*`` tables, kept up to date from a cursor.

Why: folding a year of events on every dashboard view costs ~11 s on SQLite (mostly reading and decoding the
log). The read model keeps the *result* of the fold (one row per visit, one per call, the staff-days) in the
database, so that a period report is a handful of SQL aggregates (``projection_query``).

How it stays exactly the in-memory fold: ``catch_up`` does not re-implement the fold. It reads the events
after the cursor (``stats_cursor.last_seq``) in chunks; for each chunk it loads from the tables the visits
that the chunk's events name (by ticket id, including the tickets a ``DayStarted`` expires), turns the rows
back into ``visits.Visit`` objects, feeds the events through the same ``visits.Folder`` the in-memory report
uses, and writes the touched visits back (delete + insert) together with the new staff-days and the moved
cursor, in ONE transaction. So:

* visits still open at the cursor need no special table: an open visit is just a row whose status is
  ``waiting`` or ``serving``; the next event about it loads it back. Late events about a closed visit (a
  rating after the finish, a re-queue after a no-show) load it the same way;
* a crash between chunks loses nothing and a repeated ``catch_up`` adds nothing (the cursor moves with the
  rows it describes); two processes catching up at once cannot both apply a chunk: the cursor is moved with
  ``UPDATE … WHERE last_seq = <what I read>`` and the loser rolls back (``ProjectionConflict``);
* the fold's settings at the cursor (UTC offset, rating scale of the last ``OfficeConfigured``) are kept in
  the cursor row, as the fold would hold them.

The rows are a lossless copy of what the figures read; dossier codes are not copied (no figure reads them).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from itertools import islice
from typing import Any, Protocol

from sqlalchemy import Connection, Engine, and_, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from queue_server.analytics import projection_province as province
from queue_server.analytics import projection_query as query
from queue_server.analytics.metrics import WORKING_DAYS_PER_YEAR, GroupBy
from queue_server.analytics.projection_rows import chunked, load_visits, rebuild_rollup, visit_rows
from queue_server.analytics.report import PeriodReport
from queue_server.analytics.reversals import record_reversals
from queue_server.analytics.targets import DEFAULT_TARGETS, Targets
from queue_server.analytics.visits import Folder
from queue_server.contract.errors import MotcuaError
from queue_server.engine import events as ev
from queue_server.engine.setup import OfficeSetup, RatingLevel
from queue_server.store.event_store import CorruptEventError, StoredEvent
from queue_server.store.schema import stats_cursor, stats_segments, stats_staff_days, stats_visits

log = logging.getLogger(__name__)

CHUNK_EVENTS = 20_000
"""Events folded per transaction: bounds memory and the time a writer waits for the read model's lock."""


class EventLog(Protocol):
    """What the fold reads: an office's events after a seq, in the order to fold them (an ``EventStore``; at the
    province ``province.office_order.OfficeOrder``, by the office's own seq)."""

    @property
    def office_id(self) -> str: ...

    def events(
        self,
        after_seq: int = 0,
        batch_size: int = 5000,
        *,
        on_corrupt: Callable[[CorruptEventError], None] | None = None,
    ) -> Iterator[StoredEvent]: ...


class ProjectionConflict(MotcuaError):
    """Another process moved the cursor while this one was folding; nothing of this chunk was written."""


@dataclass(frozen=True)
class Cursor:
    last_seq: int
    last_event_at: datetime | None
    utc_offset_minutes: int
    rating_scale: tuple[tuple[str, bool], ...]
    """(level code, satisfied) of the rating scale in force at the cursor."""

    def setup_for(self, setup: OfficeSetup) -> OfficeSetup:
        """``setup`` with the fold's settings at the cursor (labels are not needed by the fold)."""
        scale = tuple(RatingLevel(code, code, code, satisfied) for code, satisfied in self.rating_scale)
        return replace(setup, utc_offset_minutes=self.utc_offset_minutes, rating_scale=scale)


@dataclass(frozen=True)
class CatchUp:
    events: int
    visits_written: int
    last_seq: int


def _scale_of(setup: OfficeSetup) -> tuple[tuple[str, bool], ...]:
    return tuple((r.code, r.satisfied) for r in setup.rating_scale)


def read_cursor(conn: Connection, office_id: str) -> Cursor | None:
    row = conn.execute(select(stats_cursor).where(stats_cursor.c.office_id == office_id)).one_or_none()
    if row is None:
        return None
    scale = tuple((str(code), bool(ok)) for code, ok in json.loads(row.rating_scale))
    return Cursor(int(row.last_seq), row.last_event_at, int(row.utc_offset_minutes), scale)


def _skip_corrupt(error: CorruptEventError) -> None:
    """An undecodable event stops the office server (read-only), not its statistics pages: left out, said."""
    log.error("statistics: event seq=%d id=%s left out, unreadable: %s", error.seq, error.event_id, error.reason)


def _ticket_ids(event: ev.Event) -> Iterable[str]:
    if isinstance(event, ev.DayStarted):
        return event.expired_ticket_ids
    ticket_id = getattr(event, "ticket_id", None)
    return () if ticket_id is None else (ticket_id,)


class VisitProjection:
    """The read model in the database of ``engine`` (usually the event store's own: ``store.engine``)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _snapshot(self) -> Connection:
        """A connection whose statements all see one state of the tables, even if a catch-up commits in
        between (SQLite's read transaction does that already; PostgreSQL needs REPEATABLE READ)."""
        conn = self.engine.connect()
        if self.engine.dialect.name == "postgresql":
            conn.execution_options(isolation_level="REPEATABLE READ")
        return conn

    def cursor(self, office_id: str) -> Cursor | None:
        with self.engine.connect() as conn:
            return read_cursor(conn, office_id)

    def report(
        self,
        setup: OfficeSetup,
        start: date,
        end: date,
        *,
        group_by: Iterable[GroupBy] = tuple(GroupBy),
        working_days_per_year: int = WORKING_DAYS_PER_YEAR,
        targets: Targets = DEFAULT_TARGETS,
    ) -> PeriodReport:
        """``period_report`` for one office, from the tables as of the last ``catch_up``."""
        with self._snapshot() as conn:
            cursor = read_cursor(conn, setup.office_id)
            at = None if cursor is None else cursor.last_event_at
            return query.office_report(conn, setup, start, end, group_by, working_days_per_year, targets, at)

    def province_report(
        self,
        setups: Sequence[OfficeSetup],
        start: date,
        end: date,
        *,
        working_days_per_year: int = WORKING_DAYS_PER_YEAR,
        targets: Targets = DEFAULT_TARGETS,
    ) -> province.ProvinceReport:
        """All ``setups``' offices together and each one's overall figures (the province manager's view)."""
        with self._snapshot() as conn:
            cursors = [read_cursor(conn, s.office_id) for s in setups]
            times = [c.last_event_at for c in cursors if c is not None and c.last_event_at is not None]
            at = min(times) if times else None
            return province.province_report(conn, setups, start, end, working_days_per_year, targets, at)

    def catch_up(self, store: EventLog, setup: OfficeSetup, *, chunk_events: int = CHUNK_EVENTS) -> CatchUp:
        """Fold the store's events after the cursor into the tables. ``setup`` plays the role it has in
        ``period_report``: its offset and rating scale apply until the log's own ``OfficeConfigured``."""
        if chunk_events < 1:
            raise ValueError("chunk_events must be at least 1")
        office_id = store.office_id
        folded = written = 0
        cursor = self.cursor(office_id)
        while True:
            after = 0 if cursor is None else cursor.last_seq
            events = store.events(after_seq=after, batch_size=min(chunk_events, 5000), on_corrupt=_skip_corrupt)
            chunk = list(islice(events, chunk_events))
            if not chunk:
                break
            cursor, visits = self._fold_chunk(office_id, setup, cursor, chunk)
            folded += len(chunk)
            written += visits
        last = 0 if cursor is None else cursor.last_seq
        if folded:
            log.info("statistics of office %s: %d events folded, %d visits written", office_id, folded, written)
        return CatchUp(folded, written, last)

    def _fold_chunk(
        self, office_id: str, setup: OfficeSetup, cursor: Cursor | None, chunk: list[StoredEvent]
    ) -> tuple[Cursor, int]:
        touched = list(dict.fromkeys(t for stored in chunk for t in _ticket_ids(stored.event)))
        with self.engine.begin() as conn:
            # The cursor first: it takes the write lock and fails at once if another process folded these.
            moved = self._move_cursor(conn, office_id, setup, cursor, chunk)
            loaded = load_visits(conn, office_id, touched)
            folder = Folder(setup if cursor is None else cursor.setup_for(setup))
            folder.history.visits.update(loaded)
            folder.history.last_event_at = None if cursor is None else cursor.last_event_at
            history = folder.feed(s.event for s in chunk)
            record_reversals(conn, office_id, history.reversals, moved.utc_offset_minutes)
            v, s = stats_visits, stats_segments
            gone = list(loaded)
            for ids in chunked(gone):
                conn.execute(delete(s).where(s.c.office_id == office_id, s.c.ticket_id.in_(ids)))
                conn.execute(delete(v).where(v.c.office_id == office_id, v.c.ticket_id.in_(ids)))
            visit_batch: list[dict[str, Any]] = []
            segment_batch: list[dict[str, Any]] = []
            for ticket_id in touched:
                visit = history.visits.get(ticket_id)
                if visit is not None:
                    row, segments = visit_rows(office_id, visit)
                    visit_batch.append(row)
                    segment_batch += segments
            if visit_batch:
                conn.execute(insert(v), visit_batch)
            if segment_batch:
                conn.execute(insert(s), segment_batch)
            rebuild_rollup(conn, office_id, {visit.day for visit in history.visits.values()})
            self._add_staff_days(conn, office_id, history.staff_days)
        return moved, len(visit_batch)

    @staticmethod
    def _add_staff_days(conn: Connection, office_id: str, staff_days: set[tuple[str, date]]) -> None:
        if not staff_days:
            return
        t = stats_staff_days
        days = [d for _, d in staff_days]
        known_query = select(t.c.staff_id, t.c.day).where(
            t.c.office_id == office_id, and_(t.c.day >= min(days), t.c.day <= max(days))
        )
        known = {(row.staff_id, row.day) for row in conn.execute(known_query)}
        new = [{"office_id": office_id, "staff_id": s, "day": d} for s, d in sorted(staff_days - known)]
        if new:
            conn.execute(insert(t), new)

    @staticmethod
    def _move_cursor(
        conn: Connection, office_id: str, setup: OfficeSetup, cursor: Cursor | None, chunk: list[StoredEvent]
    ) -> Cursor:
        configured = [s.event for s in chunk if isinstance(s.event, ev.OfficeConfigured)]
        if configured:
            offset, scale = configured[-1].setup.utc_offset_minutes, _scale_of(configured[-1].setup)
        elif cursor is not None:
            offset, scale = cursor.utc_offset_minutes, cursor.rating_scale
        else:
            offset, scale = setup.utc_offset_minutes, _scale_of(setup)
        moved = Cursor(chunk[-1].seq, chunk[-1].event.at, offset, scale)
        values = {
            "last_seq": moved.last_seq,
            "last_event_at": moved.last_event_at,
            "utc_offset_minutes": offset,
            "rating_scale": json.dumps([list(level) for level in scale]),
        }
        t = stats_cursor
        if cursor is None:
            try:
                conn.execute(insert(t).values(office_id=office_id, **values))
            except IntegrityError as exc:
                raise ProjectionConflict(
                    f"the statistics of office {office_id} were started by another process"
                ) from exc
        else:
            done = conn.execute(
                update(t).where(t.c.office_id == office_id, t.c.last_seq == cursor.last_seq).values(**values)
            )
            if done.rowcount != 1:
                raise ProjectionConflict(f"the statistics cursor of office {office_id} moved during a catch-up")
        return moved
