"""The opening-hours form of the admin setup page: read it into ``OpeningHours``, write hours back into it.

A weekday is one text field written like the notice on the office door, ``07:30-11:30, 13:30-17:00`` (the lunch
break is the gap between the two); holidays and make-up days are lists of dates as people write them
(``2/9/2026``) or ISO (``2026-09-02``). Mistakes are refused here with a translated reason naming the day; the
engine's own rules (``hours_problems``) still decide, so nothing the engine would refuse is recorded.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, time
from itertools import pairwise

from queue_server.engine.hours import OpeningHours, Session
from queue_server.hours_config import WEEKDAYS
from queue_server.web.i18n import _

SPAN = re.compile(r"(\d{1,2})[:hH](\d{2})\s*[-–—]\s*(\d{1,2})[:hH](\d{2})")
DAY_MONTH_YEAR = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{4})")
HOURS_FIELDS = frozenset({*WEEKDAYS, "holidays", "make_up_days"})
"""What the hours form sends (and the audit log keeps)."""
MAX_FIELD = 2000
"""A year of holidays fits many times over; a hostile post does not get a long regex run."""


def weekdays() -> list[tuple[str, str]]:
    """(form field, translated name) for Monday to Sunday."""
    return list(zip(WEEKDAYS, weekday_names(), strict=True))


def weekday_names() -> list[str]:
    return [_("Monday"), _("Tuesday"), _("Wednesday"), _("Thursday"), _("Friday"), _("Saturday"), _("Sunday")]


def day_text(hours: OpeningHours, weekday: int) -> str:
    """``07:30-11:30, 13:30-17:00``: one weekday as the form shows it (empty: not served)."""
    day = sorted((s for s in hours.sessions if s.weekday == weekday), key=lambda s: s.start)
    return ", ".join(f"{s.start:%H:%M}-{s.end:%H:%M}" for s in day)


def dates_text(days: tuple[date, ...]) -> str:
    return ", ".join(f"{d:%d/%m/%Y}" for d in sorted(days))


def hours_from_form(form: Mapping[str, str]) -> OpeningHours:
    """The hours the form describes; ``ValueError`` with a translated reason when a field is wrong."""
    names = weekday_names()
    if any(len(form.get(key, "")) > MAX_FIELD for key in HOURS_FIELDS):
        raise ValueError(_("%(field)s: at most %(n)s characters.", field=_("Opening hours"), n=MAX_FIELD))
    sessions: list[Session] = []
    for weekday, key in enumerate(WEEKDAYS):
        day = sorted(_spans(form.get(key, ""), names[weekday]))
        for (_s1, end1), (start2, _e2) in pairwise(day):
            if start2 < end1:
                raise ValueError(_("%(day)s: the sessions overlap.", day=names[weekday]))
        sessions.extend(Session(weekday, start, end) for start, end in day)
    holidays = _dates(form.get("holidays", ""), _("Public holidays"))
    make_up = _dates(form.get("make_up_days", ""), _("Make-up working days"))
    return OpeningHours(sessions=tuple(sessions), holidays=holidays, make_up_days=make_up)


def _spans(text: str, day: str) -> list[tuple[time, time]]:
    spans: list[tuple[time, time]] = []
    for part in (p.strip() for p in re.split(r"[,;\n]", text)):
        if not part:
            continue
        match = SPAN.fullmatch(part)
        try:
            if match is None:
                raise ValueError(part)
            h1, m1, h2, m2 = (int(g) for g in match.groups())
            start, end = time(h1, m1), time(h2, m2)
        except ValueError:
            raise ValueError(_("%(day)s: write each session as 07:30-11:30.", day=day)) from None
        if start >= end:
            raise ValueError(_("%(day)s: the session %(span)s ends before it starts.", day=day, span=part))
        spans.append((start, end))
    return spans


def _dates(text: str, label: str) -> tuple[date, ...]:
    days: set[date] = set()
    for part in (p.strip() for p in re.split(r"[,;\s]+", text)):
        if not part:
            continue
        try:
            match = DAY_MONTH_YEAR.fullmatch(part)
            days.add(date(int(match[3]), int(match[2]), int(match[1])) if match else date.fromisoformat(part))
        except ValueError:
            raise ValueError(_("%(field)s: %(value)s is not a date (dd/mm/yyyy).", field=label, value=part)) from None
    return tuple(sorted(days))
