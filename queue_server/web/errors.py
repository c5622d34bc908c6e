"""Error pages in the page's language (Vietnamese first), in the app's layout, with the same status codes.

Werkzeug's defaults are English and unstyled ("Forbidden: You don't have the permission…"): a staff member who
follows a link meant for a manager must read, in Vietnamese, what happened and where to go instead.
"""

from __future__ import annotations

from flask import Flask, render_template
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

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


def register(app: Flask) -> None:
    app.register_error_handler(HTTPException, _page)
