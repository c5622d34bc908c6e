"""A period's figures from the read model: the same ``PeriodReport`` as ``period_report`` (docs/statistics.md).

Counts and sums come from the daily roll-up (``stats_rollup``: one row per local day and group), summed in
SQL; a mean is a sum over a count, a share a count over a count, as ``metrics.figures`` computes them.

The p90 wait is not additive: each roll-up row keeps its group's counted waits of that day, sorted (packed
float64). A period's p90 concatenates the days' runs of a group, sorts them (timsort merges presorted runs
at C speed) and takes the nearest rank, the wait at 1-based rank ⌈0.9 n⌉: always a wait that happened, as
``metrics.nearest_rank``. No visit row is read. A province-year (millions of waits) is too many to sort per
page: on PostgreSQL the minute histograms (``stats_wait_hist``) locate each office's p90 (and the
province's) in one minute and its rank there, and only the waits of that minute are read and ranked.

Floating-point sums may differ from the in-memory fold in their last bits (another order of addition);
counts, shares and p90 are exact.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, and_, func, select

from queue_server.analytics.metrics import Figures, Group, GroupBy
from queue_server.analytics.projection_rows import nearest_rank_index, unpack_waits
from queue_server.analytics.report import PeriodReport
from queue_server.analytics.targets import Targets, compare
from queue_server.engine.setup import OfficeSetup
from queue_server.store.schema import (
    ROLLUP_TOTALS,
    stats_rollup,
    stats_staff_days,
)

ROLLUP_DIMS = (GroupBy.SERVICE, GroupBy.HOUR, GroupBy.COUNTER, GroupBy.STAFF)
"""Groupings read from the roll-up rows of that ``dim``; ``day`` and the whole period read the ``day`` rows."""


@dataclass(frozen=True)
class Totals:
    """The additive part of a group's figures (the columns ``schema.ROLLUP_TOTALS``, in that order)."""

    visits: int = 0
    finished: int = 0
    no_shows: int = 0
    expired: int = 0
    open: int = 0
    transfers: int = 0
    waits_counted: int = 0
    wait_sum: float = 0.0
    within_15: int = 0
    within_30: int = 0
    served_segments: int = 0
    served_sum: float = 0.0
    finished_served_sum: float = 0.0
    ratings: int = 0
    satisfied: int = 0
    dossiers: int = 0
    unsatisfied: int = 0

    @classmethod
    def of(cls, values: Sequence[Any]) -> Totals:
        cast: dict[str, Any] = {
            name: float(x or 0.0) if i in _FLOATS else int(x or 0)
            for i, (name, x) in enumerate(zip(ROLLUP_TOTALS, values, strict=True))
        }
        return cls(**cast)

    def __add__(self, other: Totals) -> Totals:
        return Totals(**{name: a + b for name, a, b in zip(ROLLUP_TOTALS, self.values(), other.values(), strict=True)})

    def values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in ROLLUP_TOTALS)


_FLOATS = frozenset(i for i, f in enumerate(fields(Totals)) if f.type == "float")
assert tuple(f.name for f in fields(Totals)) == ROLLUP_TOTALS


def to_figures(t: Totals, p90: float | None, staff_days: int | None, working_days: int) -> Figures:
    """The formulas of ``metrics.figures`` on totals (a mean or a share is None when its count is 0)."""

    def share(part: float, whole: int) -> float | None:
        return None if whole == 0 else part / whole

    return Figures(
        visits=t.visits,
        finished=t.finished,
        no_shows=t.no_shows,
        expired=t.expired,
        open=t.open,
        transfers=t.transfers,
        waits_counted=t.waits_counted,
        avg_wait_seconds=share(t.wait_sum, t.waits_counted),
        p90_wait_seconds=p90,
        share_within_15_min=share(t.within_15, t.waits_counted),
        share_within_30_min=share(t.within_30, t.waits_counted),
        served_segments=t.served_segments,
        avg_service_seconds=share(t.served_sum, t.served_segments),
        avg_service_per_visit_seconds=share(t.finished_served_sum, t.finished),
        ratings=t.ratings,
        satisfied_ratings=t.satisfied,
        satisfaction_share=share(t.satisfied, t.ratings),
        dossiers_received=t.dossiers,
        dossiers_unsatisfied=t.unsatisfied,
        qd766_ratio=share(t.dossiers - t.unsatisfied, t.dossiers),
        staff_days=staff_days,
        productivity_per_staff_year=t.dossiers / staff_days * working_days if staff_days else None,
    )


def in_period(table: Any, office_ids: Sequence[str], start: date, end: date) -> Any:
    return and_(table.c.office_id.in_(office_ids), table.c.day >= start, table.c.day <= end)


def rollup_sums() -> list[Any]:
    return [func.sum(stats_rollup.c[name]) for name in ROLLUP_TOTALS]


def plain_rows(conn: Connection, query: Any) -> Sequence[tuple[Any, ...]]:
    """The rows as the driver's plain tuples (columns whose driver value is already the Python one only:
    numbers, strings, bytes): thousands of SQLAlchemy ``Row`` objects cost more than the query."""
    result = conn.execute(query)
    try:
        return result.cursor.fetchall() if result.cursor is not None else []
    finally:
        result.close()


def p90_of(waits: array[float], presorted: bool = False) -> float | None:
    if not waits:
        return None
    ordered = waits if presorted else sorted(waits)
    return ordered[nearest_rank_index(len(ordered))]


def rollup_waits(
    conn: Connection, office_ids: Sequence[str], start: date, end: date, dims: Iterable[str]
) -> dict[tuple[str, str], array[float]]:
    """The counted waits of each (dim, key) over the period, unsorted (one sorted run per day)."""
    r = stats_rollup
    query = select(r.c.dim, r.c.key, r.c.waits).where(in_period(r, office_ids, start, end), r.c.dim.in_(list(dims)))
    merged: dict[tuple[str, str], array[float]] = {}
    for dim, key, packed in plain_rows(conn, query):
        waits = merged.get((dim, key))
        if waits is None:
            waits = merged[(dim, key)] = array("d")
        unpack_waits(waits, packed)
    return merged


def _staff_days(conn: Connection, office_id: str, start: date, end: date) -> list[tuple[str, date]]:
    t = stats_staff_days
    query = select(t.c.staff_id, t.c.day).where(in_period(t, [office_id], start, end))
    return [(row.staff_id, row.day) for row in conn.execute(query)]


def check_period(start: date, end: date, working_days: int) -> None:
    if end < start:
        raise ValueError(f"period ends ({end}) before it starts ({start})")
    if working_days < 1:
        raise ValueError("working_days must be at least 1")


def office_report(
    conn: Connection,
    setup: OfficeSetup,
    start: date,
    end: date,
    group_by: Iterable[GroupBy],
    working_days: int,
    targets: Targets,
    last_event_at: datetime | None,
) -> PeriodReport:
    check_period(start, end, working_days)
    group_by = tuple(group_by)
    office_id, r = setup.office_id, stats_rollup
    day_query = select(r.c.day, *(r.c[name] for name in ROLLUP_TOTALS), r.c.waits).where(
        in_period(r, [office_id], start, end), r.c.dim == GroupBy.DAY.value
    )
    by_day: dict[str, tuple[Totals, float | None]] = {}
    all_waits = array("d")
    for row in conn.execute(day_query):
        day_waits = array("d")
        unpack_waits(day_waits, row[-1])
        by_day[row[0].isoformat()] = (Totals.of(row[1:-1]), p90_of(day_waits, presorted=True))
        all_waits.extend(day_waits)
    total = sum((t for t, _ in by_day.values()), Totals())
    overall_p90 = p90_of(all_waits, presorted=len(by_day) == 1)
    found: dict[tuple[str, str], tuple[Totals, float | None]] = {}
    dims = [by.value for by in group_by if by in ROLLUP_DIMS]
    if dims:
        query = (
            select(r.c.dim, r.c.key, *rollup_sums())
            .where(in_period(r, [office_id], start, end), r.c.dim.in_(dims))
            .group_by(r.c.dim, r.c.key)
        )
        waits = rollup_waits(conn, [office_id], start, end, dims)
        found = {
            (row[0], row[1]): (Totals.of(row[2:]), p90_of(waits.get((row[0], row[1]), array("d"))))
            for row in conn.execute(query)
        }
    days = _staff_days(conn, office_id, start, end)
    figures = to_figures(total, overall_p90, len(days), working_days)
    groups: dict[GroupBy, tuple[Group, ...]] = {}
    for by in group_by:
        parts = by_day if by is GroupBy.DAY else {k: v for (dim, k), v in found.items() if dim == by.value}
        staff: dict[str, int] | None = None
        if by is GroupBy.DAY or by is GroupBy.STAFF:
            staff = Counter(day.isoformat() if by is GroupBy.DAY else staff_id for staff_id, day in days)
            parts = {**dict.fromkeys(staff, (Totals(), None)), **parts}
        groups[by] = tuple(
            Group(k, to_figures(*parts[k], None if staff is None else staff.get(k, 0), working_days))
            for k in sorted(parts)
        )
    return PeriodReport(
        office_id=office_id,
        start=start,
        end=end,
        area_class=setup.area_class,
        working_days_per_year=working_days,
        overall=figures,
        groups=groups,
        targets=compare(figures, setup.area_class, targets),
        last_event_at=last_event_at,
    )
