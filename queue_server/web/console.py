"""The staff console: the signed-in staff member's counter, its ticket in service, its queue, and the engine commands.

Every button posts (with the CSRF token) to ``/console/<action>``; the command always names the user's own
counter, never one from the form, and goes to the server through the injected ``execute`` (the same path as a
counter unit's buttons). The ticket in service, the pause state and the queue update live from
``/console/stream`` (server-sent events, as the live page); the day's figures are computed once per page load,
from the statistics read model, so the stream stays cheap.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user  # type: ignore[import-untyped]
from sqlalchemy.exc import SQLAlchemyError

from queue_server.analytics.current import office_report
from queue_server.analytics.metrics import Figures, GroupBy
from queue_server.engine import commands as cmd
from queue_server.engine.errors import Reason
from queue_server.engine.setup import Outcome
from queue_server.live import OfficeSnapshot
from queue_server.store.health import ServerReadOnly, StoreUnavailable
from queue_server.store.web_users import Role
from queue_server.web import get_execute, get_live, get_setup, get_store
from queue_server.web.auth import roles_required
from queue_server.web.dashboard import today
from queue_server.web.errors import store_title
from queue_server.web.i18n import _
from queue_server.web.live import event_stream

bp = Blueprint("console", __name__, url_prefix="/console")
ACTIONS = ("sign_in", "next", "recall", "skip", "transfer", "pause", "resume", "finish")
MAX_DOSSIER_CODE = 64
QUEUE_SHOWN = 30
"""The console lists this many waiting tickets (the next calls); the rest are counted."""


def _counter_id() -> str:
    counter_id: str | None = current_user.counter_id
    if counter_id is None or counter_id not in {c.id for c in get_setup().counters}:
        abort(403)
    return counter_id


@bp.route("")
@roles_required(Role.STAFF)
def page() -> ResponseReturnValue:
    counter_id = _counter_id()
    snapshot = get_live().snapshot()
    view = next((c for c in snapshot.counters if c.counter_id == counter_id), None)
    setup = snapshot.setup or get_setup()
    return render_template(
        "console.html",
        counter=next(c for c in setup.counters if c.id == counter_id),
        view=view,
        live_part=render_live_part(snapshot),
        outcomes=list(Outcome),
        transfer_services=[s for s in setup.services if view is None or s.id != view.service_id],
        figures=_figures_if_readable(current_user.staff_id),
        connected=get_execute() is not None,
    )


def _figures_if_readable(staff_id: str | None) -> Figures | None:
    """The day's figures need the database; while it is down the console still works from the live view."""
    try:
        return my_figures(staff_id)
    except SQLAlchemyError:
        return None


def my_figures(staff_id: str | None) -> Figures | None:
    """The signed-in staff member's figures for the office's local day (None: nothing recorded yet)."""
    if staff_id is None:
        return None
    setup = get_setup()
    day = today(setup, get_live().now())
    report = office_report(get_store(), setup, day, day, group_by=(GroupBy.STAFF,))
    return next((g.figures for g in report.groups[GroupBy.STAFF] if g.key == staff_id), None)


def render_live_part(snapshot: OfficeSnapshot) -> str:
    """What changes on the console without a click: the ticket in service, the pause state, the queue."""
    counter_id = _counter_id()
    setup = snapshot.setup or get_setup()
    services = _services(counter_id)
    live = get_live()
    queue = live.queue(counter_id)
    now = live.now()
    return render_template(
        "console_live.html",
        view=next((c for c in snapshot.counters if c.counter_id == counter_id), None),
        waiting=[w for w in snapshot.waiting if w.service_id in services],
        queue=queue[:QUEUE_SHOWN],
        queue_more=max(0, len(queue) - QUEUE_SHOWN),
        wait_minutes=lambda since: max(0, int((now - since).total_seconds() // 60)),
        service_names={s.id: s.name_vi for s in setup.services},
        snapshot=snapshot,
        local_time=lambda at: (at + timedelta(minutes=setup.utc_offset_minutes)).strftime("%H:%M"),
    )


@bp.route("/stream")
@roles_required(Role.STAFF)
def stream() -> ResponseReturnValue:
    _counter_id()
    return event_stream(render_live_part)


def _services(counter_id: str) -> tuple[str, ...]:
    return next(c.service_ids for c in get_setup().counters if c.id == counter_id)


def command_for(action: str, counter_id: str, staff_id: str | None) -> cmd.Command:
    simple: dict[str, type[cmd.CallNext | cmd.Recall | cmd.SkipTicket | cmd.PauseCounter | cmd.ResumeCounter]] = {
        "next": cmd.CallNext,
        "recall": cmd.Recall,
        "skip": cmd.SkipTicket,
        "pause": cmd.PauseCounter,
        "resume": cmd.ResumeCounter,
    }
    if action in simple:
        return simple[action](counter_id)
    if action == "sign_in":
        if staff_id is None:
            abort(400)
        return cmd.SignIn(counter_id, staff_id)
    if action == "transfer":
        to_service = request.form.get("to_service_id") or ""
        if to_service not in {s.id for s in get_setup().services}:
            abort(400)
        return cmd.Transfer(counter_id, to_service_id=to_service)
    outcome_text = request.form.get("outcome") or None
    if outcome_text is not None and outcome_text not in Outcome.__members__.values():
        abort(400)
    code = (request.form.get("dossier_code") or "").strip() or None
    if code is not None and len(code) > MAX_DOSSIER_CODE:
        abort(400)
    return cmd.FinishService(counter_id, Outcome(outcome_text) if outcome_text else None, code)


def refusal(error: Mapping[str, Any]) -> str:
    """Why the engine refused, in the page's language (the engine's own detail for a reason not listed)."""
    reasons = {
        Reason.NOTHING_WAITING: _("Nobody is waiting for this counter."),
        Reason.COUNTER_PAUSED: _("The counter is paused; resume it first."),
        Reason.COUNTER_NOT_PAUSED: _("The counter is not paused."),
        Reason.NOT_SERVING: _("No ticket is in service at this counter."),
        Reason.SAME_DESTINATION: _("The ticket is already in that service."),
        Reason.UNKNOWN_SERVICE: _("That service does not exist."),
        Reason.UNKNOWN_STAFF: _("This account is not on the office's staff list."),
    }
    code = str(error.get("code", ""))
    if code == "clock_not_synced":
        return _(
            "The server clock is not trusted yet: no ticket and no new day until it is synchronised"
            " or a manager confirms the time on the live page."
        )
    known = reasons.get(Reason(code)) if code in Reason.__members__.values() else None
    return known or str(error.get("message", ""))


@bp.route("/<action>", methods=["POST"])
@roles_required(Role.STAFF)
def act(action: str) -> ResponseReturnValue:
    if action not in ACTIONS:
        abort(404)
    execute = get_execute()
    if execute is None:
        flash(_("The console is not connected to the queue server."), "error")
        return make_response(
            page(), 503
        )  # the page itself, with the message: a browser does not follow a 503's Location
    try:
        reply = execute(command_for(action, _counter_id(), current_user.staff_id))
    except StoreUnavailable as exc:
        flash(_("Refused: %(reason)s", reason=store_title(str(exc.status.problem or "unavailable"))), "error")
        return redirect(url_for("console.page"))
    except ServerReadOnly:
        flash(_("Refused: %(reason)s", reason=store_title("read_only")), "error")
        return redirect(url_for("console.page"))
    if reply.get("ok"):
        flash(_("Done."), "info")
    else:
        flash(_("Refused: %(reason)s", reason=refusal(reply.get("error") or {})), "error")
    return redirect(url_for("console.page"))
