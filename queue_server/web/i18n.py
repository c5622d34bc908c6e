"""Languages of the web app (Vietnamese first, English second) and the number formats of its pages.

Catalogs live in ``translations/<lang>/LC_MESSAGES/*.po`` (the sources, kept in git: ``messages.po`` plus one file
per area of the app, e.g. ``reports.po``); ``create_app`` calls ``compile_catalogs``, which merges them into the
``messages.mo`` Flask-Babel reads whenever it is missing or older than a source, so no build step can be forgotten.
"""

from __future__ import annotations

import logging
import tempfile
from datetime import date
from pathlib import Path
from typing import Any

import flask_babel  # type: ignore[import-untyped]
from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask import Flask

logger = logging.getLogger(__name__)
LANGUAGES = ["vi", "en"]
TRANSLATIONS = Path(__file__).with_name("translations")


def compile_catalogs(source: Path = TRANSLATIONS) -> Path:
    """Compile every stale ``messages.po`` under ``source`` next to it; returns the directory Flask-Babel reads.

    Where the package is read-only (an installed wheel) the catalogs are compiled into a fresh private
    temporary directory instead, so the pages are never left untranslated for want of a build step.
    """
    try:
        _compile(source, source)
        return source
    except OSError:
        target = Path(tempfile.mkdtemp(prefix="motcua-web-"))
        logger.warning("%s is read-only; translations compiled into %s", source, target)
        _compile(source, target)
        return target


def merged_catalog(folder: Path) -> Catalog:
    """Every ``*.po`` of one ``<lang>/LC_MESSAGES`` folder as one catalog (a msgid found twice: the first wins)."""
    locale = folder.parts[-2]
    catalog = Catalog(locale=locale)
    for po in sorted(folder.glob("*.po")):
        with po.open("rb") as f:
            part = read_po(f, locale=locale)
        for message in part:
            if not message.id:
                continue
            if message.id in catalog:
                logger.warning("%s: %r translated twice; the first one wins", po, message.id)
            else:
                catalog[message.id] = message
    return catalog


def _compile(source: Path, target: Path) -> None:
    """One ``messages.mo`` per language from every ``*.po`` beside it (one source file per area of the app)."""
    for folder in sorted(p for p in source.glob("*/LC_MESSAGES") if p.is_dir()):
        sources = sorted(folder.glob("*.po"))
        mo = target / folder.relative_to(source) / "messages.mo"
        if not sources or (mo.exists() and mo.stat().st_mtime >= max(po.stat().st_mtime for po in sources)):
            continue
        mo.parent.mkdir(parents=True, exist_ok=True)
        with mo.open("wb") as f:
            write_mo(f, merged_catalog(folder))


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
