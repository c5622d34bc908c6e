"""The province manager's dashboard, served by ``motcua province``: every office of the province database in one
period, against the targets, worst first; each office's own period report; the table as Excel or CSV.

``create_province_app`` shares the office web app's settings, languages, sign-in and templates (``new_app``,
``install_common``); users are the ``web_users`` of the province database (``add_province_user``).
``/province?period=day|week|month|quarter|year&date=YYYY-MM-DD`` or ``?period=custom&start=…&end=…`` (local
dates, as the office dashboard); ``/province/export.xlsx|csv|pdf``; ``/province/office/<office_id>``.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from flask import Blueprint, Flask, abort, current_app, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user  # type: ignore[import-untyped]
from sqlalchemy import Engine

from queue_server.analytics.current import office_report
from queue_server.analytics.metrics import GroupBy
from queue_server.analytics.projection import VisitProjection
from queue_server.analytics.projection_province import ProvinceReport
from queue_server.analytics.targets import DEFAULT_TARGETS, Kind
from queue_server.engine.setup import OfficeSetup
from queue_server.province.office_order import OfficeOrder
from queue_server.reports import periods
from queue_server.reports.document import EXPORTED_GROUPS, group_key_name, names_of
from queue_server.reports.formats import FORMATS
from queue_server.reports.text import language
from queue_server.store.event_store import EventStore
from queue_server.store.office_setups import office_setups
from queue_server.store.web_users import Role
from queue_server.web import context, install_common, new_app
from queue_server.web.auth import roles_required
from queue_server.web.context import WebContext
from queue_server.web.dashboard import LONG_TABLE_ROWS, PERIODS, SHOWN_GROUPS, period_names, requested_period
from queue_server.web.exports import send_document, send_export
from queue_server.web.i18n import current_locale
from queue_server.web.period_charts import charts
from queue_server.web.province_offices import (
    REQUEST_CATCH_UP_EVENTS,
    OfficeRow,
    catch_up_offices,
    check_label,
    office_rows,
    overall_checks,
    province_document,
    status_name,
)

bp = Blueprint("province", __name__, url_prefix="/province")
DEFAULT_UTC_OFFSET_MINUTES = 420
"""Vietnam (UTC+7): "today" for a province whose database holds no office yet."""


def create_province_app(test_config: Mapping[str, Any] | None = None, *, engine: Engine) -> Flask:
    """The province's web app on the province database ``engine`` (its owner disposes it)."""
    app = new_app({"PROVINCE_REQUEST_CATCH_UP_EVENTS": REQUEST_CATCH_UP_EVENTS, **(test_config or {})})
    store = EventStore("", "-", engine=engine)  # sign-in reads web_users through the store's engine
    context.install(app, WebContext(store=store))
    install_common(app, store)
    app.context_processor(lambda: {"province_site": True})
    app.register_blueprint(bp)
    app.add_url_rule("/", endpoint="index", view_func=home)
    return app


def home() -> ResponseReturnValue:
    """The province page; a manager of one office (an account in the province database) goes to that office."""
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.role is Role.MANAGER and current_user.office_id:
        return redirect(url_for("province.office", office_id=current_user.office_id))
    return redirect(url_for("province.overview"))


def _engine() -> Engine:
    return context.current().store.engine


def _setups() -> dict[str, OfficeSetup]:
    """The offices' setups, their read model caught up first (cheap: the keeper folds in the background)."""
    setups = office_setups(_engine())
    catch_up_offices(_engine(), list(setups.values()), at_most=current_app.config["PROVINCE_REQUEST_CATCH_UP_EVENTS"])
    return setups


def _clock_setup(setups: dict[str, OfficeSetup]) -> OfficeSetup:
    """Whose UTC offset says what "today" is: the first office's (all of a province share one)."""
    for setup in setups.values():
        return setup
    return OfficeSetup(office_id="tinh", name="", utc_offset_minutes=DEFAULT_UTC_OFFSET_MINUTES)


def _query(kind: str, anchor: date, start: date, end: date) -> dict[str, Any]:
    if kind == "custom":
        return {"period": kind, "start": start.isoformat(), "end": end.isoformat()}
    return {"period": kind, "date": anchor.isoformat()}


def _period_context(
    endpoint: str, export_endpoint: str, kind: str, anchor: date, start: date, end: date, **values: Any
) -> dict[str, Any]:
    """The period selector's, the previous/next links' and the downloads' context (as the office dashboard's)."""
    before, after = periods.neighbours(kind, start, end)

    def link(around: tuple[date, date] | None) -> str | None:
        return around and url_for(endpoint, **values, **_query(kind, around[0], *around))

    return {
        "kind": kind,
        "anchor": anchor,
        "periods": PERIODS,
        "period_names": period_names(),
        "period_label": periods.label(kind, start, end, language(current_locale())),
        "previous_url": link(before),
        "next_url": link(after),
        "period_query": _query(kind, anchor, start, end),
        "export_urls": {
            fmt: url_for(export_endpoint, fmt=fmt, **values, **_query(kind, anchor, start, end)) for fmt in FORMATS
        },
    }


def _province() -> tuple[dict[str, OfficeSetup], str, date, ProvinceReport, list[OfficeRow]]:
    setups = _setups()
    kind, anchor, start, end = requested_period(_clock_setup(setups))
    report = VisitProjection(_engine()).province_report(list(setups.values()), start, end)
    return setups, kind, anchor, report, office_rows(report, setups)


@bp.route("")
@roles_required(Role.PROVINCE_MANAGER, Role.ADMIN)
def overview() -> ResponseReturnValue:
    _known, kind, anchor, report, rows = _province()
    _ = language(current_locale())
    return render_template(
        "province.html",
        report=report,
        rows=rows,
        checks=[(check_label(column, c, _), c) for column, c in overall_checks(report.overall)],
        productivity_note=_(
            "%(met)s of %(n)s offices meet their area's target",
            met=sum(r.status("productivity") == "met" for r in rows),
            n=len(rows),
        ),
        row_status_names={s: status_name(s, _) for s in ("met", "not_met", "no_data", "partly")},
        Kind=Kind,
        **_period_context("province.overview", "province.export", kind, anchor, report.start, report.end),
    )


@bp.route("/export.<fmt>")
@roles_required(Role.PROVINCE_MANAGER, Role.ADMIN)
def export(fmt: str) -> ResponseReturnValue:
    """The offices' table of the period as a file (same query as the page)."""
    if fmt not in FORMATS:
        abort(404)
    setups, kind, _anchor, report, rows = _province()
    _ = language(current_locale())
    label = periods.label(kind, report.start, report.end, _)
    offset = _clock_setup(setups).utc_offset_minutes
    return send_document(province_document(report, rows, label, offset, _), fmt)


def _office(office_id: str) -> tuple[OfficeSetup, str, date, Any]:
    """The role check (province manager, admin, or this office's manager), then the office's period report."""
    if not current_user.may_see_office(office_id):
        abort(403)
    setup = office_setups(_engine()).get(office_id)
    if setup is None:
        abort(404)
    kind, anchor, start, end = requested_period(setup)
    # The province compares every office with the national defaults (DEFAULT_TARGETS), not an office's own.
    # In the office's own order (its seq), up to its watermark, like the province's list: never the arrival order.
    office_log = OfficeOrder(_engine(), office_id)
    report = office_report(office_log, setup, start, end, group_by=EXPORTED_GROUPS, targets=DEFAULT_TARGETS)
    return setup, kind, anchor, report


@bp.route("/office/<office_id>")
@roles_required(Role.MANAGER, Role.PROVINCE_MANAGER, Role.ADMIN)
def office(office_id: str) -> ResponseReturnValue:
    """One office's period report, on the office dashboard's own template."""
    setup, kind, anchor, report = _office(office_id)
    _ = language(current_locale())
    names = names_of(setup, _)
    return render_template(
        "dashboard.html",
        report=report,
        setup=setup,
        shown_groups=SHOWN_GROUPS,
        row_name=lambda by, key: group_key_name(by, key, names, _),
        long_table_rows=LONG_TABLE_ROWS,
        charts=charts(report, _),
        Kind=Kind,
        GroupBy=GroupBy,
        **_period_context(
            "province.office", "province.office_export", kind, anchor, report.start, report.end, office_id=office_id
        ),
    )


@bp.route("/office/<office_id>/export.<fmt>")
@roles_required(Role.MANAGER, Role.PROVINCE_MANAGER, Role.ADMIN)
def office_export(office_id: str, fmt: str) -> ResponseReturnValue:
    if fmt not in FORMATS:
        abort(404)
    setup, kind, _anchor, report = _office(office_id)
    return send_export(report, setup, kind, current_locale(), fmt)
