"""The manager's dashboard: one period's figures (a ``PeriodReport`` from the read model), per group, against
the targets, with charts, and the same report to download as Excel, PDF or CSV.

``/dashboard?period=day|week|month|quarter|year&date=YYYY-MM-DD`` or ``?period=custom&start=…&end=…`` (local
dates); ``/dashboard/export.xlsx|pdf|csv`` take the same query.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

from flask import Blueprint, abort, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user  # type: ignore[import-untyped]

from queue_server.analytics.current import office_report
from queue_server.analytics.metrics import GroupBy
from queue_server.analytics.report import PeriodReport
from queue_server.analytics.reversals import PeriodRefused
from queue_server.analytics.targets import Kind
from queue_server.engine.setup import OfficeSetup
from queue_server.reports import periods
from queue_server.reports.document import EXPORTED_GROUPS, group_key_name, names_of
from queue_server.reports.formats import FORMATS
from queue_server.reports.text import language
from queue_server.store.web_users import Role
from queue_server.web import get_setup, get_store
from queue_server.web.auth import roles_required
from queue_server.web.exports import send_export
from queue_server.web.i18n import _, current_locale
from queue_server.web.office_targets import current_targets
from queue_server.web.period_charts import charts

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
PERIODS = periods.PERIODS
MAX_CUSTOM_DAYS = 366
SHOWN_GROUPS = EXPORTED_GROUPS
LONG_TABLE_ROWS = 31
"""A group table longer than this (the days of a quarter or a year) starts folded."""


def today(setup: OfficeSetup, now: datetime | None = None) -> date:
    """The office's local date now."""
    return ((now or datetime.now(UTC)) + timedelta(minutes=setup.utc_offset_minutes)).date()


def _date_arg(name: str, default: date) -> date:
    text = request.args.get(name)
    if not text:
        return default
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(400)


def requested_period(setup: OfficeSetup) -> tuple[str, date, date, date]:
    """(kind, anchor date, start, end) from the query; 400 for an unknown kind, a bad date or range."""
    kind = request.args.get("period", "day")
    if kind not in PERIODS:
        abort(400)
    anchor = _date_arg("date", today(setup))
    try:
        start, end = periods.bounds(kind, anchor, _date_arg("start", anchor), _date_arg("end", anchor))
    except OverflowError:  # a week or year past 9999-12-31
        abort(400)
    if end < start or (end - start).days >= MAX_CUSTOM_DAYS:
        abort(400)
    return kind, anchor, start, end


def _office_report(groups: tuple[GroupBy, ...]) -> tuple[OfficeSetup, str, date, PeriodReport]:
    """The role check (manager of this office, province manager, admin), then the requested period's report."""
    setup = get_setup()
    if not current_user.may_see_office(setup.office_id):
        abort(403)
    kind, anchor, start, end = requested_period(setup)
    report = office_report(get_store(), setup, start, end, group_by=groups, targets=current_targets())
    return setup, kind, anchor, report


def _period_url(endpoint: str, kind: str, start: date, end: date) -> str:
    if kind == "custom":
        return url_for(endpoint, period=kind, start=start.isoformat(), end=end.isoformat())
    return url_for(endpoint, period=kind, date=start.isoformat())


def period_names() -> dict[str, str]:
    return {
        "day": _("Day"),
        "week": _("Week"),
        "month": _("Month"),
        "quarter": _("Quarter"),
        "year": _("Year"),
        "custom": _("Custom"),
    }


@bp.errorhandler(PeriodRefused)
def refused_period(exc: PeriodRefused) -> ResponseReturnValue:
    """The reason instead of figures: a period whose events go back in time (docs/statistics.md)."""
    days = ", ".join(d.strftime("%d/%m/%Y") for d in exc.days)
    explanation = _(
        "The events of %(days)s go back in time (the server clock was set back by up to %(minutes)s min), so the"
        " waits of this period would be wrong. Choose a period without those days.",
        days=days,
        minutes=round(exc.minutes),
    )
    page = render_template("error.html", code=409, title=_("No figures for this period"), explanation=explanation)
    return page, 409


@bp.route("")
@roles_required(Role.MANAGER, Role.PROVINCE_MANAGER, Role.ADMIN)
def period() -> ResponseReturnValue:
    setup, kind, anchor, report = _office_report(SHOWN_GROUPS)
    lang = language(current_locale())
    names = names_of(setup, lang)
    before, after = periods.neighbours(kind, report.start, report.end)
    query: dict[str, Any] = {"period": kind}
    if kind == "custom":
        query |= {"start": report.start.isoformat(), "end": report.end.isoformat()}
    else:
        query["date"] = anchor.isoformat()
    return render_template(
        "dashboard.html",
        report=report,
        setup=setup,
        kind=kind,
        anchor=anchor,
        periods=PERIODS,
        period_names=period_names(),
        period_label=periods.label(kind, report.start, report.end, lang),
        previous_url=before and _period_url("dashboard.period", kind, *before),
        next_url=after and _period_url("dashboard.period", kind, *after),
        export_urls={fmt: url_for("dashboard.export", fmt=fmt, **query) for fmt in FORMATS},
        shown_groups=SHOWN_GROUPS,
        row_name=lambda by, key: group_key_name(by, key, names, lang),
        long_table_rows=LONG_TABLE_ROWS,
        charts=charts(report, lang),
        Kind=Kind,
        GroupBy=GroupBy,
    )


@bp.route("/export.<fmt>")
@roles_required(Role.MANAGER, Role.PROVINCE_MANAGER, Role.ADMIN)
def export(fmt: str) -> ResponseReturnValue:
    """The dashboard's period as a file to attach to a periodic report (``queue_server.reports``)."""
    if fmt not in FORMATS:
        abort(404)
    setup, kind, _anchor, report = _office_report(EXPORTED_GROUPS)
    return send_export(report, setup, kind, current_locale(), fmt)
