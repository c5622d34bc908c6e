"""Error pages in the page's language (Vietnamese first), in the app's layout, with the same status codes.

Werkzeug's defaults are English and unstyled ("Forbidden: You don't have the permission…"): a staff member who
follows a link meant for a manager must read, in Vietnamese, what happened and where to go instead.
"""

from __future__ import annotations

from flask import Flask, current_app, g, render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user  # type: ignore[import-untyped]
from sqlalchemy.exc import OperationalError, SQLAlchemyError
from werkzeug.exceptions import HTTPException

from queue_server.store.event_store import CorruptEventError
from queue_server.store.health import ServerReadOnly, StoreUnavailable, describe
from queue_server.web.i18n import _


def _message(code: int) -> tuple[str, str]:
    """Title and explanation for a status code (translated at request time)."""
    known = {
        400: (_("Bad request"), _("The address or the form has a value this page cannot use.")),
        403: (_("Not allowed"), _("Your account does not have access to this page.")),
        404: (_("Page not found"), _("There is no page at this address, or the ticket does not exist.")),
        405: (_("Not allowed"), _("This page cannot be used that way.")),
        429: (_("Too many requests"), _("Please wait a minute, then try again.")),
    }
    return known.get(code, (_("Something went wrong"), _("Please try again in a moment.")))


def _page(error: HTTPException) -> ResponseReturnValue:
    code = error.code or 500
    title, explanation = _message(code)
    # A reason the app gave itself (``abort(503, description=...)``, e.g. which package a missing font is in) is
    # shown as well; Werkzeug's own English default texts are not.
    detail = error.description if error.description != type(error).description else None
    return render_template("error.html", code=code, title=title, explanation=explanation, detail=detail), code


def store_title(problem: str) -> str:
    """The headline of a store problem (``health.Problem`` value), as ``/live``, the console and error pages say it."""
    titles = {
        "unavailable": _("Database connection lost"),
        "disk_full": _("Database connection lost: the disk is full"),
        "low_space": _("Disk almost full: new tickets are refused"),
        "read_only": _("Read-only: an event in the log cannot be replayed"),
    }
    return titles.get(problem, titles["unavailable"])


def store_explanation(problem: str) -> str:
    if problem == "read_only":
        return _(
            "Nothing can be changed until the log is repaired. Export it with motcua events export and call "
            "technical support."
        )
    return _(
        "Requests are refused for now and the devices send them again by themselves; nothing is lost. Work "
        "resumes by itself when the database is back."
    )


def _store_page(error: Exception) -> ResponseReturnValue:
    """A page that needed the database while it is down (or the server is read-only): 503, said plainly."""
    if isinstance(error, ServerReadOnly | CorruptEventError):
        problem, detail = "read_only", getattr(error, "reason", str(error))
    elif isinstance(error, StoreUnavailable):
        problem, detail = error.status.problem or "unavailable", error.status.reason
    else:
        problem, detail = "unavailable", describe(error)[1]
    _anonymous_if_unreadable()
    title, explanation = store_title(str(problem)), store_explanation(str(problem))
    return render_template("error.html", code=503, title=title, explanation=explanation, detail=detail), 503


def _anonymous_if_unreadable() -> None:
    """The page layout asks who is signed in; with the database down that question fails too: nobody."""
    try:
        _ = current_user.is_authenticated
    except SQLAlchemyError:
        g._login_user = current_app.login_manager.anonymous_user()  # type: ignore[attr-defined]


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, _page)
    for kind in (StoreUnavailable, ServerReadOnly, CorruptEventError, OperationalError):
        app.register_error_handler(kind, _store_page)
    app.context_processor(lambda: {"store_title": store_title, "store_explanation": store_explanation})
