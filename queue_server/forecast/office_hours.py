"""The office's hours as the forecast reads them (``OfficeSetup.hours``, ``engine.hours``): today's closing for
``after_closing``, the pauses when no counter calls (before opening, lunch), the next opening for the cut-off.

Pure: every function takes ``now``. ``forecaster`` is the one way the server, the pages and ``forecast check``
build a ``Forecaster``, so what is printed, shown and measured is the same forecast.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from queue_server.engine import hours as opening
from queue_server.engine.setup import OfficeSetup
from queue_server.engine.state import QueueState, Ticket
from queue_server.forecast.predict import Forecaster
from queue_server.forecast.service_times import ServiceTimes


def office_zone(setup: OfficeSetup) -> timezone:
    return timezone(timedelta(minutes=setup.utc_offset_minutes))


def closes_at(setup: OfficeSetup, now: datetime) -> datetime | None:
    """When today's last session ends (aware, office zone); None on a day off."""
    end = opening.closing_datetime(setup.hours, opening.to_local(now, setup.utc_offset_minutes).date())
    return None if end is None else end.replace(tzinfo=office_zone(setup))


def next_opening(setup: OfficeSetup, now: datetime) -> datetime | None:
    """The next session start after ``now`` (aware, office zone); None if the office never opens."""
    start = opening.next_opening(setup.hours, opening.to_local(now, setup.utc_offset_minutes))
    return None if start is None else start.replace(tzinfo=office_zone(setup))


def pauses(setup: OfficeSetup, now: datetime) -> tuple[tuple[float, float], ...]:
    """Today's stretches without service still ahead, in seconds from ``now``: before the first session (an
    early ticket is called from the opening) and between sessions (lunch). Past the last session counters are
    left running: whether a call after closing happens is what ``after_closing`` tells."""
    local = opening.to_local(now, setup.utc_offset_minutes)
    sessions = opening.sessions_on(setup.hours, local.date())
    out: list[tuple[float, float]] = []
    previous_end = local.replace(hour=0, minute=0, second=0, microsecond=0)
    for session in sessions:
        start = datetime.combine(local.date(), session.start)
        if start > local:
            out.append((max(0.0, (previous_end - local).total_seconds()), (start - local).total_seconds()))
        previous_end = datetime.combine(local.date(), session.end)
    return tuple(out)


def forecaster(state: QueueState, times: ServiceTimes, now: datetime, extra: Ticket | None = None) -> Forecaster:
    """A ``Forecaster`` that knows the office's hours today: closing (``after_closing``) and the pauses."""
    assert state.setup is not None
    return Forecaster(state, times, now, closes_at(state.setup, now), extra, pauses(state.setup, now))
