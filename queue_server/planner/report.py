"""A staffing plan as a report document: the same tables for ``motcua plan``, the /plan page and its exports
(xlsx, pdf, csv through ``queue_server.reports``), in the web's catalogs (``translations/*/planner.po``)."""

from __future__ import annotations

from dataclasses import dataclass

from queue_server.planner.plan import HourPlan, StaffingPlan
from queue_server.reports.document import Cell, CellKind, Document, Table
from queue_server.reports.text import Language
from queue_server.simulate.figures import WaitFigures


@dataclass(frozen=True)
class PlanDocument(Document):
    @property
    def filename_stem(self) -> str:
        """``ke-hoach-quay-<office>-<day>``: ASCII, the same in every format."""
        return f"ke-hoach-quay-{self.office_id}-{self.start.isoformat()}"


def counter_services(hour: HourPlan, prefixes: dict[str, str]) -> str:
    """``"1: A, B · 2: C"``: what each planned counter serves, by the services' ticket letters."""
    return " · ".join(
        f"{i}: {', '.join(prefixes.get(s, s) for s in services)}" for i, services in enumerate(hour.services, start=1)
    )


def _figures(f: WaitFigures) -> tuple[Cell, ...]:
    return (
        Cell(f.mean_wait_seconds, CellKind.MINUTES),
        Cell(f.p90_wait_seconds, CellKind.MINUTES),
        Cell(f.share_within_15_min, CellKind.PERCENT),
        Cell(f.share_within_30_min, CellKind.PERCENT),
    )


def plan_document(plan: StaffingPlan, _: Language) -> PlanDocument:
    setup = plan.source.setup
    prefixes = {s.id: s.prefix for s in setup.services}
    goal = plan.goal
    facts: tuple[tuple[str, str], ...] = (
        (_("Office"), setup.name),
        (_("Day profile"), _.day(plan.source.day)),
        (
            _("Goal"),
            _(
                "mean wait ≤ %(mean)s min and 90th percentile ≤ %(p90)s min for the visits of every hour",
                mean=_.decimal(goal.mean_wait_seconds / 60, "#,##0"),
                p90=_.decimal(goal.p90_wait_seconds / 60, "#,##0"),
            ),
        ),
        (
            _("Method"),
            _(
                "Erlang C as a start, then the real engine simulated for %(days)s seeded days per staffing tried "
                "(%(runs)s simulated days)",
                days=goal.days,
                runs=plan.simulations,
            ),
        ),
        (_("Services"), ", ".join(f"{s.prefix}: {s.name_vi}" for s in setup.services)),
        (
            _("Counter-hours"),
            _(
                "today %(today)s, planned %(planned)s",
                today=sum(h.today_counters for h in plan.hours),
                planned=sum(h.counters for h in plan.hours),
            ),
        ),
    )
    if plan.unreachable:
        facts += ((_("Not reachable"), ", ".join(f"{h:02d}h" for h in plan.unreachable)),)
    figure_headings = (_("Mean wait (min)"), _("p90 wait (min)"), _("≤ 15 min (%)"), _("≤ 30 min (%)"))
    hours = Table(
        "hours",
        _("Counters hour by hour"),
        (
            _("Hour"),
            _("Arrivals"),
            _("Load (counters busy)"),
            _("Counters today"),
            *(f"{_('Today')}: {h}" for h in figure_headings),
            _("Counters planned"),
            *(f"{_('Planned')}: {h}" for h in figure_headings),
            _("Services per counter"),
        ),
        tuple(
            (
                Cell(f"{h.hour:02d}:00"),
                Cell(h.arrivals, CellKind.NUMBER),
                Cell(h.load, CellKind.NUMBER),
                Cell(h.today_counters, CellKind.COUNT),
                *_figures(h.today),
                Cell(h.counters, CellKind.COUNT),
                *_figures(h.predicted),
                Cell(counter_services(h, prefixes)),
            )
            for h in plan.hours
        ),
    )
    day = Table(
        "day",
        _("The whole day"),
        (_("Staffing"), *figure_headings),
        ((Cell(_("Today")), *_figures(plan.today)), (Cell(_("Planned")), *_figures(plan.predicted))),
    )
    return PlanDocument(
        title=_("Counter staffing plan"),
        office_id=setup.office_id,
        start=plan.source.day,
        end=plan.source.day,
        facts=facts,
        tables=(day, hours),
        language=_,
    )


def format_text(document: Document) -> str:
    """The document as aligned text columns (``motcua plan``); "Today: Mean wait" headings on two lines."""
    _ = document.language
    lines = [document.title, *(f"{label}: {value}" for label, value in document.facts)]
    for table in document.tables:
        split = [h.partition(": ") for h in table.headings]
        groups = [g if sep else "" for g, sep, _rest in split]
        names = [rest if sep else g for g, sep, rest in split]
        body = [[cell.text(_) for cell in row] for row in table.rows]
        rows = ([groups] if any(groups) else []) + [names, *body]
        widths = [max(len(row[i]) for row in rows) for i in range(len(names))]
        lines += ["", table.title]
        for row in rows:
            texts = [text.rjust(w) if i else text.ljust(w) for i, (text, w) in enumerate(zip(row, widths, strict=True))]
            lines.append("  ".join(texts).rstrip())
    return "\n".join(lines)
