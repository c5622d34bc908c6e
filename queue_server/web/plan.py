"""The manager's staffing plan (``/plan``): the fewest counters per hour, and the services each should serve, to
meet the office's wait targets, beside the figures of the staffing it has today (``queue_server.planner``).

``/plan?start=YYYY-MM-DD&end=YYYY-MM-DD`` learns the day profile from those local days of the log (default: the
last ``[planner] learn_days`` days, or the ``[planner] profile`` file); ``/plan/export.xlsx|pdf|csv`` take the same
query. Also the predicted service level that ``/live`` shows (``level_forecast``), from the same profile.
"""

from __future__ import annotations

import math
import threading
from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user  # type: ignore[import-untyped]

from queue_server.config import PlannerSection
from queue_server.planner.office import (
    LevelForecast,
    LevelForecaster,
    PlanCache,
    ProfileSource,
    office_profile,
    plan_for,
)
from queue_server.planner.plan import Goal, StaffingPlan, mean_wait_target
from queue_server.planner.report import plan_document
from queue_server.reports.formats import FORMATS
from queue_server.reports.text import Language, language
from queue_server.store.event_store import EventStore
from queue_server.store.web_users import Role
from queue_server.web import context, get_live, get_setup, get_store
from queue_server.web.auth import roles_required
from queue_server.web.charts import Point, Rule, Series, bar_chart, line_chart
from queue_server.web.dashboard import today
from queue_server.web.exports import send_document
from queue_server.web.i18n import current_locale
from queue_server.web.office_targets import current_targets
from queue_server.web.period_charts import Chart

bp = Blueprint("plan", __name__, url_prefix="/plan")
MAX_LEARN_DAYS = 366
_lock = threading.Lock()


def planner_settings() -> PlannerSection:
    settings = context.current().settings
    return PlannerSection() if settings is None else settings.planner


def _state() -> dict[str, object]:
    with _lock:
        found: dict[str, object] = current_app.extensions.setdefault(
            "motcua.planner", {"plans": PlanCache(), "forecaster": LevelForecaster(), "profiles": {}}
        )
    return found


def _cached_profile(
    profiles: dict[object, ProfileSource],
    store: EventStore,
    planner: PlannerSection,
    day: date,
    start: date | None,
    end: date | None,
) -> ProfileSource:
    """The office's profile, kept per local day and period (learning reads the log); no request needed."""
    key = (day, start, end)
    with _lock:
        known = profiles.get(key)
    if known is None:
        known = office_profile(store, planner, day, start, end)
        with _lock:
            if len(profiles) > 16:
                profiles.clear()
            profiles[key] = known
    return known


def _profiles() -> dict[object, ProfileSource]:
    profiles = _state()["profiles"]
    assert isinstance(profiles, dict)
    return profiles


def profile_source(start: date | None = None, end: date | None = None) -> ProfileSource:
    return _cached_profile(_profiles(), get_store(), planner_settings(), office_today(), start, end)


def office_today() -> date:
    """The office's local date by the server's clock (the one its events carry)."""
    return today(get_setup(), get_live().now())


def office_goal() -> Goal:
    planner = planner_settings()
    return Goal(
        mean_wait_seconds=mean_wait_target(current_targets()),
        p90_wait_seconds=planner.p90_wait_minutes * 60,
        max_counters=planner.max_counters,
        days=planner.days_per_candidate,
    )


def _date_arg(name: str) -> date | None:
    text = request.args.get(name)
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        abort(400)


def _requested() -> tuple[ProfileSource, StaffingPlan]:
    setup = get_setup()
    if not current_user.may_see_office(setup.office_id):
        abort(403)
    start, end = _date_arg("start"), _date_arg("end")
    if start is not None and end is not None and not 0 <= (end - start).days < MAX_LEARN_DAYS:
        abort(400)
    source = profile_source(start, end)
    plans = _state()["plans"]
    assert isinstance(plans, PlanCache)
    return source, plan_for(plans, source, office_goal(), office_today())


def plan_charts(plan: StaffingPlan, lang: Language) -> dict[str, Chart]:
    minutes = lang("min")
    labels = [f"{h.hour:02d}" for h in plan.hours]
    today_series = Series(
        lang("Counters today"),
        [
            Point(label, h.today_counters, f"{label}:00: {h.today_counters}")
            for label, h in zip(labels, plan.hours, strict=True)
        ],
        "share",
    )
    planned_series = Series(
        lang("Counters planned"),
        [Point(label, h.counters, f"{label}:00: {h.counters}") for label, h in zip(labels, plan.hours, strict=True)],
        "qd766",
    )
    top = max([h.counters for h in plan.hours] + [h.today_counters for h in plan.hours] + [1])
    counters = line_chart(
        "plan-counters",
        lang("Counters hour by hour"),
        lang("Counters open today and counters planned, in each hour of the day."),
        [today_series, planned_series],
        lambda value: lang.decimal(value, "#,##0"),
        float(4 * math.ceil(top / 4)),  # four gridlines on whole counters
    )
    waits = [
        Point(
            label,
            None if h.predicted.mean_wait_seconds is None else h.predicted.mean_wait_seconds / 60,
            f"{label}:00: {lang.minutes(h.predicted.mean_wait_seconds)} {minutes}",
        )
        for label, h in zip(labels, plan.hours, strict=True)
    ]
    rule = Rule(plan.goal.mean_wait_seconds / 60, lang("Target"))
    predicted = bar_chart(
        "plan-waits",
        lang("Predicted mean wait with the plan (min)"),
        lang("Mean wait of the visits arriving in each hour, simulated with the planned counters; line: the target."),
        waits,
        lambda value: lang.decimal(value, "#,##0.##"),
        [rule],
    )
    return {
        "plan-counters": Chart(lang("Counters hour by hour"), counters),
        "plan-waits": Chart(lang("Predicted mean wait with the plan (min)"), predicted),
    }


@bp.route("")
@roles_required(Role.MANAGER, Role.PROVINCE_MANAGER, Role.ADMIN)
def page() -> ResponseReturnValue:
    source, plan = _requested()
    lang = language(current_locale())
    query: dict[str, Any] = {k: v for k in ("start", "end") if (v := request.args.get(k))}
    return render_template(
        "plan.html",
        setup=get_setup(),
        source=source,
        plan=plan,
        document=plan_document(plan, lang),
        lang=lang,
        charts=plan_charts(plan, lang),
        export_urls={fmt: url_for("plan.export", fmt=fmt, **query) for fmt in FORMATS},
    )


@bp.route("/export.<fmt>")
@roles_required(Role.MANAGER, Role.PROVINCE_MANAGER, Role.ADMIN)
def export(fmt: str) -> ResponseReturnValue:
    if fmt not in FORMATS:
        abort(404)
    _source, plan = _requested()
    return send_document(plan_document(plan, language(current_locale())), fmt)


def level_forecast() -> LevelForecast | None:
    """The last predicted service level of the coming hour; when stale a refresh starts in the background, the
    profile learned there too (reading the log never delays the page)."""
    profiles, store, planner, day = _profiles(), get_store(), planner_settings(), office_today()
    live = get_live()
    return forecaster().latest(
        live.version,
        live.now(),
        live.state_copy,
        lambda: _cached_profile(profiles, store, planner, day, None, None).profile,
        mean_wait_target(current_targets()),
    )


def forecaster() -> LevelForecaster:
    found = _state()["forecaster"]
    assert isinstance(found, LevelForecaster)
    return found
