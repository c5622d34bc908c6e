"""The public booking of remote numbers (``/r``): choose a service, give a phone, type the SMS code, get a number.

Phone-first (a 360-pixel screen), no JavaScript needed, no login. Every POST carries the CSRF token (Flask-WTF,
as every form of the app) and is counted per client address (``[remote] form_per_address_per_minute``); the
pending booking's token rides in the signed session cookie, never in a URL. The rules are
``queue_server.remote.booking``'s; this module only words them.
"""

from __future__ import annotations

import threading
import time

from flask import Blueprint, abort, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _  # type: ignore[import-untyped]

from queue_server.remote.booking import Booked, CodeSent, Refusal, RemoteDesk
from queue_server.web import context, get_setup
from queue_server.web.login_limits import Window, address_key

bp = Blueprint("remote", __name__, url_prefix="/r")
_lock = threading.Lock()
_forms: dict[int, Window] = {}


def _refusal_text(refusal: Refusal) -> str:
    texts = {
        "disabled": _("This office does not give numbers online."),
        "unknown_service": _("Choose a service from the list."),
        "bad_phone": _("Enter a Vietnamese mobile number (10 digits, e.g. 0912 345 678)."),
        "closed": _("The office is closed for today: numbers can be taken online on opening days, before closing."),
        "after_closing": _("Today's numbers for this service are all taken: the call would come after closing."),
        "locked": _("Too many wrong codes: this number is locked until tomorrow."),
        "too_many_codes": _("Too many codes were sent to this number today."),
        "address_limit": _("Too many requests from this connection. Try again later."),
        "phone_cap": _("This phone has taken as many numbers as allowed today."),
        "service_cap": _("No more online numbers for this service today. Take one at the kiosk."),
        "day_cap": _("No more online numbers today. Take one at the kiosk."),
        "sms_unavailable": _("The office cannot send SMS right now. Take a number at the kiosk."),
        "expired": _("The code has expired. Ask for a new one."),
        "wrong_code": _("Wrong code: %(n)s tries left.", n=refusal.left),
        "unavailable": _("The number could not be issued. Try again in a moment."),
    }
    text: str = texts.get(refusal.code, texts["unavailable"])
    return text


def _desk() -> RemoteDesk:
    desk = context.current().remote
    if desk is None or not desk.policy.enabled:
        abort(404)
    return desk


def _form_allowed(desk: RemoteDesk) -> bool:
    limit = desk.policy.form_per_address_per_minute
    key, now = address_key(request.remote_addr or "?"), time.monotonic()
    with _lock:
        window = _forms.setdefault(id(desk), Window(limit, 60.0))
        if window.full(key, now):
            return False
        window.add(key, now)
        return True


@bp.route("", methods=["GET", "POST"])
def start() -> ResponseReturnValue:
    desk = _desk()
    setup = get_setup()
    error = None
    chosen = request.form.get("service_id", "")
    if request.method == "POST":
        if not _form_allowed(desk):
            return render_template(
                "remote_start.html", setup=setup, error=_refusal_text(Refusal("address_limit")), chosen=chosen
            ), 429
        answer = desk.start(chosen, request.form.get("phone", "")[:32], request.remote_addr or "?")
        if isinstance(answer, CodeSent):
            session["remote_token"] = answer.token
            session["remote_masked"] = answer.masked
            return redirect(url_for("remote.code"))
        error = _refusal_text(answer)
    return render_template("remote_start.html", setup=setup, error=error, chosen=chosen), 400 if error else 200


@bp.route("/code", methods=["GET", "POST"])
def code() -> ResponseReturnValue:
    desk = _desk()
    token = session.get("remote_token")
    if not isinstance(token, str):
        return redirect(url_for("remote.start"))
    error = None
    if request.method == "POST":
        if not _form_allowed(desk):
            abort(429)
        answer = desk.confirm(token, request.form.get("code", "")[:12])
        if isinstance(answer, Booked):
            session.pop("remote_token", None)
            session.pop("remote_masked", None)
            return redirect(url_for("ticket.show", ticket_id=answer.ticket_id))
        if answer.code != "wrong_code":
            session.pop("remote_token", None)
        error = _refusal_text(answer)
    masked = session.get("remote_masked", "")
    minutes = desk.policy.code_minutes
    return render_template("remote_code.html", masked=masked, minutes=minutes, error=error), 400 if error else 200
