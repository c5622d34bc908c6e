"""``period_report``: the figures of a period, per group and against the targets, as a tree of dataclasses
that the dashboard and the exports render."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from queue_server.analytics.metrics import WORKING_DAYS_PER_YEAR, Figures, Group, GroupBy, Period
from queue_server.analytics.targets import DEFAULT_TARGETS, TargetCheck, Targets, compare
from queue_server.analytics.visits import History, fold
from queue_server.engine.events import Event
from queue_server.engine.setup import AreaClass, OfficeSetup


@dataclass(frozen=True)
class PeriodReport:
    office_id: str
    start: date
    end: date
    """Local dates, inclusive."""
    area_class: AreaClass
    working_days_per_year: int
    overall: Figures
    groups: dict[GroupBy, tuple[Group, ...]]
    targets: tuple[TargetCheck, ...]
    last_event_at: datetime | None
    """The newest event read: figures of a period still running are as of this time."""


def period_report(
    events: Iterable[Event],
    setup: OfficeSetup,
    start: date,
    end: date,
    *,
    group_by: Iterable[GroupBy] = tuple(GroupBy),
    working_days_per_year: int = WORKING_DAYS_PER_YEAR,
    targets: Targets = DEFAULT_TARGETS,
) -> PeriodReport:
    """Fold the whole log (visits may end after the period) and compute the period's figures.

    ``setup`` is the office's current setup: its UTC offset and rating scale apply until the log's own
    ``OfficeConfigured`` events replace them; its area class selects the productivity target.
    """
    return report_from_history(
        fold(events, setup), setup, start, end, group_by, working_days_per_year=working_days_per_year, targets=targets
    )


def report_from_history(
    history: History,
    setup: OfficeSetup,
    start: date,
    end: date,
    group_by: Iterable[GroupBy] = tuple(GroupBy),
    *,
    working_days_per_year: int = WORKING_DAYS_PER_YEAR,
    targets: Targets = DEFAULT_TARGETS,
) -> PeriodReport:
    """``period_report`` on an already folded log (the dashboard may keep one and fold new events into it)."""
    period = Period(history, start, end, working_days_per_year)
    overall = period.overall()
    return PeriodReport(
        office_id=setup.office_id,
        start=start,
        end=end,
        area_class=setup.area_class,
        working_days_per_year=working_days_per_year,
        overall=overall,
        groups={by: period.grouped(by) for by in group_by},
        targets=compare(overall, setup.area_class, targets),
        last_event_at=history.last_event_at,
    )
