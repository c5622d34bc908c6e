"""How long ``period_report`` takes for a whole office-year, from memory and from a SQLite store.

    python -m queue_server.analytics.bench [--visits 60000] [--seed 1]

The year is generated through the real engine (every event valid): 250 working days, arrivals peaking at
08:00–10:00 and 14:00–15:00 local time, 6 counters with a staff member each, service times around 8 minutes,
some transfers, no-shows (half of them re-queued), dossiers and ratings.
"""

from __future__ import annotations

import argparse
import heapq
import random
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from itertools import count
from pathlib import Path

from queue_server.analytics.report import period_report, report_from_history
from queue_server.analytics.visits import fold
from queue_server.engine import CommandRejected, QueueState, decide
from queue_server.engine import commands as cmd
from queue_server.engine import events as ev
from queue_server.engine.setup import Counter, OfficeSetup, Outcome, Service, Staff

YEAR = 2025
SERVICES = ("hotich", "datdai", "kinhdoanh", "chungthuc")
SETUP = OfficeSetup(
    office_id="bench-year",
    name="Trung tâm phục vụ hành chính công (benchmark)",
    services=tuple(Service(s, "ABCD"[i], s) for i, s in enumerate(SERVICES)),
    counters=tuple(Counter(f"q{i}", i, SERVICES) for i in range(1, 7)),
    staff=tuple(Staff(f"nv{i}", f"Cán bộ {i}") for i in range(1, 7)),
)
HOURLY_WEIGHT = {7: 2, 8: 10, 9: 10, 10: 7, 11: 4, 13: 4, 14: 8, 15: 6, 16: 3}
"""Relative arrivals per local hour (lunch break 12:00–13:00)."""


@dataclass
class _Sim:
    state: QueueState
    events: list[ev.Event]
    ids: count[int]
    rng: random.Random

    def run(self, command: cmd.Command, now: datetime) -> list[ev.Event] | None:
        try:
            out = decide(self.state, command, now, lambda: f"t{next(self.ids)}")
        except CommandRejected:  # e.g. nothing waiting: nothing changed
            return None
        for event in out:
            self.state.apply(event)
        self.events.extend(out)
        return out


def _working_days(year: int) -> list[date]:
    day, out = date(year, 1, 2), list[date]()
    while day.year == year and len(out) < 250:
        if day.weekday() < 5:
            out.append(day)
        day += timedelta(days=1)
    return out


def _utc(day: date, hour: float) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(hours=hour - 7)


def _arrivals(rng: random.Random, day: date, n: int) -> list[datetime]:
    hours = rng.choices(list(HOURLY_WEIGHT), weights=list(HOURLY_WEIGHT.values()), k=n)
    return sorted(_utc(day, h + rng.random()) for h in hours)


def _day(sim: _Sim, day: date, visits: int) -> None:
    rng = sim.rng
    counters = [c.id for c in SETUP.counters]
    arrivals = _arrivals(rng, day, visits)
    # Staff sign in before the first citizen arrives: the log never goes back in time (docs/statistics.md).
    opening = min([_utc(day, 7.5), *arrivals[:1]])
    for counter, staff in zip(counters, SETUP.staff, strict=True):
        sim.run(cmd.SignIn(counter, staff.id), opening)
    agenda: list[tuple[datetime, int, str, str]] = []
    """(time, tie-break, action, counter or ticket id): service ends and re-queues, in time order."""
    serial = count()
    idle = set(counters)
    for arrival in arrivals:
        while agenda and agenda[0][0] <= arrival:
            _act(sim, heapq.heappop(agenda), agenda, serial, idle)
        sim.run(cmd.IssueTicket(rng.choice(SERVICES), "elderly_60" if rng.random() < 0.08 else None), arrival)
        _call_idle(sim, arrival, agenda, serial, idle)
    while agenda:
        _act(sim, heapq.heappop(agenda), agenda, serial, idle)
    closing = max(_utc(day, 17), sim.events[-1].at)
    for counter in counters:
        sim.run(cmd.SignOut(counter), closing)


def _call_idle(
    sim: _Sim, now: datetime, agenda: list[tuple[datetime, int, str, str]], serial: count[int], idle: set[str]
) -> None:
    for counter in sorted(idle):
        if sim.run(cmd.CallNext(counter), now) is None:
            continue
        idle.discard(counter)
        minutes = 0.5 if sim.rng.random() < 0.04 else sim.rng.lognormvariate(1.9, 0.5)  # ~ 7.5 min median
        heapq.heappush(agenda, (now + timedelta(minutes=minutes), next(serial), "end", counter))


def _act(
    sim: _Sim,
    item: tuple[datetime, int, str, str],
    agenda: list[tuple[datetime, int, str, str]],
    serial: count[int],
    idle: set[str],
) -> None:
    now, _, action, target = item
    rng = sim.rng
    if action == "requeue":
        sim.run(cmd.Requeue(target), now)
    else:
        counter = target
        ticket = sim.state.counters[counter].serving_ticket_id
        roll = rng.random()
        if roll < 0.04 and ticket is not None:
            sim.run(cmd.SkipTicket(counter), now)
            if rng.random() < 0.5:
                heapq.heappush(agenda, (now + timedelta(minutes=3), next(serial), "requeue", ticket))
        elif roll < 0.09:
            sim.run(cmd.Transfer(counter, to_service_id=rng.choice(SERVICES), to_counter_id=None), now)
        else:
            outcome = rng.choices(list(Outcome), weights=[60, 20, 18, 2])[0]
            code = f"HS-{ticket}" if outcome is Outcome.DOSSIER_RECEIVED else None
            sim.run(cmd.FinishService(counter, outcome, code), now)
            if rng.random() < 0.4:
                level = rng.choices(["very_satisfied", "satisfied", "dissatisfied"], weights=[50, 46, 4])[0]
                sim.run(cmd.RateService(counter, level), now)
        idle.add(counter)
    _call_idle(sim, now, agenda, serial, idle)


def office_year(visits: int = 60_000, seed: int = 1, days: int | None = None) -> list[ev.Event]:
    """A synthetic office-year of about ``visits`` visits, decided by the real engine; ``days`` keeps only
    the year's first working days (the visits are spread over those)."""
    rng = random.Random(seed)
    sim = _Sim(QueueState(), [], count(1), rng)
    sim.run(cmd.ConfigureOffice(SETUP), _utc(date(YEAR, 1, 1), 7))
    days_of_year = _working_days(YEAR)[:days]
    per_day = visits / len(days_of_year)
    for day in days_of_year:
        _day(sim, day, max(1, round(rng.gauss(per_day, per_day / 5))))
    return sim.events


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def office_year_seconds(visits: int = 60_000, seed: int = 1) -> dict[str, float]:
    """Seconds ``period_report`` takes for the year: from events in memory (``memory_s``; of which the fold,
    ``fold_s``), on an already folded history (overall only, all groups, one month), from a SQLite store with
    reading and decoding included (``sqlite_s``), and the store read alone. Also the numbers of events and
    visits."""
    from queue_server.store.event_store import Commit, EventStore

    events = office_year(visits, seed)
    start, end = date(YEAR, 1, 1), date(YEAR, 12, 31)
    result: dict[str, float] = {"events": len(events)}
    report = period_report(events, SETUP, start, end)
    result["visits"] = report.overall.visits
    result["memory_s"] = min(_timed(lambda: period_report(events, SETUP, start, end)) for _ in range(3))
    history = fold(events, SETUP)
    result["fold_s"] = min(_timed(lambda: fold(events, SETUP)) for _ in range(3))
    result["folded_overall_s"] = min(
        _timed(lambda: report_from_history(history, SETUP, start, end, ())) for _ in range(3)
    )
    result["folded_all_groups_s"] = min(
        _timed(lambda: report_from_history(history, SETUP, start, end)) for _ in range(3)
    )
    june = date(YEAR, 6, 1), date(YEAR, 6, 30)
    result["folded_month_s"] = min(_timed(lambda: report_from_history(history, SETUP, *june)) for _ in range(3))
    with tempfile.TemporaryDirectory() as folder:
        store = EventStore(f"sqlite:///{Path(folder) / 'year.db'}", SETUP.office_id)
        try:
            store.migrate()
            for i in range(0, len(events), 5000):
                store.commit([Commit(None, None, events[i : i + 5000], {})])
            result["sqlite_read_s"] = _timed(lambda: sum(1 for _ in store.events()))
            result["sqlite_s"] = _timed(lambda: period_report((s.event for s in store.events()), SETUP, start, end))
        finally:
            store.close()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visits", type=int, default=60_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    for key, value in office_year_seconds(args.visits, args.seed).items():
        print(f"{key:>14}: {value:,.3f}")


if __name__ == "__main__":
    main()
