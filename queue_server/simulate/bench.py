"""``make bench`` rows of the simulator and the planner (issue 13): one office-day of 500 visits on 6 counters,
and a day's hourly plan with up to 10 counters, both on the sample commune profile scaled up."""

from __future__ import annotations

import time
from dataclasses import replace

from queue_server.engine.setup import Counter
from queue_server.simulate.day import run_days
from queue_server.simulate.profile import DayProfile, load_profile


def busy_office(visits: float = 500, counters: int = 6, utilisation: float = 0.75) -> DayProfile:
    """The sample profile with ``visits`` expected a day on ``counters`` counters (the sample's service sets in
    turn), service times scaled so the counters are ``utilisation`` busy over the day."""
    sample = load_profile()
    profile = sample.scaled_arrivals(visits / sample.expected_visits())
    base = sorted(sample.setup.counters, key=lambda c: c.number)
    made = tuple(Counter(f"quay-{i}", i, base[(i - 1) % len(base)].service_ids) for i in range(1, counters + 1))
    periods = sample.hours[base[0].id]
    open_hours = sum(e - s for s, e in periods) / 3600 * counters
    work = sum(sum(d.arrivals_per_hour) * d.service_time.mean() for d in profile.demands) / 3600
    factor = utilisation * open_hours / work
    demands = tuple(replace(d, service_time=d.service_time.scaled(factor)) for d in profile.demands)
    return replace(
        profile,
        setup=replace(profile.setup, counters=made),
        demands=demands,
        hours={c.id: periods for c in made},
        staff_at={},
    )


def simulate_day_seconds(repeats: int = 5) -> tuple[float, int]:
    """(best seconds of ``repeats`` seeded days, visits of that day)."""
    profile = busy_office()
    best, visits = float("inf"), 0
    for seed in range(repeats):
        started = time.perf_counter()
        run = run_days(profile, seed=seed)
        elapsed = time.perf_counter() - started
        if elapsed < best:
            best, visits = elapsed, len(run.visits)
    return best, visits


def plan_day_seconds() -> tuple[float, int, bool]:
    """(seconds, simulated days, plan meets the goal) for the hourly plan of the busy office, ≤ 10 counters."""
    from queue_server.planner.plan import Goal, plan_day

    started = time.perf_counter()
    plan = plan_day(busy_office(), Goal(max_counters=10))
    return time.perf_counter() - started, plan.simulations, plan.meets


def simulate_rows(scale: float) -> list[tuple[str, str, str, bool | None]]:
    day, visits = simulate_day_seconds(3 if scale < 1 else 5)
    plan, days, meets = plan_day_seconds()
    return [
        (f"simulate one office-day ({visits} visits, 6 counters)", "<= 0.5 s", f"{day * 1000:.0f} ms", day <= 0.5),
        ("plan a day, hourly, up to 10 counters", "<= 10 s", f"{plan:.1f} s", plan <= 10),
        (f"  (for scale) days simulated by that plan; plan meets the goal: {meets}", "", f"{days}", None),
    ]
