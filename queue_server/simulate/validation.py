"""The simulator against queueing theory: M/M/c days compared with Erlang C (the test prints the table).

One service, ``c`` identical counters open all day, Poisson arrivals, exponential service, no priorities, no
no-shows, no transfers: the engine's calling order is then first come first served, and the steady-state mean
wait and P(wait > 0) are Erlang C's. Each seeded day is an independent batch: arrivals of the first hours (the
queue filling up from empty) are left out, the day's mean wait and share of visits that waited are one batch
value each, and the interval is the batch means' Student-t interval.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass
from statistics import NormalDist

from queue_server.engine.setup import Counter, OfficeSetup, Service
from queue_server.planner.erlang import erlang_c, mean_wait
from queue_server.simulate.day import run_days
from queue_server.simulate.distributions import ServiceTime, Shape
from queue_server.simulate.profile import DayProfile, Demand

ARRIVAL_HOURS = range(1, 21)
WARM_UP_HOURS = 3
"""Arrivals before 04:00 are the warm-up (the queue starts empty each day)."""


def mmc_profile(servers: int, utilisation: float, mean_service_seconds: float = 60.0) -> DayProfile:
    rate = utilisation * servers / mean_service_seconds * 3600
    setup = OfficeSetup(
        office_id="mmc",
        name=f"M/M/{servers}",
        services=(Service("s", "A", "Dịch vụ"),),
        counters=tuple(Counter(f"q{i}", i, ("s",)) for i in range(1, servers + 1)),
        number_width=5,
    )
    arrivals = tuple(rate if hour in ARRIVAL_HOURS else 0.0 for hour in range(24))
    return DayProfile(
        setup=setup,
        demands=(Demand("s", arrivals, ServiceTime(Shape.EXPONENTIAL, mean_service_seconds)),),
        hours={c.id: ((0, 24 * 3600),) for c in setup.counters},
    )


def t_quantile(p: float, df: int) -> float:
    """Student's t quantile by the Cornish–Fisher expansion (error < 0.001 for df ≥ 10; no scipy needed)."""
    z = NormalDist().inv_cdf(p)
    return z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)


@dataclass(frozen=True)
class Estimate:
    mean: float
    half_width: float

    def covers(self, value: float) -> bool:
        return abs(self.mean - value) <= self.half_width


def batch_estimate(values: list[float], level: float) -> Estimate:
    n = len(values)
    half = t_quantile(1 - (1 - level) / 2, n - 1) * statistics.stdev(values) / math.sqrt(n)
    return Estimate(statistics.fmean(values), half)


@dataclass(frozen=True)
class Case:
    servers: int
    utilisation: float
    days: int
    visits: int
    theory_wait: float
    theory_waited: float
    wait: Estimate
    waited: Estimate

    @property
    def agrees(self) -> bool:
        return self.wait.covers(self.theory_wait) and self.waited.covers(self.theory_waited)


def run_case(servers: int, utilisation: float, days: int, *, level: float = 0.99, seed: str = "erlang") -> Case:
    profile = mmc_profile(servers, utilisation)
    mean_service = profile.demands[0].service_time.mean()
    rate = profile.demands[0].arrivals_per_hour[ARRIVAL_HOURS[0]] / 3600
    waits, waited, visits = [], [], 0
    for day in range(days):
        run = run_days(profile, seed=f"{seed}-{servers}-{utilisation}-{day}")
        measured = [v.first_wait_seconds or 0.0 for v in run.visits if v.hour >= ARRIVAL_HOURS[0] + WARM_UP_HOURS]
        visits += len(measured)
        waits.append(statistics.fmean(measured))
        waited.append(sum(w > 0 for w in measured) / len(measured))
    return Case(
        servers=servers,
        utilisation=utilisation,
        days=days,
        visits=visits,
        theory_wait=mean_wait(servers, rate, mean_service),
        theory_waited=erlang_c(servers, rate * mean_service),
        wait=batch_estimate(waits, level),
        waited=batch_estimate(waited, level),
    )


def format_table(cases: list[Case], level: float = 0.99) -> str:
    head = (
        f"Erlang C vs simulation ({level:.0%} batch-means intervals, one batch per seeded day; mean service 60 s)\n"
        "  c    ρ  days  visits | Wq theory  Wq simulated        | P(W>0) theory  P(W>0) simulated | agrees"
    )
    rows = [
        f"{c.servers:>3} {c.utilisation:4.2f} {c.days:>5} {c.visits:>7} | {c.theory_wait:7.1f} s"
        f"  {c.wait.mean:7.1f} ± {c.wait.half_width:5.1f} s | {c.theory_waited:13.3f}"
        f"  {c.waited.mean:8.3f} ± {c.waited.half_width:5.3f} | {'yes' if c.agrees else 'NO'}"
        for c in cases
    ]
    return "\n".join([head, *rows])
