"""Text folding for the kiosk's search box: what a citizen types on a touch keyboard rarely carries diacritics.

A Vietnamese keyboard may emit precomposed (NFC) or decomposed (NFD) characters, and many people type without
tone marks at all, so both the catalogue and the query are folded to the same plain lower-case ASCII-ish form:
NFD, drop combining marks, map đ/Đ to d (đ has no decomposition), casefold, and turn punctuation into spaces.
"""

from __future__ import annotations

import re
import unicodedata

_NON_WORD = re.compile(r"[\W_]+")
_D_MAP = str.maketrans({"đ": "d", "Đ": "d"})


def nfc(text: str) -> str:
    """The one normal form every stored string uses, so equal-looking strings compare equal."""
    return unicodedata.normalize("NFC", text)


def fold(text: str) -> str:
    """Fold ``text`` for matching: no diacritics, no case, single spaces between words.

    >>> fold("ĐĂNG KÝ  khai-sinh")
    'dang ky khai sinh'
    """
    decomposed = unicodedata.normalize("NFD", text.translate(_D_MAP))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(_NON_WORD.sub(" ", stripped.casefold().translate(_D_MAP)).split())
