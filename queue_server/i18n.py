"""The office's languages (Vietnamese first, English second) and their message catalogs, outside any Flask request.

The web pages (Flask-Babel, ``queue_server.web.i18n``) and the reports (``queue_server.reports.text``, also used by
``motcua stats`` without a request) read the same catalogs, so the dashboard and its exports say the same words.
Catalogs live in ``web/translations/<lang>/LC_MESSAGES/*.po`` (the sources, kept in git: ``messages.po`` plus one
file per area, e.g. ``reports.po``); ``compile_catalogs`` merges them into the ``messages.mo`` both read whenever it
is missing or older than a source, so no build step can be forgotten.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

logger = logging.getLogger(__name__)
LANGUAGES = ("vi", "en")
TRANSLATIONS = Path(__file__).with_name("web") / "translations"


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
