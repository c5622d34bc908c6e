"""The province dashboard's data: which offices the province database knows (each one's last ``OfficeConfigured``,
read by ``store.office_setups``), the read model caught up for all of them, and the table of offices against the
targets, worst first.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine

from queue_server.analytics.current import KEEPER_INTERVAL_SECONDS, ProjectionKeeper
from queue_server.analytics.metrics import Figures
from queue_server.analytics.projection import VisitProjection
from queue_server.analytics.projection_province import ProvinceReport
from queue_server.analytics.targets import DEFAULT_TARGETS, Kind, Status, TargetCheck, Targets, check
from queue_server.engine.setup import OfficeSetup
from queue_server.province.office_order import OfficeOrder, catch_up_office
from queue_server.reports.document import Cell, CellKind, Document, Table, _summary, target_label
from queue_server.reports.text import Language
from queue_server.store.office_setups import office_setups

logger = logging.getLogger(__name__)
REQUEST_CATCH_UP_EVENTS = 5000
"""A page folds an office's new events itself only when fewer than this: one short chunk at most."""
COLUMNS = ("wait", "share", "qd766", "productivity")
"""The target columns of the offices' table: average wait, satisfied ratings, QĐ 766 ratio, productivity."""


def catch_up_offices(engine: Engine, setups: Sequence[OfficeSetup], *, at_most: int | None = None) -> None:
    """Fold every office's new events into the read model, in each office's own order and up to its first gap
    (``province.office_order``); with ``at_most``, only the offices with fewer new events than that (a page
    must not wait for a fresh province's first fold: the keeper does that)."""
    projection = VisitProjection(engine)
    for setup in setups:
        if at_most is not None:
            cursor = projection.cursor(setup.office_id)
            after = 0 if cursor is None else cursor.last_seq
            if OfficeOrder(engine, setup.office_id).backlog_at_least(after, at_most):
                logger.info(
                    "statistics of office %s: more than %d new events, left to the keeper", setup.office_id, at_most
                )
                continue
        catch_up_office(engine, setup)


def province_keeper(engine: Engine, interval: float = KEEPER_INTERVAL_SECONDS) -> ProjectionKeeper:
    """One thread that catches every office's statistics up every ``interval`` seconds, so a page finds the
    read model (nearly) current; new offices are found as their first ``OfficeConfigured`` arrives."""
    return ProjectionKeeper(
        None, None, interval, work=lambda: catch_up_offices(engine, list(office_setups(engine).values()))
    )


def column_status(checks: Sequence[TargetCheck]) -> Status | None:
    """Met when every check is met, not met when none is; None (shown as "partly") when some are."""
    statuses = {c.status for c in checks}
    if not statuses or statuses == {Status.NO_DATA}:
        return Status.NO_DATA
    if statuses == {Status.MET}:
        return Status.MET
    if Status.MET not in statuses:
        return Status.NOT_MET
    return None


def share_checks(figures: Figures, targets: Targets) -> list[TargetCheck]:
    """The share of satisfied ratings against the satisfaction targets (the national targets count QĐ 766
    dossiers; the province also watches the raters' own share)."""
    return [check(t, figures.satisfaction_share) for t in targets.satisfaction]


@dataclass(frozen=True)
class OfficeRow:
    setup: OfficeSetup
    figures: Figures
    columns: dict[str, tuple[TargetCheck, ...]]

    def status(self, column: str) -> str:
        found = column_status(self.columns[column])
        return "partly" if found is None else found.value

    @property
    def not_met(self) -> int:
        return sum(c.status is Status.NOT_MET for checks in self.columns.values() for c in checks)


def office_rows(
    report: ProvinceReport, setups: dict[str, OfficeSetup], targets: Targets = DEFAULT_TARGETS
) -> list[OfficeRow]:
    """Every office of ``report``, worst first: most targets not met, then the longest average wait; offices
    without visits in the period last."""
    rows = []
    for group in report.offices:
        checks = report.targets[group.key]
        by_kind = {kind: tuple(c for c in checks if c.target.kind is kind) for kind in Kind}
        columns = {
            "wait": by_kind[Kind.WAIT],
            "share": tuple(share_checks(group.figures, targets)),
            "qd766": by_kind[Kind.SATISFACTION],
            "productivity": by_kind[Kind.PRODUCTIVITY],
        }
        rows.append(OfficeRow(setups[group.key], group.figures, columns))
    return sorted(
        rows, key=lambda r: (r.figures.visits == 0, -r.not_met, -(r.figures.avg_wait_seconds or 0), r.setup.name)
    )


def overall_checks(overall: Figures, targets: Targets = DEFAULT_TARGETS) -> list[tuple[str, TargetCheck]]:
    """The province as a whole against the wait and satisfaction targets, each with the column it checks
    (productivity targets depend on each office's area class: see the offices' table)."""
    out = [("wait", check(t, overall.avg_wait_seconds)) for t in targets.wait]
    out += [("share", c) for c in share_checks(overall, targets)]
    out += [("qd766", check(t, overall.qd766_ratio)) for t in targets.satisfaction]
    return out


def check_label(column: str, c: TargetCheck, _: Language) -> str:
    """The target as the page and the exports name it: the national wording, or the raters' share's own."""
    if column == "share":
        return _("Satisfied ratings ≥ %(n)s %%", n=_.decimal(c.target.value * 100, "#,##0"))
    return target_label(c.target, _)


def column_names(_: Language) -> dict[str, str]:
    return {
        "wait": _("Average wait per visit"),
        "share": _("Satisfied ratings"),
        "qd766": _("QĐ 766 satisfaction ratio"),
        "productivity": _("Dossiers per staff member a year"),
    }


def status_name(status: str, _: Language) -> str:
    return {"met": _("Met"), "not_met": _("Not met"), "no_data": _("No data"), "partly": _("Partly met")}[status]


def _check_cell(c: TargetCheck) -> Cell:
    kind = {Kind.WAIT: CellKind.MINUTES, Kind.SATISFACTION: CellKind.PERCENT}.get(c.target.kind, CellKind.NUMBER)
    return Cell(c.figure, kind)


def province_document(
    report: ProvinceReport, rows: Sequence[OfficeRow], period: str, utc_offset_minutes: int, _: Language
) -> Document:
    """The province table as a report document (xlsx, csv, pdf through ``queue_server.reports``)."""
    names = column_names(_)
    facts = [
        (_("Offices"), str(len(rows))),
        (_("Period"), f"{period} ({_.day(report.start)} – {_.day(report.end)})"),
    ]
    if report.last_event_at is not None:
        local = report.last_event_at + timedelta(minutes=utc_offset_minutes)
        facts.append((_("Figures as of"), f"{_.day(local.date())} {local:%H:%M}"))
    targets = Table(
        "targets",
        _("Against the targets"),
        (_("Target"), _("Year"), _("This period"), _("Status"), _("Source")),
        tuple(
            (
                Cell(check_label(column, c, _)),
                Cell(str(c.target.year)),
                _check_cell(c),
                Cell(status_name(c.status.value, _)),
                Cell(c.target.source),
            )
            for column, c in overall_checks(report.overall)
        ),
    )
    headings = (
        _("Office"),
        _("Visits"),
        _("Average wait (min)"),
        _("p90 wait (min)"),
        _("Satisfied or better (%)"),
        _("QĐ 766 satisfaction ratio (%)"),
        _("Dossiers per staff member a year"),
        *(f"{names[column]}: {_('Status')}" for column in COLUMNS),
    )
    offices = Table(
        "offices",
        _("Offices, worst first"),
        headings,
        tuple(
            (
                Cell(r.setup.name),
                Cell(r.figures.visits, CellKind.COUNT),
                Cell(r.figures.avg_wait_seconds, CellKind.MINUTES),
                Cell(r.figures.p90_wait_seconds, CellKind.MINUTES),
                Cell(r.figures.satisfaction_share, CellKind.PERCENT),
                Cell(r.figures.qd766_ratio, CellKind.PERCENT),
                Cell(r.figures.productivity_per_staff_year, CellKind.NUMBER),
                *(Cell(status_name(r.status(column), _)) for column in COLUMNS),
            )
            for r in rows
        ),
    )
    return Document(
        title=_("One-stop shops of the province"),
        office_id="tinh",
        start=report.start,
        end=report.end,
        facts=tuple(facts),
        tables=(_summary(report.overall, report.working_days_per_year, _), targets, offices),
        language=_,
    )
