"""The province manager's view from the read model: every office together, and each office's overall figures.

Counts and sums come from the offices' day roll-ups. The p90 waits of a province-year (millions of waits)
are too many to sort for a page; on PostgreSQL the minute histograms (``stats_wait_hist``) locate each
office's p90, and the province's, in one minute of wait and give its rank inside that minute, and only the
waits of that minute are read (``ix_stats_visits_office_id_wait_seconds``) and ranked: exact, as
``metrics.nearest_rank``. On SQLite (one office's server, a handful of offices at most) the day roll-ups'
sorted waits are merged, as for one office.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, and_, case, func, or_, select

from queue_server.analytics.metrics import Figures, Group, GroupBy
from queue_server.analytics.projection_query import (
    Totals,
    check_period,
    in_period,
    p90_of,
    plain_rows,
    rollup_sums,
    to_figures,
)
from queue_server.analytics.projection_rows import COUNTED, nearest_rank_index, unpack_waits
from queue_server.analytics.targets import TargetCheck, Targets, compare
from queue_server.engine.setup import OfficeSetup
from queue_server.store.schema import WAIT_BUCKET_SECONDS, stats_rollup, stats_staff_days, stats_visits, stats_wait_hist


@dataclass(frozen=True)
class ProvinceReport:
    """The province manager's view: all offices together, and each office's overall figures and targets."""

    start: date
    end: date
    working_days_per_year: int
    overall: Figures
    offices: tuple[Group, ...]
    targets: dict[str, tuple[TargetCheck, ...]]
    last_event_at: datetime | None
    """The oldest of the offices' newest folded events: every office is complete at least up to it."""


def _locate(histogram: dict[int, int]) -> tuple[int, int]:
    """The bucket holding the p90 (nearest rank) and the wait's 1-based rank inside that bucket."""
    rank = nearest_rank_index(sum(histogram.values())) + 1
    below = 0
    for bucket in sorted(histogram):
        if below + histogram[bucket] >= rank:
            return bucket, rank - below
        below += histogram[bucket]
    raise ValueError("empty histogram")


def _province_p90_from_minutes(conn: Connection, office_ids: Sequence[str], start: date, end: date) -> dict[str, float]:
    """Exact p90s without sorting the province: the minute histograms (``stats_wait_hist``) say in which
    minute each office's (and the province's) p90 lies and at which rank inside it; only the waits of that
    minute are then read and ranked, through ``ix_stats_visits_office_id_wait_seconds``."""
    h, v, width = stats_wait_hist, stats_visits, WAIT_BUCKET_SECONDS
    query = (
        select(h.c.office_id, h.c.bucket, func.sum(h.c.waits))
        .where(in_period(h, office_ids, start, end))
        .group_by(h.c.office_id, h.c.bucket)
    )
    histograms: dict[str, dict[int, int]] = {}
    province: Counter[int] = Counter()
    for office_id, bucket, n in plain_rows(conn, query):
        histograms.setdefault(office_id, {})[bucket] = int(n)
        province[bucket] += int(n)
    if not province:
        return {}
    counted = and_(in_period(v, office_ids, start, end), v.c.wait_seconds.is_not(None), v.c.status.in_(COUNTED))
    located = {office_id: _locate(histogram) for office_id, histogram in histograms.items()}
    # One index range per office, OR-ed (a join with a VALUES list makes PostgreSQL hash-join a full scan).
    minutes = or_(
        *(
            and_(v.c.office_id == office_id, v.c.wait_seconds >= b * width, v.c.wait_seconds < (b + 1) * width)
            for office_id, (b, _) in located.items()
        )
    )
    rank_in_minute = case({office_id: k for office_id, (_, k) in located.items()}, value=v.c.office_id)
    ranked = (
        select(
            v.c.office_id,
            v.c.wait_seconds,
            rank_in_minute.label("k"),
            func.row_number().over(partition_by=v.c.office_id, order_by=v.c.wait_seconds).label("rn"),
        )
        .where(counted, minutes)
        .subquery("ranked")
    )
    rows = plain_rows(conn, select(ranked.c.office_id, ranked.c.wait_seconds).where(ranked.c.rn == ranked.c.k))
    out = {str(office_id): float(wait) for office_id, wait in rows}
    bucket, rank = _locate(province)
    in_minute = and_(v.c.wait_seconds >= bucket * width, v.c.wait_seconds < (bucket + 1) * width)
    overall = select(v.c.wait_seconds).where(counted, in_minute).order_by(v.c.wait_seconds).offset(rank - 1).limit(1)
    out[""] = float(conn.execute(overall).scalar_one())
    return out


def province_p90(conn: Connection, office_ids: Sequence[str], start: date, end: date) -> dict[str, float]:
    """Each office's p90 wait and the province's (key ""), nearest rank."""
    if conn.dialect.name == "postgresql":
        return _province_p90_from_minutes(conn, office_ids, start, end)
    r = stats_rollup
    query = select(r.c.office_id, r.c.waits).where(in_period(r, office_ids, start, end), r.c.dim == GroupBy.DAY.value)
    waits: dict[str, array[float]] = {}
    for office_id, packed in plain_rows(conn, query):
        unpack_waits(waits.setdefault(office_id, array("d")), packed)
    everything = array("d")
    for some in waits.values():
        everything.extend(some)
    ranked = {office_id: p90_of(some) for office_id, some in waits.items()}
    ranked[""] = p90_of(everything)
    return {key: value for key, value in ranked.items() if value is not None}


def province_report(
    conn: Connection,
    setups: Sequence[OfficeSetup],
    start: date,
    end: date,
    working_days: int,
    targets: Targets,
    last_event_at: datetime | None,
) -> ProvinceReport:
    check_period(start, end, working_days)
    office_ids = [s.office_id for s in setups]
    r, t = stats_rollup, stats_staff_days
    query = (
        select(r.c.office_id, *rollup_sums())
        .where(in_period(r, office_ids, start, end), r.c.dim == GroupBy.DAY.value)
        .group_by(r.c.office_id)
    )
    totals = {row[0]: Totals.of(row[1:]) for row in conn.execute(query)}
    staff_query = (
        select(t.c.office_id, func.count()).where(in_period(t, office_ids, start, end)).group_by(t.c.office_id)
    )
    staff = {row[0]: int(row[1]) for row in conn.execute(staff_query)}
    p90 = province_p90(conn, office_ids, start, end)
    per_office = {
        office_id: to_figures(
            totals.get(office_id, Totals()), p90.get(office_id), staff.get(office_id, 0), working_days
        )
        for office_id in office_ids
    }
    overall = to_figures(sum(totals.values(), Totals()), p90.get(""), sum(staff.values()), working_days)
    return ProvinceReport(
        start=start,
        end=end,
        working_days_per_year=working_days,
        overall=overall,
        offices=tuple(Group(office_id, per_office[office_id]) for office_id in sorted(office_ids)),
        targets={s.office_id: compare(per_office[s.office_id], s.area_class, targets) for s in setups},
        last_event_at=last_event_at,
    )
