"""The manager's dashboard: one period's figures (``period_report``), per group and against the targets.

``/dashboard?period=day|week|month&date=YYYY-MM-DD`` or ``?period=custom&start=…&end=…`` (local dates).
"""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta

from flask import Blueprint, abort, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user  # type: ignore[import-untyped]

from queue_server.analytics.metrics import GroupBy
from queue_server.analytics.report import period_report
from queue_server.analytics.targets import Kind
from queue_server.engine.setup import OfficeSetup
from queue_server.web import get_setup, get_store
from queue_server.web.auth import roles_required
from queue_server.web.i18n import _, current_locale
from queue_server.web.users import Role

bp = Blueprint("dashboard", __name__, url_prefix="/dashboard")
PERIODS = ("day", "week", "month", "custom")
MAX_CUSTOM_DAYS = 366
SHOWN_GROUPS = (GroupBy.SERVICE, GroupBy.COUNTER, GroupBy.STAFF, GroupBy.DAY)


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


def period_bounds(kind: str, anchor: date, start: date, end: date) -> tuple[date, date]:
    """Local dates, inclusive: the day, its Monday-to-Sunday week, its month, or ``start``…``end``."""
    if kind == "day":
        return anchor, anchor
    if kind == "week":
        monday = anchor - timedelta(days=anchor.weekday())
        return monday, monday + timedelta(days=6)
    if kind == "month":
        last = calendar.monthrange(anchor.year, anchor.month)[1]
        return anchor.replace(day=1), anchor.replace(day=last)
    return start, end


@bp.route("")
@roles_required(Role.MANAGER, Role.PROVINCE_MANAGER, Role.ADMIN)
def period() -> ResponseReturnValue:
    setup = get_setup()
    if not current_user.may_see_office(setup.office_id):
        abort(403)
    kind = request.args.get("period", "day")
    if kind not in PERIODS:
        abort(400)
    anchor = _date_arg("date", today(setup))
    start, end = period_bounds(kind, anchor, _date_arg("start", anchor), _date_arg("end", anchor))
    if end < start or (end - start).days >= MAX_CUSTOM_DAYS:
        abort(400)
    report = period_report((s.event for s in get_store().events()), setup, start, end, group_by=SHOWN_GROUPS)
    english = current_locale() == "en"
    names = {
        GroupBy.SERVICE: {s.id: (s.name_en if english and s.name_en else s.name_vi) for s in setup.services},
        GroupBy.COUNTER: {c.id: c.name or _("Counter %(n)s", n=c.number) for c in setup.counters},
        GroupBy.STAFF: {s.id: s.name for s in setup.staff},
    }
    return render_template(
        "dashboard.html",
        report=report,
        setup=setup,
        kind=kind,
        anchor=anchor,
        periods=PERIODS,
        shown_groups=SHOWN_GROUPS,
        names=names,
        Kind=Kind,
    )
