"""An office's events at the province in that office's own order, up to the first gap: what the statistics fold.

The province imports events in arrival order, and gap fill makes that differ from the office's: a resent older
event arrives after newer ones. The statistics fold is order-sensitive (a call, finish or rating folded before
its ticket is dropped), so the province folds each office by the seq the event had at the office
(``events.origin_seq``) and only up to the office's watermark (``province_cursors.through_seq``): every office
seq up to it has arrived or is known never to have existed. The province's figures for an office are then
exactly the office's own over its events up to the first gap, and catch up, still in the office's order, as
soon as the gap is filled. Re-folding what a late event touches would be exact too but needs the fold to undo
work; holding back is simpler and the wait is one resend (seconds).

``OfficeOrder`` is the event log the read model (``VisitProjection.catch_up``) reads for a province office: its
``seq`` is the office's seq, so the read model's cursor is one too.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence

from sqlalchemy import Connection, Engine, delete, select

from queue_server.analytics.projection import ProjectionConflict, VisitProjection, read_cursor
from queue_server.engine.setup import OfficeSetup
from queue_server.province.cursors import cursors
from queue_server.store.event_store import CorruptEventError, StoredEvent, decode_rows
from queue_server.store.schema import (
    events,
    stats_cursor,
    stats_rollup,
    stats_segments,
    stats_staff_days,
    stats_visits,
    stats_wait_hist,
)

logger = logging.getLogger(__name__)
READ_MODEL_TABLES = (stats_visits, stats_segments, stats_staff_days, stats_rollup, stats_wait_hist, stats_cursor)


class OfficeOrder:
    """The events of ``office_id`` in the province database, by office seq, up to the office's watermark."""

    def __init__(self, engine: Engine, office_id: str) -> None:
        self.engine = engine
        self.office_id = office_id

    def watermark(self, conn: Connection | None = None) -> int:
        """Every office seq up to this has been imported (or never existed); 0 before the first event."""
        query = select(cursors.c.through_seq).where(cursors.c.office_id == self.office_id)
        if conn is None:
            with self.engine.connect() as own:
                return int(own.execute(query).scalar_one_or_none() or 0)
        return int(conn.execute(query).scalar_one_or_none() or 0)

    def events(
        self,
        after_seq: int = 0,
        batch_size: int = 5000,
        *,
        on_corrupt: Callable[[CorruptEventError], None] | None = None,
    ) -> Iterator[StoredEvent]:
        """The office's events with office seq in ``(after_seq, watermark]``, in office seq order (the watermark
        read once, at the start). ``StoredEvent.seq`` is the office's seq."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        e = events
        limit = self.watermark()
        last = after_seq
        while last < limit:
            query = (
                select(
                    e.c.origin_seq.label("seq"), e.c.event_id, e.c.office_id, e.c.device_id, e.c.request_id, e.c.payload
                )
                .where(e.c.office_id == self.office_id, e.c.origin_seq > last, e.c.origin_seq <= limit)
                .order_by(e.c.origin_seq, e.c.seq)
                .limit(batch_size)
            )
            with self.engine.connect() as conn:
                rows = conn.execute(query).all()
            yield from decode_rows(rows, on_corrupt)  # StoredEvent.seq is the office's seq
            if len(rows) < batch_size:
                return
            last = int(rows[-1].seq)

    def backlog_at_least(self, after_seq: int, n: int) -> bool:
        """True if at least ``n`` events wait to be folded after ``after_seq`` (one index range, no count)."""
        e = events
        with self.engine.connect() as conn:
            limit = self.watermark(conn)
            query = (
                select(e.c.seq)
                .where(e.c.office_id == self.office_id, e.c.origin_seq > after_seq, e.c.origin_seq <= limit)
                .order_by(e.c.origin_seq)
                .offset(n - 1)
                .limit(1)
            )
            return conn.execute(query).first() is not None


def catch_up_office(engine: Engine, setup: OfficeSetup) -> None:
    """Fold the office's newly contiguous events into the read model (``current.catch_up`` for a province)."""
    try:
        VisitProjection(engine).catch_up(OfficeOrder(engine, setup.office_id), setup)
    except ProjectionConflict:
        logger.info("statistics read model: another catch-up of office %s was running", setup.office_id)


def folded_through(conn: Connection, office_id: str) -> int:
    """The office seq up to which the read model has folded the office (0: nothing yet)."""
    cursor = read_cursor(conn, office_id)
    return 0 if cursor is None else cursor.last_seq


def forget_figures(conn: Connection, office_id: str) -> None:
    """Drop the office's read model: the next catch-up folds its whole log again, in office order.

    For an event that arrives with an office seq the fold has already passed (an office on PostgreSQL that
    committed a smaller seq late, a renumbered office log): holding back cannot help it, re-folding can. A
    catch-up running meanwhile fails on its cursor check (``ProjectionConflict``) and writes nothing."""
    for table in READ_MODEL_TABLES:
        conn.execute(delete(table).where(table.c.office_id == office_id))


def new_at_or_below(engine: Engine, office_id: str, batch: Sequence[StoredEvent], through: int) -> list[StoredEvent]:
    """The events of ``batch`` not yet stored whose office seq is at or below ``through`` (the watermark): only
    those can land behind the fold. Usually none (a resend's copies are already stored): one query, if any."""
    below = [r for r in batch if r.seq <= through]
    if not below:
        return []
    ids = [r.event_id for r in below]
    with engine.connect() as conn:
        stored = set(conn.execute(select(events.c.event_id).where(events.c.event_id.in_(ids))).scalars())
    return [r for r in below if r.event_id not in stored]


def refold_if_passed(engine: Engine, office_id: str, late: Sequence[StoredEvent]) -> None:
    """After ``late`` events were imported: if the fold has already passed one of their seqs, fold the office
    again from the start (``forget_figures``), so its figures include them; logged, as it should be rare."""
    with engine.begin() as conn:
        folded = folded_through(conn, office_id)
        passed = [r.seq for r in late if r.seq <= folded]
        if passed:
            forget_figures(conn, office_id)
    if passed:
        logger.warning(
            "office=%s %d events arrived with seqs the statistics had already folded past (e.g. %d): "
            "its statistics are folded again",
            office_id,
            len(passed),
            passed[0],
        )
