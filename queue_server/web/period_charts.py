"""The dashboard's four charts for one ``PeriodReport``: average wait and arrivals by hour of day, satisfaction
over the period, and the average wait against the targets. Trends are by day, or by month for periods longer
than two months; a month's figures are summed from its days' counts (exact: every ratio is of counts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from markupsafe import Markup

from queue_server.analytics.metrics import Group, GroupBy
from queue_server.analytics.report import PeriodReport
from queue_server.analytics.targets import Kind
from queue_server.reports.document import target_label
from queue_server.reports.text import Language
from queue_server.web.charts import Point, Rule, Series, bar_chart, line_chart

MONTHLY_AFTER_DAYS = 62
OFFICE_HOURS = (7, 17)
"""Always on the hour axis, so a quiet morning shows as an empty slot rather than a shorter chart."""


@dataclass
class _Bucket:
    label: str
    visits: int = 0
    wait_total: float = 0.0
    waits: int = 0
    ratings: int = 0
    satisfied: int = 0
    dossiers: int = 0
    unsatisfied: int = 0

    def add(self, group: Group) -> None:
        f = group.figures
        self.visits += f.visits
        self.waits += f.waits_counted
        self.wait_total += (f.avg_wait_seconds or 0.0) * f.waits_counted
        self.ratings += f.ratings
        self.satisfied += f.satisfied_ratings
        self.dossiers += f.dossiers_received
        self.unsatisfied += f.dossiers_unsatisfied

    @property
    def avg_wait_minutes(self) -> float | None:
        return self.wait_total / self.waits / 60 if self.waits else None


def monthly(report: PeriodReport) -> bool:
    return (report.end - report.start).days >= MONTHLY_AFTER_DAYS


def trend(report: PeriodReport) -> list[_Bucket]:
    """The period's days (or months) that have visits, in order."""
    buckets: dict[str, _Bucket] = {}
    by_month = monthly(report)
    for group in report.groups.get(GroupBy.DAY, ()):
        if group.figures.visits == 0:
            continue
        day = date.fromisoformat(group.key)
        label = f"{day.month:02d}/{day.year}" if by_month else f"{day.day:02d}/{day.month:02d}"
        buckets.setdefault(label, _Bucket(label)).add(group)
    return list(buckets.values())


def _rules(report: PeriodReport, kind: Kind, scale: float, _: Language) -> list[Rule]:
    return [Rule(c.target.value * scale, target_label(c.target, _)) for c in report.targets if c.target.kind is kind]


def _percent_series(name: str, css: str, counts: list[tuple[str, int, int]], _: Language) -> Series:
    """A line of ratios (part ÷ whole, in %); no point where the whole is 0."""
    points = []
    for label, part, whole in counts:
        value = part / whole * 100 if whole else None
        points.append(Point(label, value, f"{name} {label}: {_.percent(None if value is None else value / 100)}"))
    return Series(name, points, css)


@dataclass(frozen=True)
class Chart:
    title: str
    """Shown above the chart (an SVG ``<title>`` is only read aloud or shown on hover)."""
    svg: Markup


def charts(report: PeriodReport, _: Language) -> dict[str, Chart]:
    """The charts by id, in the order the page shows them."""
    minutes = _("min")

    def rounded(value: float) -> str:
        return _.decimal(value, "#,##0.##")

    hours = {int(g.key): g.figures for g in report.groups.get(GroupBy.HOUR, ())}
    first, last = min([*hours, OFFICE_HOURS[0]]), max([*hours, OFFICE_HOURS[1]])
    days_open = sum(1 for g in report.groups.get(GroupBy.DAY, ()) if g.figures.visits) or 1
    waits, arrivals = [], []
    for hour in range(first, last + 1):
        f = hours.get(hour)
        wait = None if f is None or f.avg_wait_seconds is None else f.avg_wait_seconds / 60
        label = f"{hour:02d}:00"
        waits.append(Point(f"{hour:02d}", wait, f"{label}: {_.minutes(None if wait is None else wait * 60)} {minutes}"))
        mean = (f.visits if f else 0) / days_open
        arrivals.append(Point(f"{hour:02d}", mean, f"{label}: {_.number(mean)}"))
    wait_rules = _rules(report, Kind.WAIT, 1 / 60, _)
    buckets = trend(report)
    by_month = monthly(report)
    share = _percent_series(_("Satisfied or better"), "share", [(b.label, b.satisfied, b.ratings) for b in buckets], _)
    ratio = _percent_series(
        _("QĐ 766 ratio"), "qd766", [(b.label, b.dossiers - b.unsatisfied, b.dossiers) for b in buckets], _
    )
    texts = {
        "wait-by-hour": (
            _("Average wait by hour of day (min)"),
            _("Average wait of the visits issued in each hour of the day; lines: the targets."),
        ),
        "arrivals-by-hour": (
            _("Arrivals by hour of day (average per day with visits)"),
            _("Tickets issued in each hour of the day, averaged over %(n)s days with visits.", n=days_open),
        ),
        "satisfaction-trend": (
            _("Satisfaction by month") if by_month else _("Satisfaction by day"),
            _("Share of ratings at Satisfied or better, and the QĐ 766 ratio; lines: the targets."),
        ),
        "wait-vs-target": (
            _("Average wait against the targets, by month")
            if by_month
            else _("Average wait against the targets, by day"),
            _("Average wait per visit in each period; lines: the national targets."),
        ),
    }
    trend_waits = [
        Point(
            b.label,
            b.avg_wait_minutes,
            f"{b.label}: {_.minutes(b.wait_total / b.waits if b.waits else None)} {minutes}",
        )
        for b in buckets
    ]
    svgs = {
        "wait-by-hour": bar_chart("wait-by-hour", *texts["wait-by-hour"], waits, rounded, wait_rules),
        "arrivals-by-hour": bar_chart("arrivals-by-hour", *texts["arrivals-by-hour"], arrivals, rounded),
        "satisfaction-trend": line_chart(
            "satisfaction-trend",
            *texts["satisfaction-trend"],
            [share, ratio],
            lambda value: f"{_.decimal(value, '#,##0')} %",
            100.0,
            _rules(report, Kind.SATISFACTION, 100, _),
        ),
        "wait-vs-target": bar_chart("wait-vs-target", *texts["wait-vs-target"], trend_waits, rounded, wait_rules),
    }
    return {chart_id: Chart(texts[chart_id][0], svg) for chart_id, svg in svgs.items()}
