"""Today's opening hours as ``/live`` and the public ticket page say them, in the office's time.

"Giờ làm việc hôm nay: 07:30–11:30, 13:30–17:00", and after closing "Đã hết giờ làm việc" with the next opening.
Nothing is refused here: the engine keeps issuing tickets after closing (a manager may keep serving late); the
pages only tell people where the day stands.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from flask import Blueprint

from queue_server.engine.hours import closing_datetime, format_day, is_open, next_opening, sessions_on, to_local
from queue_server.engine.setup import OfficeSetup
from queue_server.web import get_live, get_setup
from queue_server.web.admin_hours import weekday_names

bp = Blueprint("hours_today", __name__)


class DayState(StrEnum):
    OPEN = "open"
    BEFORE_OPENING = "before_opening"
    BREAK = "break"
    """Between two sessions: the lunch break."""
    CLOSED = "closed"
    """After the day's last session."""
    DAY_OFF = "day_off"


@dataclass(frozen=True)
class HoursToday:
    sessions: str
    """``07:30–11:30, 13:30–17:00``; empty on a day off."""
    state: DayState
    next_opening: datetime | None
    """Office-local."""


def hours_today(setup: OfficeSetup, now_utc: datetime) -> HoursToday:
    local = to_local(now_utc, setup.utc_offset_minutes)
    hours, today = setup.hours, local.date()
    closing = closing_datetime(hours, today)
    if is_open(hours, local):
        state = DayState.OPEN
    elif closing is None:
        state = DayState.DAY_OFF
    elif local >= closing:
        state = DayState.CLOSED
    elif local.time() < sessions_on(hours, today)[0].start:
        state = DayState.BEFORE_OPENING
    else:
        state = DayState.BREAK
    return HoursToday(format_day(hours, today), state, next_opening(hours, local))


def opening_text(at: datetime, now_local: datetime) -> str:
    """``13:30`` today, else ``07:30 Thứ Hai 07/12`` (the weekday in the page's language)."""
    if at.date() == now_local.date():
        return f"{at:%H:%M}"
    return f"{at:%H:%M} {weekday_names()[at.weekday()]} {at:%d/%m}"


def _today() -> tuple[HoursToday, str]:
    setup = get_live().snapshot().setup or get_setup()
    now = get_live().now()
    today = hours_today(setup, now)
    local = to_local(now, setup.utc_offset_minutes)
    return today, opening_text(today.next_opening, local) if today.next_opening else ""


@bp.app_context_processor
def _context() -> dict[str, object]:
    return {"office_hours_today": _today}
