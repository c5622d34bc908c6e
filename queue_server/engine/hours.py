"""When an office serves: weekly sessions, public holidays and make-up working days, in the office's local time.

Part of the office setup (``OfficeSetup.hours``), so the forecast, the planner, ``/live`` and the devices all read
the same hours from the event log. Pure: every function takes the local date or time it is asked about, never the
clock. The engine does not refuse tickets outside these hours (a manager may keep serving late); it only knows them.

``hours_to_json``/``hours_from_json`` are the one JSON shape of the hours, used by the event codec's output and by
whatever publishes them to devices, so a kiosk reads exactly what the log records.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Any

WEEKDAY_NAMES_VI: tuple[str, ...] = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


@dataclass(frozen=True)
class Session:
    """One stretch of service on a weekday (0 = Monday, as ``date.weekday()``), ``start`` < ``end``, same day."""

    weekday: int
    start: time
    end: time


@dataclass(frozen=True)
class OpeningHours:
    sessions: tuple[Session, ...]
    holidays: tuple[date, ...] = ()
    """Days the office is closed whatever the weekday (Tết, 30/4, 1/5, 2/9, ...)."""
    make_up_days: tuple[date, ...] = ()
    """Days worked in exchange for a bridged holiday (ngày làm bù), usually a Saturday: they follow Monday's
    sessions. A date both here and in ``holidays`` is a holiday."""


def _hm(text: str) -> time:
    return time.fromisoformat(text)


def _weekday_sessions(*weekdays: int) -> tuple[Session, ...]:
    return tuple(
        Session(day, start, end)
        for day in weekdays
        for start, end in ((_hm("07:30"), _hm("11:30")), (_hm("13:30"), _hm("17:00")))
    )


DEFAULT_HOURS = OpeningHours(sessions=_weekday_sessions(0, 1, 2, 3, 4))
"""Vietnamese state offices' usual hours: 07:30–11:30 and 13:30–17:00, Monday to Friday. The reference texts
under /work/shared/reference do not fix them (each province's UBND does); many centres add a Saturday morning,
which an office adds as a session."""

_MAKE_UP_WEEKDAY = 0


def to_local(moment: datetime, utc_offset_minutes: int) -> datetime:
    """An aware instant (the engine's ``now``, an event's ``at``) as naive office-local time, for these functions."""
    return (moment.astimezone(UTC) + timedelta(minutes=utc_offset_minutes)).replace(tzinfo=None)


def to_utc(local: datetime, utc_offset_minutes: int) -> datetime:
    """The inverse of ``to_local``: a naive office-local time (``next_opening``'s answer) as an aware UTC instant."""
    return (local - timedelta(minutes=utc_offset_minutes)).replace(tzinfo=UTC)


def sessions_on(hours: OpeningHours, day: date) -> tuple[Session, ...]:
    """The sessions served on ``day``, in order; empty on a holiday or a day off."""
    if day in hours.holidays:
        return ()
    weekday = _MAKE_UP_WEEKDAY if day in hours.make_up_days else day.weekday()
    return tuple(sorted((s for s in hours.sessions if s.weekday == weekday), key=lambda s: s.start))


def is_open(hours: OpeningHours, local: datetime) -> bool:
    """Inside a session at ``local`` (naive, office time): start included, end excluded."""
    now = local.time()
    return any(s.start <= now < s.end for s in sessions_on(hours, local.date()))


def opening_at(hours: OpeningHours, day: date) -> time | None:
    sessions = sessions_on(hours, day)
    return sessions[0].start if sessions else None


def closing_at(hours: OpeningHours, day: date) -> time | None:
    """When the last session of ``day`` ends, or None on a day off."""
    sessions = sessions_on(hours, day)
    return sessions[-1].end if sessions else None


def closing_datetime(hours: OpeningHours, day: date) -> datetime | None:
    end = closing_at(hours, day)
    return datetime.combine(day, end) if end is not None else None


_LOOKAHEAD_DAYS = 400
"""Far enough past a year of holidays; an office with no session at all has no next opening."""


def next_opening(hours: OpeningHours, local: datetime) -> datetime | None:
    """The first session start strictly after ``local`` (naive, office time); None if the office never opens."""
    day = local.date()
    for offset in range(_LOOKAHEAD_DAYS):
        current = day + timedelta(days=offset)
        for session in sessions_on(hours, current):
            start = datetime.combine(current, session.start)
            if start > local:
                return start
    return None


def session_end_after(hours: OpeningHours, local: datetime) -> datetime | None:
    """When the session open at ``local`` ends, or None when the office is closed at ``local``."""
    now = local.time()
    for session in sessions_on(hours, local.date()):
        if session.start <= now < session.end:
            return datetime.combine(local.date(), session.end)
    return None


def format_day(hours: OpeningHours, day: date) -> str:
    """``07:30–11:30, 13:30–17:00``, or an empty string on a day off (the caller says "closed" in its language)."""
    return ", ".join(f"{s.start:%H:%M}–{s.end:%H:%M}" for s in sessions_on(hours, day))


def hours_problems(hours: OpeningHours) -> list[tuple[str, str]]:
    """Every rule the hours break, as (field, problem), for ``setup_problems`` and the config loader."""
    problems: list[tuple[str, str]] = []
    for s in hours.sessions:
        if not 0 <= s.weekday <= 6:
            problems.append(("hours.sessions.weekday", f"weekday {s.weekday} outside 0 (Monday)..6 (Sunday)"))
        if s.start >= s.end:
            problems.append(("hours.sessions", f"session {s.start:%H:%M}–{s.end:%H:%M} ends before it starts"))
        if s.start.tzinfo is not None or s.end.tzinfo is not None:
            problems.append(("hours.sessions", "session times are office-local, without a zone"))
        if any(t.second or t.microsecond for t in (s.start, s.end)):
            problems.append(("hours.sessions", "session times are whole minutes (HH:MM)"))
    for weekday in range(7):
        day = sorted((s for s in hours.sessions if s.weekday == weekday), key=lambda s: s.start)
        for before, after in pairwise(day):
            if after.start < before.end:
                problems.append(
                    (
                        "hours.sessions",
                        f"{WEEKDAY_NAMES_VI[weekday]}: sessions {before.start:%H:%M}–{before.end:%H:%M} and "
                        f"{after.start:%H:%M}–{after.end:%H:%M} overlap",
                    )
                )
    for name, days in (("hours.holidays", hours.holidays), ("hours.make_up_days", hours.make_up_days)):
        if len(set(days)) != len(days):
            problems.append((name, "a date is listed twice"))
    return problems


def hours_to_json(hours: OpeningHours) -> dict[str, Any]:
    """``{"sessions": [{"weekday": 0, "start": "07:30", "end": "11:30"}, ...], "holidays": ["2026-09-02"], ...}``."""
    return {
        "sessions": [
            {"weekday": s.weekday, "start": f"{s.start:%H:%M}", "end": f"{s.end:%H:%M}"} for s in hours.sessions
        ],
        "holidays": [d.isoformat() for d in hours.holidays],
        "make_up_days": [d.isoformat() for d in hours.make_up_days],
    }


def hours_from_json(data: Any) -> OpeningHours:
    """The inverse of ``hours_to_json``; raises ``ValueError`` on anything else (a device must not guess)."""
    if not isinstance(data, dict) or set(data) - {"sessions", "holidays", "make_up_days"}:
        raise ValueError(f"not an opening-hours object: {data!r}")
    try:
        sessions = tuple(
            Session(_int(item["weekday"]), _time(item["start"]), _time(item["end"])) for item in data["sessions"]
        )
        holidays = tuple(_date(d) for d in data.get("holidays", ()))
        make_up = tuple(_date(d) for d in data.get("make_up_days", ()))
    except (KeyError, TypeError) as exc:
        raise ValueError(f"not an opening-hours object: {data!r}") from exc
    return OpeningHours(sessions=sessions, holidays=holidays, make_up_days=make_up)


def _int(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise ValueError(f"expected an integer, got {value!r}")
    return value


def _time(value: Any) -> time:
    if not isinstance(value, str):
        raise ValueError(f"expected HH:MM, got {value!r}")
    return time.fromisoformat(value)


def _date(value: Any) -> date:
    if not isinstance(value, str):
        raise ValueError(f"expected YYYY-MM-DD, got {value!r}")
    return date.fromisoformat(value)
