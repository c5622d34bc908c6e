"""The web app's side of the languages: ``gettext`` and the number and date formats of the request's language
(Flask-Babel), as template filters.

The languages and the catalogs themselves are ``queue_server.i18n``'s (the reports read them outside a request);
``create_app`` calls its ``compile_catalogs`` and points Flask-Babel at the result.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import flask_babel  # type: ignore[import-untyped]
from flask import Flask

from queue_server.i18n import LANGUAGES


def _(text: str, **variables: Any) -> str:
    """``gettext`` of the request's language, typed (Flask-Babel ships no type information)."""
    return str(flask_babel.gettext(text, **variables))


def format_decimal(value: float, format: str) -> str:
    return str(flask_babel.format_decimal(value, format=format))


def current_locale() -> str:
    return str(flask_babel.get_locale() or LANGUAGES[0])


def minutes(seconds: float | None) -> str:
    """Seconds as minutes with one decimal, in the page's language ("12,5" in Vietnamese); "—" for no data."""
    return "—" if seconds is None else format_decimal(seconds / 60, format="#,##0.0")


def percent(share: float | None) -> str:
    return "—" if share is None else format_decimal(share * 100, format="#,##0.0") + " %"


def number(value: float | None) -> str:
    return "—" if value is None else format_decimal(value, format="#,##0.#")


def day(value: date) -> str:
    return str(flask_babel.format_date(value, format="dd/MM/yyyy"))


def register_filters(app: Flask) -> None:
    app.add_template_filter(minutes, "minutes")
    app.add_template_filter(percent, "percent")
    app.add_template_filter(number, "number")
    app.add_template_filter(day, "day")
