"""Rows of the read model: a folded ``Visit`` to ``stats_visits``/``stats_segments`` rows and back, and the
daily roll-up (``stats_rollup``) of those rows.

The roll-up exists for speed: a year's report sums ~250 rows per group instead of ~60,000 visits (SQLite
needs ~1 µs per row and aggregate, so 60,000 visits × 17 aggregates × 6 groupings would alone exceed the
200 ms budget). It is rebuilt, for each local day a catch-up touched, from the visit rows of that day, so it
can never drift from them. Each row also keeps the group's counted waits of that day, sorted and packed as
float64: a period's exact p90 merges those runs (a C-level sort of presorted runs) instead of sorting the
period's visits in SQL and carrying them to Python row by row.
"""

from __future__ import annotations

import sys
from array import array
from collections import Counter
from collections.abc import Collection, Iterable, Sequence
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import Connection, Subquery, and_, case, delete, func, insert, select

from queue_server.analytics.metrics import WITHIN_15, WITHIN_30, GroupBy
from queue_server.analytics.metrics import _row as figures_row
from queue_server.analytics.visits import Segment, SegmentEnd, Visit, VisitStatus, Wait
from queue_server.engine.setup import Outcome
from queue_server.store.schema import (
    ROLLUP_TOTALS,
    WAIT_BUCKET_SECONDS,
    stats_rollup,
    stats_segments,
    stats_visits,
    stats_wait_hist,
)

T = TypeVar("T")
IN_LIST = 500
"""Ids per ``IN (…)`` (SQLite's default limit of bound parameters is 32,766 but smaller lists plan better)."""
FINISHED, NO_SHOW = VisitStatus.FINISHED.value, VisitStatus.NO_SHOW.value
COUNTED = (FINISHED, NO_SHOW)
"""Statuses whose waits enter the wait figures (``metrics.WAIT_COUNTED``)."""
OPEN = (VisitStatus.WAITING.value, VisitStatus.SERVING.value)

Unit = tuple[str, float | None, int, int, float, int, int, int, int]
"""What a group sees of a visit: (status, wait or None, transfers, served segments, their seconds, ratings,
satisfied ratings, dossiers, unsatisfied dossiers): ``metrics._Row`` with the service times summed."""


def nearest_rank_index(n: int) -> int:
    """0-based index of the p90 by nearest rank, ⌈0.9 n⌉ − 1, in integers (no float rounding)."""
    return (9 * n + 9) // 10 - 1


def pack_waits(sorted_waits: Sequence[float]) -> bytes:
    """Waits as little-endian float64 (8 bytes each): C-speed to write, to read back and to merge."""
    packed = array("d", sorted_waits)
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def unpack_waits(into: array[float], packed: bytes) -> None:
    """Append the waits of ``pack_waits`` to ``into``."""
    more = array("d", packed)
    if sys.byteorder == "big":
        more.byteswap()
    into.extend(more)


def chunked(items: Sequence[T]) -> Iterable[Sequence[T]]:
    for i in range(0, len(items), IN_LIST):
        yield items[i : i + IN_LIST]


def load_visits(conn: Connection, office_id: str, ticket_ids: Sequence[str]) -> dict[str, Visit]:
    """The stored visits among ``ticket_ids``, rebuilt as the fold holds them."""
    v, s = stats_visits, stats_segments
    visits: dict[str, Visit] = {}
    for ids in chunked(ticket_ids):
        for row in conn.execute(select(v).where(v.c.office_id == office_id, v.c.ticket_id.in_(ids))):
            visits[row.ticket_id] = Visit(
                ticket_id=row.ticket_id,
                service_id=row.service_id,
                priority=row.priority,
                day=row.day,
                hour=row.hour,
                issued_at=row.issued_at,
                waiting_since=row.waiting_since,
                status=VisitStatus(row.status),
                ended_at=row.ended_at,
                requeues=row.requeues,
                wait_seconds=0.0 if row.wait_seconds is None else row.wait_seconds,
            )
        query = select(s).where(s.c.office_id == office_id, s.c.ticket_id.in_(ids)).order_by(s.c.ticket_id, s.c.number)
        for row in conn.execute(query):
            visit = visits[row.ticket_id]
            end = None if row.end_kind is None else SegmentEnd(row.end_kind)
            visit.segments.append(
                Segment(
                    number=row.number,
                    service_id=row.service_id,
                    counter_id=row.counter_id,
                    staff_id=row.staff_id,
                    called_at=row.called_at,
                    recalls=row.recalls,
                    ended_at=row.ended_at,
                    end=end,
                    outcome=None if row.outcome is None else Outcome(row.outcome),
                    rating=row.rating,
                    rating_satisfied=row.rating_satisfied,
                    seconds=row.seconds,
                )
            )
            visit.transfers += end is SegmentEnd.TRANSFERRED
            if row.wait_start is not None:
                visit.waits.append(Wait(row.wait_start, row.wait_end, row.number))
    return visits


def visit_rows(office_id: str, visit: Visit) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The ``stats_visits`` row and the ``stats_segments`` rows of one folded visit."""
    status, wait, transfers, served, rated, satisfied, dossiers, unsatisfied = figures_row(
        visit.status, visit.segments, visit.wait_seconds if visit.waits else None
    )
    row = {
        "office_id": office_id,
        "ticket_id": visit.ticket_id,
        "service_id": visit.service_id,
        "priority": visit.priority,
        "day": visit.day,
        "hour": visit.hour,
        "issued_at": visit.issued_at,
        "status": status.value,
        "ended_at": visit.ended_at,
        "waiting_since": visit.waiting_since,
        "requeues": visit.requeues,
        "wait_seconds": wait,
        "transfers": transfers,
        "served_segments": len(served),
        "served_seconds": sum(served),
        "ratings": rated,
        "satisfied": satisfied,
        "dossiers": dossiers,
        "unsatisfied": unsatisfied,
        "calls": len(visit.segments),
        "counter_id": visit.segments[0].counter_id if len(visit.segments) == 1 else None,
        "staff_id": visit.segments[0].staff_id if len(visit.segments) == 1 else None,
    }
    waits = {w.segment: w for w in visit.waits}
    segments = []
    for seg in visit.segments:
        wait_of = waits.get(seg.number)
        segments.append(
            {
                "office_id": office_id,
                "ticket_id": visit.ticket_id,
                "number": seg.number,
                "day": visit.day,
                "status": status.value,
                "calls": len(visit.segments),
                "service_id": seg.service_id,
                "counter_id": seg.counter_id,
                "staff_id": seg.staff_id,
                "called_at": seg.called_at,
                "recalls": seg.recalls,
                "ended_at": seg.ended_at,
                "end_kind": None if seg.end is None else seg.end.value,
                "outcome": None if seg.outcome is None else seg.outcome.value,
                "rating": seg.rating,
                "rating_satisfied": seg.rating_satisfied,
                "seconds": seg.seconds,
                "wait_start": None if wait_of is None else wait_of.start,
                "wait_end": None if wait_of is None else wait_of.end,
                "wait_seconds": None if wait_of is None else wait_of.seconds,
            }
        )
    return row, segments


def _count(condition: Any) -> Any:
    return func.sum(case((condition, 1), else_=0))


def segment_units(office_id: str, by: GroupBy, *where: Any) -> Subquery:
    """Visits called more than once, one unit per (visit, counter or staff member): that group's part of
    the visit (the waits its calls ended, its segments), as ``metrics.Period._by_segment`` makes it."""
    s = stats_segments
    key = s.c.counter_id if by is GroupBy.COUNTER else s.c.staff_id
    served = and_(s.c.seconds.is_not(None), s.c.end_kind != SegmentEnd.NO_SHOW.value)
    dossier = s.c.outcome == Outcome.DOSSIER_RECEIVED.value
    return (
        select(
            s.c.day,
            key.label("key"),
            func.min(s.c.status).label("status"),
            func.sum(s.c.wait_seconds).label("wait_seconds"),
            _count(s.c.end_kind == SegmentEnd.TRANSFERRED.value).label("transfers"),
            _count(served).label("served_segments"),
            func.coalesce(func.sum(case((served, s.c.seconds))), 0.0).label("served_seconds"),
            _count(s.c.rating_satisfied.is_not(None)).label("ratings"),
            _count(s.c.rating_satisfied.is_(True)).label("satisfied"),
            _count(dossier).label("dossiers"),
            _count(and_(dossier, s.c.rating_satisfied.is_(False))).label("unsatisfied"),
        )
        .where(s.c.office_id == office_id, s.c.calls > 1, key.is_not(None), *where)
        .group_by(s.c.ticket_id, s.c.day, key)
        .subquery("units")
    )


def totals_row(units: Sequence[Unit]) -> dict[str, Any]:
    """The ``stats_rollup`` columns of a group's units: ``metrics.figures`` before the divisions."""
    statuses: dict[str, int] = {}
    waits: list[float] = []
    out: dict[str, Any] = dict.fromkeys(ROLLUP_TOTALS, 0)
    out["wait_sum"] = out["served_sum"] = out["finished_served_sum"] = 0.0
    for status, wait, transfers, served, served_sum, ratings, satisfied, dossiers, unsatisfied in units:
        statuses[status] = statuses.get(status, 0) + 1
        if wait is not None and status in COUNTED:
            waits.append(wait)
        if status == FINISHED:
            out["finished_served_sum"] += served_sum
        out["transfers"] += transfers
        out["served_segments"] += served
        out["served_sum"] += served_sum
        out["ratings"] += ratings
        out["satisfied"] += satisfied
        out["dossiers"] += dossiers
        out["unsatisfied"] += unsatisfied
    waits.sort()
    out.update(
        visits=len(units),
        finished=statuses.get(FINISHED, 0),
        no_shows=statuses.get(NO_SHOW, 0),
        expired=statuses.get(VisitStatus.EXPIRED.value, 0),
        open=sum(statuses.get(s, 0) for s in OPEN),
        waits_counted=len(waits),
        wait_sum=sum(waits),
        within_15=sum(1 for w in waits if w <= WITHIN_15),
        within_30=sum(1 for w in waits if w <= WITHIN_30),
        waits=pack_waits(waits),
    )
    return out


def rebuild_rollup(conn: Connection, office_id: str, days: Collection[date]) -> None:
    """Replace the roll-up rows of ``days`` by those of the visit rows now stored for them."""
    v, r = stats_visits, stats_rollup
    groups: dict[tuple[date, str, str], list[Unit]] = {}
    for some in chunked(sorted(days)):
        conn.execute(delete(r).where(r.c.office_id == office_id, r.c.day.in_(some)))
        h = stats_wait_hist
        conn.execute(delete(h).where(h.c.office_id == office_id, h.c.day.in_(some)))
        columns = (v.c.day, v.c.service_id, v.c.hour, v.c.calls, v.c.counter_id, v.c.staff_id, *_UNIT_COLUMNS)
        for row in conn.execute(select(*columns).where(v.c.office_id == office_id, v.c.day.in_(some))):
            day, service_id, hour, calls, counter_id, staff_id = row[:6]
            unit: Unit = tuple(row[6:])  # type: ignore[assignment]
            keys = [(day, "day", ""), (day, GroupBy.SERVICE.value, service_id), (day, "hour", f"{hour:02d}")]
            if calls == 1:
                keys.append((day, GroupBy.COUNTER.value, counter_id))
                if staff_id is not None:
                    keys.append((day, GroupBy.STAFF.value, staff_id))
            for key in keys:
                groups.setdefault(key, []).append(unit)
        for by in (GroupBy.COUNTER, GroupBy.STAFF):
            units = segment_units(office_id, by, stats_segments.c.day.in_(some))
            for row in conn.execute(select(units)):
                groups.setdefault((row.day, by.value, row.key), []).append(tuple(row[2:]))  # type: ignore[arg-type]
    rows = [
        {"office_id": office_id, "day": day, "dim": dim, "key": key, **totals_row(units)}
        for (day, dim, key), units in groups.items()
    ]
    if rows:
        conn.execute(insert(r), rows)
    hist = [
        {"office_id": office_id, "day": day, "bucket": bucket, "waits": n}
        for (day, dim, _), units in groups.items()
        if dim == "day"
        for bucket, n in sorted(wait_buckets(units).items())
    ]
    if hist:
        conn.execute(insert(stats_wait_hist), hist)


def wait_buckets(units: Iterable[Unit]) -> Counter[int]:
    """How many counted waits fall in each ``WAIT_BUCKET_SECONDS`` bucket (``//`` floors exactly)."""
    return Counter(int(w // WAIT_BUCKET_SECONDS) for status, w, *_ in units if w is not None and status in COUNTED)


_UNIT_COLUMNS = (
    stats_visits.c.status,
    stats_visits.c.wait_seconds,
    stats_visits.c.transfers,
    stats_visits.c.served_segments,
    stats_visits.c.served_seconds,
    stats_visits.c.ratings,
    stats_visits.c.satisfied,
    stats_visits.c.dossiers,
    stats_visits.c.unsatisfied,
)


def days_of(visits: Iterable[Visit]) -> set[date]:
    return {v.day for v in visits}
