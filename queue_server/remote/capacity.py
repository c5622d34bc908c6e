"""How many citizens a day can serve: the remote-number share cap's base (``[remote] capacity_share``).

Open seconds of the day (``engine.hours``) times the counters, over the mean service time learned from the log
(8 minutes before anything is learned, the forecast's prior median). Rough on purpose: it bounds how much of
the day the web may take, it does not plan the day (``motcua plan`` does).
"""

from __future__ import annotations

from datetime import date, datetime

from queue_server.engine import hours as opening
from queue_server.engine.setup import OfficeSetup

PRIOR_SERVICE_SECONDS = 480.0


def open_seconds(setup: OfficeSetup, day: date) -> float:
    return sum(
        (datetime.combine(day, s.end) - datetime.combine(day, s.start)).total_seconds()
        for s in opening.sessions_on(setup.hours, day)
    )


def day_capacity(setup: OfficeSetup, day: date, mean_service_seconds: float | None) -> int:
    mean = mean_service_seconds if mean_service_seconds and mean_service_seconds > 0 else PRIOR_SERVICE_SECONDS
    return int(len(setup.counters) * open_seconds(setup, day) / mean)
