"""The language of a report: the office's catalogs (``queue_server.i18n``, the web pages' too, so the dashboard and
its exports say the same words) and babel's number and date formats, usable outside a Flask request
(``motcua stats``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal
from babel.support import NullTranslations, Translations

from queue_server.i18n import LANGUAGES, compile_catalogs


@dataclass(frozen=True)
class Language:
    code: str
    translations: NullTranslations

    def __call__(self, text: str, **variables: Any) -> str:
        """``gettext`` with ``%(name)s`` variables, as Flask-Babel's ``_`` does."""
        out = str(self.translations.gettext(text))
        return out % variables if variables else out

    def decimal(self, value: float, pattern: str = "#,##0.0") -> str:
        return str(format_decimal(value, format=pattern, locale=self.code))

    def minutes(self, seconds: float | None) -> str:
        return "—" if seconds is None else self.decimal(seconds / 60)

    def percent(self, share: float | None) -> str:
        return "—" if share is None else self.decimal(share * 100) + " %"

    def number(self, value: float | None) -> str:
        return "—" if value is None else self.decimal(value, "#,##0.#")

    def day(self, value: date) -> str:
        return str(format_date(value, format="dd/MM/yyyy", locale=self.code))


@lru_cache(maxsize=len(LANGUAGES))
def language(code: str = "vi") -> Language:
    """The merged web catalogs (``queue_server/web/translations``) for ``code``, compiled if stale."""
    if code not in LANGUAGES:
        raise ValueError(f"unknown language {code!r}: one of {', '.join(LANGUAGES)}")
    return Language(code, Translations.load(str(compile_catalogs()), [code], domain="messages"))
