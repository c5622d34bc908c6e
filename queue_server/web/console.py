"""The staff console: the signed-in staff member's counter, its ticket in service, and the engine commands.

Every button posts (with the CSRF token) to ``/console/<action>``; the command always names the user's own
counter, never one from the form, and goes to the server through the injected ``execute``. The ticket in service
and the waiting counts update live from ``/console/stream`` (server-sent events, as the live page).
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user  # type: ignore[import-untyped]

from queue_server.engine import commands as cmd
from queue_server.engine.setup import Outcome
from queue_server.live import OfficeSnapshot
from queue_server.web import get_execute, get_live, get_setup
from queue_server.web.auth import roles_required
from queue_server.web.i18n import _
from queue_server.web.live import event_stream
from queue_server.web.users import Role

bp = Blueprint("console", __name__, url_prefix="/console")
ACTIONS = ("sign_in", "next", "recall", "skip", "finish")
MAX_DOSSIER_CODE = 64


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
    return render_template(
        "console.html",
        counter=next(c for c in get_setup().counters if c.id == counter_id),
        view=view,
        live_part=render_live_part(snapshot),
        outcomes=list(Outcome),
        connected=get_execute() is not None,
    )


def render_live_part(snapshot: OfficeSnapshot) -> str:
    """What changes on the console without a click: the ticket in service and the waiting counts."""
    counter_id = _counter_id()
    setup = snapshot.setup or get_setup()
    services = _services(counter_id)
    return render_template(
        "console_live.html",
        view=next((c for c in snapshot.counters if c.counter_id == counter_id), None),
        waiting=[w for w in snapshot.waiting if w.service_id in services],
        service_names={s.id: s.name_vi for s in setup.services},
    )


@bp.route("/stream")
@roles_required(Role.STAFF)
def stream() -> ResponseReturnValue:
    _counter_id()
    return event_stream(render_live_part)


def _services(counter_id: str) -> tuple[str, ...]:
    return next(c.service_ids for c in get_setup().counters if c.id == counter_id)


def command_for(action: str, counter_id: str, staff_id: str | None) -> cmd.Command:
    if action == "sign_in":
        if staff_id is None:
            abort(400)
        return cmd.SignIn(counter_id, staff_id)
    if action == "next":
        return cmd.CallNext(counter_id)
    if action == "recall":
        return cmd.Recall(counter_id)
    if action == "skip":
        return cmd.SkipTicket(counter_id)
    outcome_text = request.form.get("outcome") or None
    if outcome_text is not None and outcome_text not in Outcome.__members__.values():
        abort(400)
    code = (request.form.get("dossier_code") or "").strip() or None
    if code is not None and len(code) > MAX_DOSSIER_CODE:
        abort(400)
    return cmd.FinishService(counter_id, Outcome(outcome_text) if outcome_text else None, code)


@bp.route("/<action>", methods=["POST"])
@roles_required(Role.STAFF)
def act(action: str) -> ResponseReturnValue:
    if action not in ACTIONS:
        abort(404)
    execute = get_execute()
    if execute is None:
        flash(_("The console is not connected to the queue server."), "error")
        return redirect(url_for("console.page")), 503
    reply = execute(command_for(action, _counter_id(), current_user.staff_id))
    if reply.get("ok"):
        flash(_("Done."), "info")
    else:
        error = reply.get("error") or {}
        flash(_("Refused: %(reason)s", reason=error.get("message", "")), "error")
    return redirect(url_for("console.page"))
