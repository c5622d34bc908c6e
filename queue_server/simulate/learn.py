"""A day profile learned from an office's own event history (``--learn-from``), for the simulator and planner.

The log is folded into visits by the statistics' own fold (``analytics.visits``), so a learned figure means what
the reports mean. Over the chosen days: arrivals per service and local hour (mean count per day, the Poisson
rate), service times per service as the empirical durations of its served segments (a log-normal prior of
8 ± 5 min where a service has none), the priority, no-show, transfer and rating shares, and each counter's open
hours: its median first call and last service end, and its median lunch break (the longest pause of 45 min or
more, on most days), to 15 minutes; a counter that worked on fewer than half of the days is closed.
"""

from __future__ import annotations

import statistics
from collections import Counter as Tally
from collections.abc import Iterable
from datetime import date, timedelta
from pathlib import Path

from queue_server.analytics.visits import SegmentEnd, Visit, fold, local_time
from queue_server.engine.events import Event, OfficeConfigured
from queue_server.engine.setup import OfficeSetup
from queue_server.simulate.distributions import ServiceTime, Shape
from queue_server.simulate.profile import DayProfile, Demand, Period, ProfileError, Visitors

PRIOR = ServiceTime(Shape.LOGNORMAL, 8 * 60, 5 * 60)


def _weights(tally: Tally[str], default: tuple[tuple[str, float], ...]) -> tuple[tuple[str, float], ...]:
    total = sum(tally.values())
    return tuple((k, n / total) for k, n in sorted(tally.items())) if total else default


QUARTER = 15 * 60
LUNCH_GAP_SECONDS = 45 * 60
"""A pause between two services this long, mid-day, is the counter's lunch break."""


def _quarter(seconds: float) -> int:
    return int(round(seconds / QUARTER) * QUARTER)


def _periods(days: list[list[tuple[float, float]]], n_days: int) -> tuple[Period, ...]:
    """A counter's usual open periods from its work on each day ((call, end) of its segments, local seconds):
    the median first call and last end, and the median lunch break where most days have one, to 15 min."""
    if len(days) * 2 < n_days:
        return ()
    starts, ends, breaks = [], [], []
    for work in days:
        work.sort()
        starts.append(work[0][0])
        ends.append(max(end for _, end in work))
        gaps = [(work[i + 1][0] - work[i][1], work[i][1], work[i + 1][0]) for i in range(len(work) - 1)]
        longest = max(gaps, default=(0.0, 0.0, 0.0))
        if longest[0] >= LUNCH_GAP_SECONDS:
            breaks.append((longest[1], longest[2]))
    start, end = _quarter(statistics.median(starts)), _quarter(statistics.median(ends))
    if breaks and len(breaks) * 2 >= len(days):
        lunch = (_quarter(statistics.median(b[0] for b in breaks)), _quarter(statistics.median(b[1] for b in breaks)))
        if start < lunch[0] < lunch[1] < end:
            return ((start, lunch[0]), (lunch[1], end))
    return ((start, end),) if start < end else ()


def learn_profile(events: Iterable[Event], start: date | None = None, end: date | None = None) -> DayProfile:
    """The profile of the days ``start``..``end`` (local, inclusive; default: every day in the log)."""
    log = list(events)
    setups = [e.setup for e in log if isinstance(e, OfficeConfigured)]
    if not setups:
        raise ProfileError("the log has no OfficeConfigured event: no office to learn")
    setup: OfficeSetup = setups[-1]
    history = fold(log, setup)
    visits = [v for v in history.visits.values() if (start is None or v.day >= start) and (end is None or v.day <= end)]
    days = sorted({v.day for v in visits})
    if not days:
        raise ProfileError("no visits in the chosen period")
    return _profile(setup, visits, days)


def _profile(setup: OfficeSetup, visits: list[Visit], days: list[date]) -> DayProfile:
    n_days = len(days)
    offset = timedelta(minutes=setup.utc_offset_minutes)
    arrivals: dict[str, list[float]] = {s.id: [0.0] * 24 for s in setup.services}
    durations: dict[str, list[float]] = {s.id: [] for s in setup.services}
    transfers: dict[str, Tally[str]] = {s.id: Tally() for s in setup.services}
    priorities, ratings, outcomes = Tally[str](), Tally[str](), Tally[str]()
    worked: dict[str, dict[date, list[tuple[float, float]]]] = {c.id: {} for c in setup.counters}
    no_shows = returned = served = rated = 0
    for visit in visits:
        if visit.service_id in arrivals:
            arrivals[visit.service_id][visit.hour] += 1 / n_days
        if visit.priority is not None:
            priorities[visit.priority] += 1
        segments = visit.segments
        if any(s.end is SegmentEnd.NO_SHOW for s in segments):
            no_shows += 1
            returned += visit.requeues > 0
        for i, segment in enumerate(segments):
            local = local_time(segment.called_at, offset)
            midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
            called = (local - midnight).total_seconds()
            ended = called + (segment.seconds or 0.0)
            worked.setdefault(segment.counter_id, {}).setdefault(local.date(), []).append((called, ended))
            if segment.served and segment.seconds is not None:
                durations.setdefault(segment.service_id, []).append(segment.seconds)
                served += 1
                rated += segment.rating is not None
                if segment.rating is not None:
                    ratings[segment.rating] += 1
                if segment.outcome is not None:
                    outcomes[segment.outcome.value] += 1
            if segment.end is SegmentEnd.TRANSFERRED and i + 1 < len(segments):
                transfers.setdefault(segment.service_id, Tally())[segments[i + 1].service_id] += 1
    issued = Tally(v.service_id for v in visits)
    demands = tuple(
        Demand(
            service_id=s.id,
            arrivals_per_hour=tuple(arrivals[s.id]),
            service_time=ServiceTime.empirical(tuple(durations[s.id])) if durations[s.id] else PRIOR,
            transfer_probability=min(1.0, sum(transfers[s.id].values()) / issued[s.id]) if issued[s.id] else 0.0,
            transfer_to=tuple(sorted(d for d in transfers[s.id] if d != s.id)),
        )
        for s in setup.services
    )
    demands = tuple(d if d.transfer_to else Demand(d.service_id, d.arrivals_per_hour, d.service_time) for d in demands)
    hours = {}
    for counter in setup.counters:
        hours[counter.id] = _periods(list(worked.get(counter.id, {}).values()), n_days)
    defaults = Visitors()
    visitors = Visitors(
        priority_share=sum(priorities.values()) / len(visits),
        priority_weights=_weights(priorities, defaults.priority_weights),
        no_show_rate=no_shows / len(visits),
        no_show_returns=returned / no_shows if no_shows else 0.0,
        rating_share=rated / served if served else 0.0,
        rating_weights=_weights(ratings, defaults.rating_weights),
        outcome_weights=_weights(outcomes, defaults.outcome_weights),
    )
    next_day = days[-1] + timedelta(days=1)
    while next_day.weekday() >= 5:
        next_day += timedelta(days=1)
    return DayProfile(setup=setup, demands=demands, hours=hours, visitors=visitors, day=next_day)


def read_log(source: str, office_id: str | None = None) -> list[Event]:
    """The events of a JSON Lines export (a file) or of an office's store (a database URL or SQLite path)."""
    path = Path(source)
    if "://" not in source and path.suffix in (".jsonl", ".json", ".ndjson"):
        import json

        from queue_server.store.jsonl import record_from_dict

        with path.open(encoding="utf-8") as fp:
            records = [record_from_dict(json.loads(line)) for line in fp if line.strip()]
        return [r.event for r in records if office_id is None or r.office_id == office_id]
    from sqlalchemy import select

    from queue_server.store import db
    from queue_server.store.event_store import EventStore
    from queue_server.store.schema import events as events_table

    url = source if "://" in source else f"sqlite:///{path.resolve()}"
    if office_id is None:
        engine = db.make_engine(url)
        try:
            with engine.connect() as conn:
                offices = sorted(conn.execute(select(events_table.c.office_id).distinct()).scalars())
        finally:
            engine.dispose()
        if len(offices) != 1:
            raise ProfileError(f"the store holds offices {offices}: say which with --office")
        office_id = offices[0]
    store = EventStore(url, office_id)
    try:
        return [s.event for s in store.events()]
    finally:
        store.close()


def learn_from_source(source: str, office_id: str | None, start: str | None, end: str | None) -> DayProfile:
    try:
        first = date.fromisoformat(start) if start else None
        last = date.fromisoformat(end) if end else first
    except ValueError as exc:
        raise ProfileError(f"--from/--to: {exc}") from exc
    return learn_profile(read_log(source, office_id), first, last)
