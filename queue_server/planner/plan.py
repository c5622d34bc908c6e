"""The staffing plan: the fewest counters per hour, and the services each serves, that meet the wait targets.

Method. A day profile gives each hour's demand per service (arrivals, service times, transfers into it).
1. *Start from Erlang C.* For each hour the office is open, the fewest counters whose M/G/c mean wait
   (Erlang C with the Allen–Cunneen (1 + scv)/2 correction, the hour's pooled load) is within the target: a
   lower bound, since real counters do not all serve every service and the queue carries over hours.
2. *Assign services.* With n counters in an hour, the services' loads (Erlangs) are poured, largest first, over
   n counters of equal share, each into the counter with the most room left: a big service spreads over several
   counters, small ones share one; every service has at least one counter.
3. *Check by simulation.* The candidate is simulated on the real engine (``queue_server.simulate``) for several
   seeded days, the same days for every candidate (common random numbers); an hour meets the goal when the
   visits arriving in it while the office is open wait (to their first call) at most the mean target on
   average and at most the p90 threshold at the 90th percentile, both by two standard errors of the days'
   figures (``HourCheck``). A citizen who comes at lunch waits for the afternoon whatever the staffing: shown,
   not held against it. While an hour fails, the first failing hour gets one more counter; one failing at the
   maximum is unreachable (and planned at its Erlang C count).
4. *Trim.* Each hour in turn, busiest first, loses a counter if every hour still meets the goal without it, but
   never to more than ``max_utilisation`` (85 %) busy: an hour planned at its capacity meets the target on
   average days only, and its line grows all hour on a busy one.
The same days simulated with the office's own staffing give the "today" figures beside the plan.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace

from queue_server.analytics.targets import DEFAULT_TARGETS, Targets
from queue_server.engine.setup import Counter, OfficeSetup
from queue_server.planner.erlang import fewest_servers
from queue_server.simulate.day import VisitResult, run_days
from queue_server.simulate.figures import COUNTED, WaitFigures, by_hour, wait_figures
from queue_server.simulate.profile import DayProfile, Period


def mean_wait_target(targets: Targets = DEFAULT_TARGETS) -> float:
    """The strictest of the office's mean wait targets, in seconds (15 min by the national targets)."""
    return min((t.value for t in targets.wait), default=15 * 60.0)


@dataclass(frozen=True)
class Goal:
    mean_wait_seconds: float = 15 * 60
    p90_wait_seconds: float = 30 * 60
    max_counters: int = 10
    days: int = 0
    """Seeded days simulated per candidate; 0: enough for about ``AUTO_VISITS`` visits (at least 6, at most 40)."""
    seed: str = "plan"
    margin: float = 2.0
    """Standard errors of the days' mean waits added before comparing with the target (``HourCheck``)."""
    max_utilisation: float = 0.85

    def floor(self, load: float) -> int:
        """The fewest counters that keep an hour with ``load`` Erlangs at most ``max_utilisation`` busy."""
        return min(self.max_counters, max(1, math.ceil(load / self.max_utilisation - 1e-9)))

    def met_by(self, check: HourCheck | None) -> bool:
        if check is None or check.judged.waits_counted == 0:
            return True
        assert check.judged.mean_wait_seconds is not None
        mean_ok = check.judged.mean_wait_seconds + self.margin * check.mean_se <= self.mean_wait_seconds
        return mean_ok and check.within_p90 - self.margin * check.within_p90_se >= 0.9

    def for_profile(self, profile: DayProfile) -> Goal:
        """With ``days`` chosen when it is 0 (auto)."""
        if self.days > 0:
            return self
        visits = max(profile.expected_visits(), 1.0)
        return replace(self, days=min(40, max(6, math.ceil(AUTO_VISITS / visits))))


AUTO_VISITS = 2500
"""Visits simulated per candidate staffing when ``Goal.days`` is auto: a small office's quiet hours see a handful
of citizens a day, and their figures need many days to mean anything."""


@dataclass(frozen=True)
class HourCheck:
    """An hour's figures over the simulated days, with the standard errors of its mean wait and of its share of
    visits within the p90 threshold (p90 ≤ threshold ⇔ that share ≥ 90 %). Waits of one day are correlated (one bad
    morning delays everyone), so the days, not the visits, are the independent samples; the goal asks both to
    hold by ``Goal.margin`` standard errors, so a staffing that meets it only on lucky days is not taken.

    The goal is judged on each visit's wait to its *first* call, which the hour's counters decide; a later wait
    (after a transfer, or a no-show's return) may fall in another hour, or across lunch, where no counter of
    this hour helps. ``figures`` are the statistics' own (every wait of the visit), as shown."""

    figures: WaitFigures
    judged: WaitFigures
    mean_se: float
    within_p90: float
    """Share of the hour's visits that waited at most the p90 threshold."""
    within_p90_se: float


def _se(values: list[float]) -> float:
    return statistics.stdev(values) / math.sqrt(len(values)) if len(values) > 1 else 0.0


def hour_checks(all_days: list[list[VisitResult]], p90_threshold: float) -> dict[int, HourCheck]:
    pooled = by_hour(v for day in all_days for v in day)
    days = [
        [v if v.first_wait_seconds is None else replace(v, wait_seconds=v.first_wait_seconds) for v in day]
        for day in all_days
    ]
    judged = by_hour(v for day in days for v in day)
    means: dict[int, list[float]] = {}
    shares: dict[int, list[float]] = {}
    within: dict[int, list[int]] = {}
    for day in days:
        for hour, f in by_hour(day).items():
            if f.mean_wait_seconds is not None:
                means.setdefault(hour, []).append(f.mean_wait_seconds)
        counted: dict[int, list[float]] = {}
        for v in day:
            if v.status in COUNTED:
                counted.setdefault(v.hour, []).append(v.wait_seconds)
        for hour, waits in counted.items():
            ok = sum(w <= p90_threshold for w in waits)
            shares.setdefault(hour, []).append(ok / len(waits))
            total = within.setdefault(hour, [0, 0])
            total[0] += ok
            total[1] += len(waits)
    return {
        hour: HourCheck(
            figures,
            judged[hour],
            _se(means.get(hour, [])),
            within[hour][0] / within[hour][1] if hour in within else 1.0,
            _se(shares.get(hour, [])),
        )
        for hour, figures in pooled.items()
    }


@dataclass(frozen=True)
class HourPlan:
    hour: int
    arrivals: float
    """Citizens expected in the hour (the profile's rates)."""
    load: float
    """Offered load in Erlangs: busy counters needed on average, transfers in included."""
    erlang_counters: int
    counters: int
    services: tuple[tuple[str, ...], ...]
    """What each planned counter serves in this hour (first counter first)."""
    predicted: WaitFigures
    today_counters: int
    today: WaitFigures
    meets: bool


@dataclass(frozen=True)
class StaffingPlan:
    profile: DayProfile
    """The profile with the planned counters, hours and hourly setups: simulate it to check the plan."""
    source: DayProfile
    goal: Goal
    hours: tuple[HourPlan, ...]
    predicted: WaitFigures
    today: WaitFigures
    simulations: int
    unreachable: tuple[int, ...] = field(default=())
    """Hours that miss the goal even at ``max_counters``."""

    @property
    def meets(self) -> bool:
        return all(h.meets for h in self.hours)


def open_intervals(profile: DayProfile) -> list[Period]:
    """When the office is open: the union of its counters' periods."""
    merged: list[Period] = []
    for start, end in sorted(p for periods in profile.hours.values() for p in periods):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def open_hours(profile: DayProfile) -> list[int]:
    return sorted({h for s, e in open_intervals(profile) for h in range(s // 3600, math.ceil(e / 3600))})


def hourly_loads(profile: DayProfile, hour: int) -> dict[str, float]:
    """Erlangs per service in ``hour``: its own arrivals, plus the transfers other services send it."""
    loads = {d.service_id: d.load(hour) for d in profile.demands}
    for d in profile.demands:
        for to in d.transfer_to:
            target = profile.demand(to)
            if target is not None:
                share = d.arrivals_per_hour[hour] * d.transfer_probability / len(d.transfer_to)
                loads[to] += share * target.service_time.mean() / 3600
    return loads


def assign_services(counters: int, loads: dict[str, float], order: Sequence[str]) -> tuple[tuple[str, ...], ...]:
    """Each counter's services: loads poured largest first into the counter with the most room (docstring)."""
    if counters <= 0:
        return ()
    total = sum(loads.values())
    room = [total / counters] * counters
    served: list[set[str]] = [set() for _ in range(counters)]
    for service in sorted(loads, key=lambda s: (-loads[s], order.index(s))):
        left = loads[service]
        while True:
            i = max(range(counters), key=lambda k: (room[k], -k))
            served[i].add(service)
            take = min(left, room[i])
            room[i] -= take
            left -= take
            if left <= 1e-9 * max(total, 1.0) or max(room) <= 1e-12:
                break
    return tuple(tuple(s for s in order if s in chosen) for chosen in served)


def _counter_ids(profile: DayProfile, count: int) -> list[Counter]:
    known = sorted(profile.setup.counters, key=lambda c: c.number)
    out = list(known[:count])
    number = max((c.number for c in known), default=0)
    while len(out) < count:
        number += 1
        out.append(Counter(f"quay-{number}", number, ()))
    return out


def planned_profile(
    source: DayProfile, counts: dict[int, int], services: dict[int, tuple[tuple[str, ...], ...]]
) -> DayProfile:
    """``source`` with ``counts[h]`` counters open in hour h, serving ``services[h]`` (an hourly setup)."""
    most = max(counts.values(), default=0)
    counters = _counter_ids(source, most)
    pieces = [
        (max(s, h * 3600), min(e, (h + 1) * 3600), h)
        for s, e in open_intervals(source)
        for h in range(s // 3600, math.ceil(e / 3600))
    ]
    hours: dict[str, list[Period]] = {c.id: [] for c in counters}
    for start, end, h in pieces:
        for c in counters[: counts.get(h, 0)]:
            periods = hours[c.id]
            if periods and periods[-1][1] == start:
                periods[-1] = (periods[-1][0], end)
            else:
                periods.append((start, end))
    order = [s.id for s in source.setup.services]
    setups: list[tuple[int, OfficeSetup]] = []
    current: tuple[tuple[str, ...], ...] = tuple(tuple(order) for _ in counters)
    for h in sorted(counts):
        wanted = list(current)
        for i, chosen in enumerate(services.get(h, ())):
            wanted[i] = chosen
        if tuple(wanted) != current or not setups:
            current = tuple(wanted)
            setup = replace(
                source.setup, counters=tuple(replace(c, service_ids=current[i]) for i, c in enumerate(counters))
            )
            setups.append((h * 3600, setup))
    first = setups[0][1] if setups else source.setup
    staff = {c.id: source.staff_at[c.id] for c in counters if c.id in source.staff_at}
    return replace(
        source,
        setup=first,
        hours={k: tuple(v) for k, v in hours.items()},
        staff_at=staff,
        reconfigurations=tuple(setups[1:]),
    )


def _simulate(profile: DayProfile, goal: Goal) -> list[list[VisitResult]]:
    return [run_days(profile, seed=f"{goal.seed}-{k}").visits for k in range(goal.days)]


def while_open(visits: Iterable[VisitResult], intervals: list[Period]) -> list[VisitResult]:
    return [v for v in visits if any(s <= v.arrived_seconds < e for s, e in intervals)]


def counters_open(profile: DayProfile, hour: int) -> int:
    """Counters open at some time in ``hour`` under the profile's own hours (the office's staffing today)."""
    lo, hi = hour * 3600, (hour + 1) * 3600
    return sum(any(s < hi and e > lo for s, e in periods) for periods in profile.hours.values())


def plan_day(source: DayProfile, goal: Goal = Goal()) -> StaffingPlan:
    goal = goal.for_profile(source)
    hours, intervals = open_hours(source), open_intervals(source)
    order = [s.id for s in source.setup.services]
    loads = {h: hourly_loads(source, h) for h in hours}
    erlang: dict[int, int] = {}
    for h in hours:
        total = sum(loads[h].values())
        arrivals = sum(d.arrivals_per_hour[h] for d in source.demands) / 3600
        mean_service = total / arrivals if arrivals else 0.0  # seconds; transfers in lengthen the mean
        scv = max((d.service_time.scv() for d in source.demands), default=1.0)
        need = fewest_servers(arrivals, mean_service, goal.mean_wait_seconds, scv) if arrivals else 1
        erlang[h] = min(goal.max_counters, max(goal.floor(total), need))
    counts = dict(erlang)
    cache: dict[tuple[int, ...], dict[int, HourCheck]] = {}

    def evaluate(candidate: dict[int, int]) -> dict[int, HourCheck]:
        key = tuple(candidate[h] for h in hours)
        if key not in cache:
            services = {h: assign_services(candidate[h], loads[h], order) for h in hours}
            days = _simulate(planned_profile(source, candidate, services), goal)
            cache[key] = hour_checks([while_open(day, intervals) for day in days], goal.p90_wait_seconds)
        return cache[key]

    unreachable: set[int] = set()

    def failing(figures: dict[int, HourCheck]) -> list[int]:
        return [h for h in hours if h not in unreachable and not goal.met_by(figures.get(h))]

    while bad := failing(evaluate(counts)):
        if counts[bad[0]] < goal.max_counters:
            counts[bad[0]] += 1
        else:
            unreachable.add(bad[0])
            counts[bad[0]] = erlang[bad[0]]  # counters do not fix it: no more than queueing theory asks
    for h in sorted(hours, key=lambda h: (-counts[h], h)):
        if h in unreachable:
            continue
        floor = goal.floor(sum(loads[h].values()))
        while counts[h] > floor:
            fewer = {**counts, h: counts[h] - 1}
            if failing(evaluate(fewer)):
                break
            counts = fewer
    services = {h: assign_services(counts[h], loads[h], order) for h in hours}
    planned = planned_profile(source, counts, services)
    plan_days, today_days = _simulate(planned, goal), _simulate(source, goal)
    plan_checks = hour_checks([while_open(day, intervals) for day in plan_days], goal.p90_wait_seconds)
    today_checks = hour_checks([while_open(day, intervals) for day in today_days], goal.p90_wait_seconds)
    plan_visits = [v for day in plan_days for v in day]
    today_visits = [v for day in today_days for v in day]
    empty = wait_figures([])
    return StaffingPlan(
        profile=planned,
        source=source,
        goal=goal,
        hours=tuple(
            HourPlan(
                hour=h,
                arrivals=sum(d.arrivals_per_hour[h] for d in source.demands),
                load=sum(loads[h].values()),
                erlang_counters=erlang[h],
                counters=counts[h],
                services=services[h],
                predicted=plan_checks[h].figures if h in plan_checks else empty,
                today_counters=counters_open(source, h),
                today=today_checks[h].figures if h in today_checks else empty,
                meets=goal.met_by(plan_checks.get(h)),
            )
            for h in hours
        ),
        predicted=wait_figures(plan_visits),
        today=wait_figures(today_visits),
        simulations=(len(cache) + 2) * goal.days,
        unreachable=tuple(sorted(unreachable)),
    )
