"""The ``[hours]`` section of the office configuration: weekly sessions, public holidays, make-up working days.

Written the way a notice on the office door reads (``monday = ["07:30-11:30", "13:30-17:00"]``); out-of-range
times are refused here, and inverted or overlapping sessions by the engine's own rules (``hours_problems``), both
at start-up, naming the field.
"""

from __future__ import annotations

from datetime import date, time
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

from queue_server.engine.hours import DEFAULT_HOURS, OpeningHours, Session

WEEKDAYS: tuple[str, ...] = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
SPAN_PATTERN = r"^([01]\d|2[0-3]):[0-5]\d-([01]\d|2[0-3]):[0-5]\d$"
Span = Annotated[str, Field(pattern=SPAN_PATTERN)]
"""``HH:MM-HH:MM``, office time, 00:00 to 23:59."""


def _default_spans(weekday: int) -> list[str]:
    return spans_of(DEFAULT_HOURS, weekday)


def _spans_field(weekday: int) -> list[str]:
    return Field(default_factory=lambda: _default_spans(weekday))  # type: ignore[no-any-return]


class HoursSection(BaseModel):
    """Unset weekdays keep the default hours (07:30-11:30, 13:30-17:00 Monday to Friday)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    monday: list[Span] = _spans_field(0)
    tuesday: list[Span] = _spans_field(1)
    wednesday: list[Span] = _spans_field(2)
    thursday: list[Span] = _spans_field(3)
    friday: list[Span] = _spans_field(4)
    saturday: list[Span] = _spans_field(5)
    sunday: list[Span] = _spans_field(6)
    holidays: list[date] = []
    make_up_days: list[date] = []

    def build(self) -> OpeningHours:
        sessions = tuple(
            Session(weekday, *parse_span(span)) for weekday, name in enumerate(WEEKDAYS) for span in getattr(self, name)
        )
        return OpeningHours(sessions=sessions, holidays=tuple(self.holidays), make_up_days=tuple(self.make_up_days))


def parse_span(span: str) -> tuple[time, time]:
    """``"07:30-11:30"`` -> (07:30, 11:30); the caller has checked the pattern."""
    start, end = span.split("-")
    return time.fromisoformat(start), time.fromisoformat(end)


def spans_of(hours: OpeningHours, weekday: int) -> list[str]:
    """The ``HH:MM-HH:MM`` spans of one weekday, as the config file and the admin form write them."""
    return [
        f"{s.start:%H:%M}-{s.end:%H:%M}" for s in sorted(hours.sessions, key=lambda s: s.start) if s.weekday == weekday
    ]
