"""A first day summary from the event log (server timestamps only). The full statistics live in the web."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from statistics import mean

from queue_server.engine import events as ev
from queue_server.engine.setup import OfficeSetup
from queue_server.store.event_store import EventStore


@dataclass
class DaySummary:
    day: date
    issued: dict[str, int] = field(default_factory=dict)
    served: int = 0
    no_shows: int = 0
    waits_seconds: list[float] = field(default_factory=list)
    ratings: dict[str, int] = field(default_factory=dict)


def day_summary(store: EventStore, setup: OfficeSetup, day: str | None) -> DaySummary:
    offset = timedelta(minutes=setup.utc_offset_minutes)
    wanted = date.fromisoformat(day) if day else (datetime.now(UTC) + offset).date()
    summary = DaySummary(wanted)
    waiting_since: dict[str, datetime] = {}
    for stored in store.events():
        event = stored.event
        if (event.at + offset).date() != wanted:
            continue
        if isinstance(event, ev.TicketIssued):
            summary.issued[event.service_id] = summary.issued.get(event.service_id, 0) + 1
            waiting_since[event.ticket_id] = event.at
        elif isinstance(event, ev.TicketCalled) and event.ticket_id in waiting_since:
            summary.waits_seconds.append((event.at - waiting_since.pop(event.ticket_id)).total_seconds())
        elif isinstance(event, ev.TicketTransferred | ev.TicketRequeued):
            waiting_since[event.ticket_id] = event.at
        elif isinstance(event, ev.ServiceFinished):
            summary.served += 1
        elif isinstance(event, ev.TicketSkipped):
            summary.no_shows += 1
        elif isinstance(event, ev.TicketRated):
            summary.ratings[event.level] = summary.ratings.get(event.level, 0) + 1
    return summary


def format_summary(s: DaySummary) -> str:
    lines = [f"Ngày / day {s.day.isoformat()}"]
    lines.append(f"  phát số / tickets issued: {sum(s.issued.values())} {dict(sorted(s.issued.items()))}")
    lines.append(f"  đã phục vụ / services finished: {s.served}   vắng mặt / no-shows: {s.no_shows}")
    if s.waits_seconds:
        lines.append(
            f"  chờ trung bình / average wait per call: {mean(s.waits_seconds) / 60:.1f} min"
            f" (max {max(s.waits_seconds) / 60:.1f})"
        )
    lines.append(f"  đánh giá / ratings: {dict(sorted(s.ratings.items()))}")
    return "\n".join(lines)
