"""Report periods: the bounds of a day, week, month, quarter, year and custom range; their neighbours; their names."""

from __future__ import annotations

from datetime import date

import pytest

from queue_server.reports.periods import bounds, label, neighbours
from queue_server.reports.text import language


@pytest.mark.parametrize(
    ("kind", "anchor", "expected"),
    [
        ("day", date(2026, 11, 23), (date(2026, 11, 23), date(2026, 11, 23))),
        ("week", date(2026, 11, 29), (date(2026, 11, 23), date(2026, 11, 29))),  # a Sunday: Monday-to-Sunday
        ("month", date(2028, 2, 10), (date(2028, 2, 1), date(2028, 2, 29))),  # leap year
        ("quarter", date(2026, 1, 1), (date(2026, 1, 1), date(2026, 3, 31))),
        ("quarter", date(2026, 5, 17), (date(2026, 4, 1), date(2026, 6, 30))),
        ("quarter", date(2026, 9, 30), (date(2026, 7, 1), date(2026, 9, 30))),
        ("quarter", date(2026, 12, 31), (date(2026, 10, 1), date(2026, 12, 31))),
        ("year", date(2026, 6, 15), (date(2026, 1, 1), date(2026, 12, 31))),
    ],
)
def test_bounds(kind: str, anchor: date, expected: tuple[date, date]) -> None:
    assert bounds(kind, anchor) == expected


def test_custom_bounds_are_the_given_dates() -> None:
    assert bounds("custom", date(2026, 11, 23), date(2026, 11, 1), date(2026, 11, 5)) == (
        date(2026, 11, 1),
        date(2026, 11, 5),
    )


def test_unknown_period_is_an_error() -> None:
    with pytest.raises(ValueError, match="fortnight"):
        bounds("fortnight", date(2026, 11, 23))


@pytest.mark.parametrize(
    ("kind", "period", "before", "after"),
    [
        ("quarter", "2026-01-01 2026-03-31", "2025-10-01 2025-12-31", "2026-04-01 2026-06-30"),
        ("year", "2026-01-01 2026-12-31", "2025-01-01 2025-12-31", "2027-01-01 2027-12-31"),
        ("month", "2026-03-01 2026-03-31", "2026-02-01 2026-02-28", "2026-04-01 2026-04-30"),
        ("custom", "2026-11-20 2026-11-23", "2026-11-16 2026-11-19", "2026-11-24 2026-11-27"),
    ],
)
def test_neighbours(kind: str, period: str, before: str, after: str) -> None:
    def dates(text: str) -> tuple[date, date]:
        first, last = text.split()
        return date.fromisoformat(first), date.fromisoformat(last)

    assert neighbours(kind, *dates(period)) == (dates(before), dates(after))


def test_no_neighbour_past_the_calendar() -> None:
    assert neighbours("day", date.min, date.min) == (None, (date(1, 1, 2), date(1, 1, 2)))
    assert neighbours("year", date(9999, 1, 1), date.max)[1] is None


@pytest.mark.parametrize(
    ("lang", "kind", "start", "end", "expected"),
    [
        ("vi", "quarter", date(2026, 10, 1), date(2026, 12, 31), "Quý IV năm 2026"),
        ("en", "quarter", date(2026, 10, 1), date(2026, 12, 31), "Quarter IV of 2026"),
        ("vi", "month", date(2026, 11, 1), date(2026, 11, 30), "Tháng 11/2026"),
        ("vi", "year", date(2026, 1, 1), date(2026, 12, 31), "Năm 2026"),
        ("vi", "custom", date(2026, 11, 20), date(2026, 11, 23), "Từ 20/11/2026 đến 23/11/2026"),
    ],
)
def test_labels(lang: str, kind: str, start: date, end: date, expected: str) -> None:
    assert label(kind, start, end, language(lang)) == expected
