"""Where the event log goes back in time, and why the statistics refuse such a period.

An event stamped earlier than the one before it means the clock was set back (before the service floored its
stamps at the last stored event, or in an imported log). Waits across it would come out negative or too short,
and a target shown "Đạt" on such figures would be a lie, so a period containing such a day is refused with the
reason instead of figures. The statistics catch-up records each local day where it happens in
``office_settings`` (``clock_back.<day>``), in the same transaction as the folded visits.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, Engine, delete, insert

from queue_server.contract.errors import MotcuaError
from queue_server.store.schema import office_settings
from queue_server.store.settings import read_settings

KEY = "clock_back."


class PeriodRefused(MotcuaError, ValueError):
    """The period's events go back in time: its figures would be wrong; the message says where and why."""

    def __init__(self, message: str, days: Sequence[date], minutes: float) -> None:
        super().__init__(message)
        self.days, self.minutes = tuple(days), minutes


def record_reversals(
    conn: Connection, office_id: str, reversals: Sequence[tuple[datetime, datetime]], utc_offset_minutes: int
) -> None:
    """Remember the local day of each reversal (the largest step back of that day), inside ``conn``'s
    transaction."""
    if not reversals:
        return
    offset = timedelta(minutes=utc_offset_minutes)
    worst: dict[date, tuple[datetime, datetime]] = {}
    for at, before in reversals:
        for day in {(at.astimezone(UTC) + offset).date(), (before.astimezone(UTC) + offset).date()}:
            if day not in worst or before - at > worst[day][1] - worst[day][0]:
                worst[day] = (at, before)
    keys = [f"{KEY}{day.isoformat()}" for day in worst]
    t = office_settings.c
    conn.execute(delete(office_settings).where(t.office_id == office_id, t.key.in_(keys)))
    rows = [
        {
            "office_id": office_id,
            "key": f"{KEY}{day.isoformat()}",
            "value": json.dumps({"at": at.isoformat(), "before": before.isoformat()}),
            "updated_at": datetime.now(UTC),
            "updated_by": "statistics",
        }
        for day, (at, before) in worst.items()
    ]
    conn.execute(insert(office_settings), rows)


def check_period(engine: Engine, office_id: str, start: date, end: date) -> None:
    """``PeriodRefused`` if events of a local day in [start, end] go back in time."""
    found = read_settings(engine, office_id, KEY)
    days = sorted(d for d in (date.fromisoformat(k[len(KEY) :]) for k in found) if start <= d <= end)
    if not days:
        return
    first = found[f"{KEY}{days[0].isoformat()}"]
    back = datetime.fromisoformat(first["before"]) - datetime.fromisoformat(first["at"])
    shown = ", ".join(d.isoformat() for d in days)
    minutes = back.total_seconds() / 60
    raise PeriodRefused(
        f"the events of {shown} go back in time (the server clock was set back by up to {minutes:.0f} min): "
        "waits across it would be wrong, so no figures are given for this period; choose a period without those days",
        days,
        minutes,
    )
