"""The figures of a period (local dates, inclusive), for the whole office or per group.

Visit-level groups (service, hour, day) take whole visits; counter and staff groups take the segments served
there and the waits those calls ended. Definitions: docs/statistics.md.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from queue_server.analytics.visits import History, Segment, SegmentEnd, Visit, VisitStatus
from queue_server.engine.setup import Outcome

WORKING_DAYS_PER_YEAR = 250
"""365 days − 104 Saturdays and Sundays − 11 public holidays (Bộ luật Lao động 2019, Điều 112)."""

WITHIN_15 = 15 * 60
WITHIN_30 = 30 * 60
WAIT_COUNTED = frozenset({VisitStatus.FINISHED, VisitStatus.NO_SHOW})
"""Visits whose every wait ended in a call: the only ones in wait statistics."""


class GroupBy(StrEnum):
    SERVICE = "service"
    """The service the ticket was issued for."""
    COUNTER = "counter"
    STAFF = "staff"
    HOUR = "hour"
    """Local hour of the issue, "08" … "17"."""
    DAY = "day"
    """Local day of the issue, ISO format."""


@dataclass(frozen=True)
class Figures:
    visits: int
    finished: int
    no_shows: int
    """Visits that ended as a no-show (skipped, never re-queued)."""
    expired: int
    open: int
    """Still waiting or being served when the log ends."""
    transfers: int
    waits_counted: int
    avg_wait_seconds: float | None
    p90_wait_seconds: float | None
    share_within_15_min: float | None
    share_within_30_min: float | None
    served_segments: int
    avg_service_seconds: float | None
    """Per served segment (call to finish or transfer)."""
    avg_service_per_visit_seconds: float | None
    """Per finished visit: the sum of its served segments."""
    ratings: int
    satisfied_ratings: int
    satisfaction_share: float | None
    dossiers_received: int
    dossiers_unsatisfied: int
    qd766_ratio: float | None
    staff_days: int | None
    """None where the group has no meaning for staff presence (service, counter, hour)."""
    productivity_per_staff_year: float | None


@dataclass(frozen=True)
class Group:
    key: str
    figures: Figures


_Row = tuple[VisitStatus, float | None, int, list[float], int, int, int, int]
"""A visit seen through a group, reduced to numbers once: (status, total of the waits ended by the group's
calls or None, transfers, served segment durations, ratings, satisfied ratings, dossiers, unsatisfied dossiers).
"""


def _row(status: VisitStatus, segments: Iterable[Segment], wait: float | None) -> _Row:
    transfers = rated = satisfied = dossiers = unsatisfied = 0
    served: list[float] = []
    for s in segments:
        if s.end is SegmentEnd.TRANSFERRED:
            transfers += 1
        if s.seconds is not None and s.end is not SegmentEnd.NO_SHOW:
            served.append(s.seconds)
        if s.rating_satisfied is not None:
            rated += 1
            satisfied += s.rating_satisfied
        if s.outcome is Outcome.DOSSIER_RECEIVED:
            dossiers += 1
            unsatisfied += s.rating_satisfied is False
    return status, wait, transfers, served, rated, satisfied, dossiers, unsatisfied


def nearest_rank(sorted_values: Sequence[float], percent: float) -> float:
    """The nearest-rank percentile: the smallest value with at least ``percent`` % of values ≤ it."""
    if not sorted_values:
        raise ValueError("no values")
    rank = max(1, math.ceil(percent / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def _share(part: int, whole: int) -> float | None:
    return None if whole == 0 else part / whole


def _mean(values: Sequence[float]) -> float | None:
    return None if not values else sum(values) / len(values)


def figures(rows: Sequence[_Row], staff_days: int | None, working_days: int) -> Figures:
    """One pass over the rows of a group."""
    statuses = dict.fromkeys(VisitStatus, 0)
    waits: list[float] = []
    served: list[float] = []
    per_visit: list[float] = []
    transfers = rated = satisfied = dossiers = unsatisfied = 0
    finished, counted = VisitStatus.FINISHED, WAIT_COUNTED
    for status, wait, n_transfers, durations, n_rated, n_satisfied, n_dossiers, n_unsatisfied in rows:
        statuses[status] += 1
        if wait is not None and status in counted:
            waits.append(wait)
        if durations:
            served += durations
        if status is finished:
            per_visit.append(sum(durations))
        transfers += n_transfers
        rated += n_rated
        satisfied += n_satisfied
        dossiers += n_dossiers
        unsatisfied += n_unsatisfied
    waits.sort()
    return Figures(
        visits=len(rows),
        finished=statuses[VisitStatus.FINISHED],
        no_shows=statuses[VisitStatus.NO_SHOW],
        expired=statuses[VisitStatus.EXPIRED],
        open=statuses[VisitStatus.WAITING] + statuses[VisitStatus.SERVING],
        transfers=transfers,
        waits_counted=len(waits),
        avg_wait_seconds=_mean(waits),
        p90_wait_seconds=nearest_rank(waits, 90) if waits else None,
        share_within_15_min=_share(bisect_right(waits, WITHIN_15), len(waits)),
        share_within_30_min=_share(bisect_right(waits, WITHIN_30), len(waits)),
        served_segments=len(served),
        avg_service_seconds=_mean(served),
        avg_service_per_visit_seconds=_mean(per_visit),
        ratings=rated,
        satisfied_ratings=satisfied,
        satisfaction_share=_share(satisfied, rated),
        dossiers_received=dossiers,
        dossiers_unsatisfied=unsatisfied,
        qd766_ratio=_share(dossiers - unsatisfied, dossiers),
        staff_days=staff_days,
        productivity_per_staff_year=dossiers / staff_days * working_days if staff_days else None,
    )


class Period:
    """The visits issued on local days ``start`` … ``end`` (inclusive) and the staff-days in them."""

    def __init__(self, history: History, start: date, end: date, working_days: int = WORKING_DAYS_PER_YEAR):
        if end < start:
            raise ValueError(f"period ends ({end}) before it starts ({start})")
        if working_days < 1:
            raise ValueError("working_days must be at least 1")
        self.start, self.end, self.working_days = start, end, working_days
        self.visits = [v for v in history.visits.values() if start <= v.day <= end]
        self.staff_days = {(s, d) for s, d in history.staff_days if start <= d <= end}
        self.rows = [_row(v.status, v.segments, v.wait_seconds if v.waits else None) for v in self.visits]

    def overall(self) -> Figures:
        return figures(self.rows, len(self.staff_days), self.working_days)

    def grouped(self, by: GroupBy) -> tuple[Group, ...]:
        if by is GroupBy.COUNTER or by is GroupBy.STAFF:
            return self._by_segment(by)
        key_of: Callable[[Visit], str]
        if by is GroupBy.SERVICE:
            key_of = _service_key
        elif by is GroupBy.DAY:
            key_of = _day_key
        else:
            key_of = _hour_key
        parts: dict[str, list[_Row]] = {}
        for visit, row in zip(self.visits, self.rows, strict=True):
            parts.setdefault(key_of(visit), []).append(row)
        days: dict[str, int] = {}
        if by is GroupBy.DAY:
            for _, day in self.staff_days:
                days[day.isoformat()] = days.get(day.isoformat(), 0) + 1
            for key in days:
                parts.setdefault(key, [])
        return tuple(
            Group(k, figures(parts[k], days.get(k, 0) if by is GroupBy.DAY else None, self.working_days))
            for k in sorted(parts)
        )

    def _by_segment(self, by: GroupBy) -> tuple[Group, ...]:
        parts: dict[str, list[_Row]] = {}
        counter = by is GroupBy.COUNTER
        for visit, row in zip(self.visits, self.rows, strict=True):
            if len(visit.segments) == 1:  # most visits: the group sees the whole visit, its row is ready
                only = visit.segments[0]
                key = only.counter_id if counter else only.staff_id
                if key is not None:
                    parts.setdefault(key, []).append(row)
                continue
            mine: dict[str, list[Segment]] = {}
            for s in visit.segments:
                key = s.counter_id if counter else s.staff_id
                if key is not None:
                    mine.setdefault(key, []).append(s)
            for key, segments in mine.items():
                numbers = {s.number for s in segments}
                waits = [w.seconds for w in visit.waits if w.segment in numbers]
                parts.setdefault(key, []).append(_row(visit.status, segments, sum(waits) if waits else None))
        days: dict[str, int] = {}
        if by is GroupBy.STAFF:
            for staff_id, _ in self.staff_days:
                days[staff_id] = days.get(staff_id, 0) + 1
            for key in days:
                parts.setdefault(key, [])
        return tuple(
            Group(k, figures(parts[k], days.get(k, 0) if by is GroupBy.STAFF else None, self.working_days))
            for k in sorted(parts)
        )


def _service_key(visit: Visit) -> str:
    return visit.service_id


def _day_key(visit: Visit) -> str:
    return visit.day.isoformat()


def _hour_key(visit: Visit) -> str:
    return f"{visit.hour:02d}"
