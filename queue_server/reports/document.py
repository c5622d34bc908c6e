"""One period report as a format-free document: facts about it, then tables of typed cells.

The three renderers (xlsx, pdf, csv) only lay this out, so an Excel sheet, a PDF and a CSV of the same period
always hold the same figures under the same headings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from queue_server.analytics.metrics import Figures, GroupBy
from queue_server.analytics.report import PeriodReport
from queue_server.analytics.targets import Kind as TargetKind
from queue_server.analytics.targets import Status, Target
from queue_server.engine.setup import OfficeSetup
from queue_server.reports.text import Language

EXPORTED_GROUPS = (GroupBy.SERVICE, GroupBy.COUNTER, GroupBy.STAFF, GroupBy.HOUR, GroupBy.DAY)


class CellKind(StrEnum):
    TEXT = "text"
    COUNT = "count"
    MINUTES = "minutes"
    """The value is in seconds; shown in minutes."""
    PERCENT = "percent"
    """The value is a share, 0..1."""
    NUMBER = "number"


@dataclass(frozen=True)
class Cell:
    value: str | float | None
    kind: CellKind = CellKind.TEXT

    def text(self, _: Language) -> str:
        """As a person reads it, in the report's language ("—" for no data)."""
        if self.kind is CellKind.MINUTES:
            return _.minutes(self.plain())
        if self.kind is CellKind.PERCENT:
            return _.percent(self.plain())
        if self.kind in (CellKind.NUMBER, CellKind.COUNT):
            return _.number(self.plain())
        return "" if self.value is None else str(self.value)

    def plain(self) -> float | None:
        return None if self.value is None or isinstance(self.value, str) else float(self.value)


@dataclass(frozen=True)
class Table:
    key: str
    title: str
    headings: tuple[str, ...]
    rows: tuple[tuple[Cell, ...], ...]


@dataclass(frozen=True)
class Names:
    """What the office calls its offices, services, counters and staff (the report holds only ids)."""

    office: str
    utc_offset_minutes: int = 420
    groups: Mapping[GroupBy, Mapping[str, str]] = field(default_factory=dict)


def names_of(setup: OfficeSetup, _: Language) -> Names:
    english = _.code == "en"
    return Names(
        office=setup.name,
        utc_offset_minutes=setup.utc_offset_minutes,
        groups={
            GroupBy.SERVICE: {s.id: (s.name_en if english and s.name_en else s.name_vi) for s in setup.services},
            GroupBy.COUNTER: {c.id: c.name or _("Counter %(n)s", n=c.number) for c in setup.counters},
            GroupBy.STAFF: {s.id: s.name for s in setup.staff},
        },
    )


@dataclass(frozen=True)
class Document:
    title: str
    office_id: str
    start: date
    end: date
    facts: tuple[tuple[str, str], ...]
    """(label, value) lines under the title: office, period, figures as of, area class."""
    tables: tuple[Table, ...]
    language: Language

    @property
    def filename_stem(self) -> str:
        """``bao-cao-<office>-<start>-<end>``: ASCII, sortable, the same in every format."""
        return f"bao-cao-{self.office_id}-{self.start.isoformat()}-{self.end.isoformat()}"


def target_label(target: Target, _: Language) -> str:
    """The target as the dashboard names it (same catalog entries)."""
    if target.kind is TargetKind.WAIT:
        return _("Average wait ≤ %(n)s min per visit", n=_.decimal(target.value / 60, "#,##0"))
    if target.kind is TargetKind.SATISFACTION:
        return _("QĐ 766 satisfaction ≥ %(n)s %%", n=_.decimal(target.value * 100, "#,##0"))
    return _("≥ %(n)s dossiers per staff member a year", n=_.decimal(target.value, "#,##0"))


def _summary(f: Figures, working_days: int, _: Language) -> Table:
    count, minutes, percent = CellKind.COUNT, CellKind.MINUTES, CellKind.PERCENT
    rows: list[tuple[str, float | None, CellKind]] = [
        (_("Visits"), f.visits, count),
        (_("Finished"), f.finished, count),
        (_("Absent (no-show)"), f.no_shows, count),
        (_("Expired"), f.expired, count),
        (_("Still open"), f.open, count),
        (_("Transfers"), f.transfers, count),
        (_("Visits counted in wait figures"), f.waits_counted, count),
        (_("Average wait per visit (min)"), f.avg_wait_seconds, minutes),
        (_("p90 wait (min)"), f.p90_wait_seconds, minutes),
        (_("Waited ≤ 15 min (%)"), f.share_within_15_min, percent),
        (_("Waited ≤ 30 min (%)"), f.share_within_30_min, percent),
        (_("Average service time (min)"), f.avg_service_seconds, minutes),
        (_("Average service time per finished visit (min)"), f.avg_service_per_visit_seconds, minutes),
        (_("Ratings"), f.ratings, count),
        (_("Satisfied or better (%)"), f.satisfaction_share, percent),
        (_("Dossiers received"), f.dossiers_received, count),
        (_("Dossiers not satisfied"), f.dossiers_unsatisfied, count),
        (_("QĐ 766 satisfaction ratio (%)"), f.qd766_ratio, percent),
        (_("Staff-days"), f.staff_days, count),
        (
            _("Dossiers per staff member a year (%(n)s working days)", n=working_days),
            f.productivity_per_staff_year,
            CellKind.NUMBER,
        ),
    ]
    return Table(
        "summary",
        _("Figures for the period"),
        (_("Indicator"), _("Value")),
        tuple((Cell(name), Cell(value, kind)) for name, value, kind in rows),
    )


def _targets(report: PeriodReport, _: Language) -> Table:
    kinds = {TargetKind.WAIT: CellKind.MINUTES, TargetKind.SATISFACTION: CellKind.PERCENT}
    statuses = {Status.MET: _("Met"), Status.NOT_MET: _("Not met"), Status.NO_DATA: _("No data")}
    rows = tuple(
        (
            Cell(target_label(check.target, _)),
            Cell(str(check.target.year)),
            Cell(check.figure, kinds.get(check.target.kind, CellKind.NUMBER)),
            Cell(statuses[check.status]),
            Cell(check.target.source),
        )
        for check in report.targets
    )
    headings = (_("Target"), _("Year"), _("This period"), _("Status"), _("Source"))
    return Table("targets", _("Against the targets"), headings, rows)


def _group_title(by: GroupBy, _: Language) -> str:
    return {
        GroupBy.SERVICE: _("By service"),
        GroupBy.COUNTER: _("By counter"),
        GroupBy.STAFF: _("By staff member"),
        GroupBy.HOUR: _("By hour"),
        GroupBy.DAY: _("By day"),
    }[by]


def group_key_name(by: GroupBy, key: str, names: Names, _: Language) -> str:
    """A group's row heading: the name the office uses, an hour as "08:00", a day as "23/11/2026"."""
    if by is GroupBy.HOUR:
        return f"{key}:00"
    if by is GroupBy.DAY:
        return _.day(date.fromisoformat(key))
    return names.groups.get(by, {}).get(key, key)


def _group_columns(staffed: bool, _: Language) -> list[tuple[str, str, CellKind]]:
    """A group table's figure columns: heading, ``Figures`` attribute, kind (one list, so they cannot drift)."""
    count, minutes, percent = CellKind.COUNT, CellKind.MINUTES, CellKind.PERCENT
    columns = [
        (_("Visits"), "visits", count),
        (_("Finished"), "finished", count),
        (_("Absent (no-show)"), "no_shows", count),
        (_("Average wait (min)"), "avg_wait_seconds", minutes),
        (_("p90 wait (min)"), "p90_wait_seconds", minutes),
        (_("Waited ≤ 15 min (%)"), "share_within_15_min", percent),
        (_("Waited ≤ 30 min (%)"), "share_within_30_min", percent),
        (_("Average service time (min)"), "avg_service_seconds", minutes),
        (_("Ratings"), "ratings", count),
        (_("Satisfied or better (%)"), "satisfaction_share", percent),
        (_("Dossiers received"), "dossiers_received", count),
        (_("QĐ 766 satisfaction ratio (%)"), "qd766_ratio", percent),
    ]
    if staffed:
        columns += [
            (_("Staff-days"), "staff_days", count),
            (_("Dossiers per staff member a year"), "productivity_per_staff_year", CellKind.NUMBER),
        ]
    return columns


def _group_table(report: PeriodReport, by: GroupBy, names: Names, _: Language) -> Table:
    columns = _group_columns(by in (GroupBy.STAFF, GroupBy.DAY), _)
    headings = (_group_title(by, _), *(heading for heading, _attr, _kind in columns))
    rows = tuple(
        (
            Cell(group_key_name(by, group.key, names, _)),
            *(Cell(getattr(group.figures, attr), kind) for _heading, attr, kind in columns),
        )
        for group in report.groups.get(by, ())
    )
    return Table(by.value, _group_title(by, _), headings, rows)


def build(report: PeriodReport, names: Names, period: str, _: Language) -> Document:
    """The document of ``report``; ``period`` names it ("Quý IV năm 2026", see ``periods.label``)."""
    area = {"urban": _("Urban"), "rural": _("Rural"), "remote": _("Remote area")}
    facts = [
        (_("Office"), names.office),
        (_("Period"), f"{period} ({_.day(report.start)} – {_.day(report.end)})"),
        (_("Area class"), area.get(report.area_class.value, report.area_class.value)),
    ]
    if report.last_event_at is not None:
        local = report.last_event_at + timedelta(minutes=names.utc_offset_minutes)
        facts.append((_("Figures as of"), f"{_.day(local.date())} {local:%H:%M}"))
    tables = [_summary(report.overall, report.working_days_per_year, _), _targets(report, _)]
    tables += [_group_table(report, by, names, _) for by in EXPORTED_GROUPS if by in report.groups]
    return Document(
        title=_("One-stop shop report: %(office)s", office=names.office),
        office_id=report.office_id,
        start=report.start,
        end=report.end,
        facts=tuple(facts),
        tables=tuple(tables),
        language=_,
    )
