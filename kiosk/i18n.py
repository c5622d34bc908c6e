"""Kiosk text in Vietnamese first, English second, through a gettext-style ``_()``.

Message ids are the Vietnamese text itself (Vietnamese is the source language), so a screen reads naturally in
code and an untranslated message still shows correct Vietnamese. Translations live in ordinary gettext ``.po``
files under ``kiosk/locale/{vi,en}/LC_MESSAGES/kiosk.po``, editable with any PO editor.

The ``.po`` files are read directly at start (a small parser below) instead of compiled ``.mo`` files: the
standard library has no msgfmt, Babel is not a dependency, and a build step that the Pi image could miss is one
more way to show a citizen English keys. All text is NFC.

>>> set_language("en")
>>> _("Tra cứu thủ tục")
'Find a procedure'
>>> set_language("vi")
"""

from __future__ import annotations

import gettext
import json
import logging
from functools import lru_cache
from pathlib import Path

from kiosk.text import nfc

logger = logging.getLogger(__name__)
LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "kiosk"
LANGUAGES = ("vi", "en")
"""Tiếng Việt first: the kiosk starts in it and returns to it after every citizen."""


def _unquote(text: str) -> str:
    return str(json.loads(text))  # PO escapes (\" \\ \n \t) are a subset of JSON's


def parse_po(source: str) -> dict[str, str]:
    """``msgid -> msgstr`` from PO text (no plurals or contexts: the kiosk uses none); empty msgstr is skipped."""
    entries: dict[str, str] = {}
    msgid: list[str] = []
    msgstr: list[str] = []
    current: list[str] | None = None

    def flush() -> None:
        key, value = nfc("".join(msgid)), nfc("".join(msgstr))
        if key and value:
            entries[key] = value
        msgid.clear()
        msgstr.clear()

    for number, raw in enumerate(source.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("msgid "):
            if msgstr:
                flush()
            current = msgid
            line = line[6:]
        elif line.startswith("msgstr "):
            current = msgstr
            line = line[7:]
        if current is None or not line.startswith('"'):
            raise ValueError(f"line {number}: not a PO line: {raw!r}")
        current.append(_unquote(line))
    flush()
    return entries


class PoTranslations(gettext.NullTranslations):
    """A gettext translations object over a parsed ``.po`` file."""

    def __init__(self, messages: dict[str, str]) -> None:
        super().__init__()
        self.messages = messages

    def gettext(self, message: str) -> str:
        return self.messages.get(message, message)


@lru_cache(maxsize=len(LANGUAGES))
def translations(language: str, locale_dir: Path = LOCALE_DIR) -> PoTranslations:
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}, expected one of {LANGUAGES}")
    path = locale_dir / language / "LC_MESSAGES" / f"{DOMAIN}.po"
    messages = parse_po(path.read_text(encoding="utf-8"))
    logger.debug("loaded %d %s messages from %s", len(messages), language, path)
    return PoTranslations(messages)


_active: list[PoTranslations | None] = [None]
_language = ["vi"]


def set_language(language: str) -> None:
    _active[0] = translations(language)
    _language[0] = language


def language() -> str:
    return _language[0]


def _(message: str) -> str:
    """The active language's text for ``message`` (the Vietnamese text when there is no translation)."""
    active = _active[0]
    return nfc(message if active is None else active.gettext(message))


def N_(message: str) -> str:
    """Mark ``message`` for translation where it is defined; it is translated with :func:`_` when shown."""
    return message
