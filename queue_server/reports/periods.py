"""Report periods in the office's local dates: a day, its week (Monday–Sunday), month, quarter, year, or any
``start``…``end``; their neighbours for previous/next navigation, and their names in a report's language."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

from queue_server.reports.text import Language

PERIODS = ("day", "week", "month", "quarter", "year", "custom")
ROMAN = ("I", "II", "III", "IV")


def _month_end(year: int, month: int) -> date:
    return date(year, month, calendar.monthrange(year, month)[1])


def bounds(kind: str, anchor: date, start: date | None = None, end: date | None = None) -> tuple[date, date]:
    """The period of ``kind`` holding ``anchor`` (both ends inclusive); ``custom`` is ``start``…``end``."""
    if kind == "day":
        return anchor, anchor
    if kind == "week":
        monday = anchor - timedelta(days=anchor.weekday())
        return monday, monday + timedelta(days=6)
    if kind == "month":
        return anchor.replace(day=1), _month_end(anchor.year, anchor.month)
    if kind == "quarter":
        first_month = (anchor.month - 1) // 3 * 3 + 1
        return date(anchor.year, first_month, 1), _month_end(anchor.year, first_month + 2)
    if kind == "year":
        return date(anchor.year, 1, 1), date(anchor.year, 12, 31)
    if kind == "custom":
        return start or anchor, end or anchor
    raise ValueError(f"unknown period {kind!r}: one of {', '.join(PERIODS)}")


def neighbours(kind: str, start: date, end: date) -> tuple[tuple[date, date] | None, tuple[date, date] | None]:
    """The previous and the next period of the same kind (a custom period moves by its own length);
    None past the calendar's ends."""
    try:
        if kind == "custom":
            length = timedelta(days=(end - start).days + 1)
            before: tuple[date, date] | None = (start - length, end - length)
        else:
            before = bounds(kind, start - timedelta(days=1))
    except OverflowError:
        before = None
    try:
        if kind == "custom":
            length = timedelta(days=(end - start).days + 1)
            after: tuple[date, date] | None = (start + length, end + length)
        else:
            after = bounds(kind, end + timedelta(days=1))
    except OverflowError:
        after = None
    return before, after


def label(kind: str, start: date, end: date, _: Language) -> str:
    """ "Tháng 11/2026", "Quý IV năm 2026", … as a report's title says it."""
    if kind == "day":
        return _("Day %(day)s", day=_.day(start))
    if kind == "month":
        return _("Month %(month)s/%(year)s", month=start.month, year=start.year)
    if kind == "quarter":
        return _("Quarter %(q)s of %(year)s", q=ROMAN[(start.month - 1) // 3], year=start.year)
    if kind == "year":
        return _("Year %(year)s", year=start.year)
    if kind == "week":
        return _("Week %(start)s – %(end)s", start=_.day(start), end=_.day(end))
    return _("%(start)s – %(end)s", start=_.day(start), end=_.day(end))
