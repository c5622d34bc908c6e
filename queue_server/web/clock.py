"""The server clock on the live page: why tickets are refused (``clock_not_synced``), jumps of the clock, and the
manager's "Giờ đã đúng" (the time shown is right), which lifts the doubt until the server restarts (audited).

The judge is ``queue_server.trusted_clock.TrustedClock`` (the service's clock), passed to ``create_app``; a web
app without one (tests, a web process beside the server) shows nothing and offers no button.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, abort, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user  # type: ignore[import-untyped]

from queue_server.store.web_users import Role
from queue_server.trusted_clock import TrustedClock
from queue_server.web import audit, context, get_setup
from queue_server.web.auth import roles_required
from queue_server.web.i18n import _

bp = Blueprint("clock", __name__, url_prefix="/live/clock")


def get_clock() -> TrustedClock | None:
    return context.current().clock


def doubt_text(kind: str) -> str:
    """Why the clock is not trusted, for people (the kinds of ``trusted_clock.Doubt``)."""
    return {
        "unsynced": _("The server clock is not synchronised yet (NTP)."),
        "behind": _("The server clock is behind the last recorded event."),
        "before_release": _("The server clock is before this software's release date."),
        "jumped": _("The server clock jumped forward since the last recorded event."),
    }.get(kind, kind)


def clock_alarms() -> list[str]:
    """The clock's alarms for the live panel, Vietnamese first (empty when all is well)."""
    clock = get_clock()
    if clock is None:
        return []
    offset = timedelta(minutes=get_setup().utc_offset_minutes)
    alarms = []
    if clock.refusing is not None:
        alarms.append(_("No tickets are issued: %(why)s", why=doubt_text(clock.refusing.kind)))
    for jump in clock.unconfirmed_jumps()[-3:]:
        alarms.append(
            _(
                "The server clock just jumped forward by %(minutes)s min (at %(at)s).",
                minutes=round(jump.seconds / 60),
                at=(jump.detected_at + offset).strftime("%H:%M %d/%m"),
            )
        )
    return alarms


def local_now() -> datetime | None:
    clock = get_clock()
    return None if clock is None else clock() + timedelta(minutes=get_setup().utc_offset_minutes)


@bp.route("/confirm", methods=["POST"])
@roles_required(Role.MANAGER, Role.ADMIN)
def confirm() -> ResponseReturnValue:
    """ "Giờ đã đúng": the manager checked the time shown against a phone or a watch."""
    clock = get_clock()
    if clock is None or not current_user.may_see_office(get_setup().office_id):
        abort(404)
    shown = local_now()
    refused = clock.refusing.kind if clock.refusing is not None else None
    clock.confirm(current_user.username)
    audit.record("clock.confirm", "clock", {"local_time": f"{shown:%Y-%m-%d %H:%M:%S}", "refusing": refused})
    flash(_("The server time is confirmed as correct until the server restarts."), "info")
    return redirect(url_for("live.page"))


@bp.app_context_processor
def _context() -> dict[str, object]:
    return {"clock_alarms": clock_alarms, "clock_local_now": local_now}
