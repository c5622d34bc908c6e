"""The office simulator (``motcua simulate``): office days on the real engine with a virtual clock.

``simulate_day(profile, seed)`` returns the standard event log of a simulated day; ``run_days`` also gives the
visits' waits and the counters' utilisation; ``load_profile`` reads a day profile (docs/simulate.md).
"""

from queue_server.simulate.day import CounterResult, DayRun, VisitResult, run_days, simulate_day, working_days
from queue_server.simulate.distributions import ServiceTime, Shape
from queue_server.simulate.profile import (
    SAMPLE_PROFILE,
    DayProfile,
    Demand,
    ProfileError,
    Visitors,
    load_profile,
    profile_from_dict,
)

__all__ = [
    "SAMPLE_PROFILE",
    "CounterResult",
    "DayProfile",
    "DayRun",
    "Demand",
    "ProfileError",
    "ServiceTime",
    "Shape",
    "VisitResult",
    "Visitors",
    "load_profile",
    "profile_from_dict",
    "run_days",
    "simulate_day",
    "working_days",
]
