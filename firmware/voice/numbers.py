"""Numbers and ticket labels as spoken Vietnamese words, and the call sentence built from them.

Cardinals follow the Unicode CLDR ``vi`` spell-out rules (the ones ICU uses), so a call sounds like the
number a person would say: 15 "mười lăm", 21 "hai mươi mốt", 24 "hai mươi tư", 105 "một trăm lẻ năm",
1023 "một nghìn không trăm hai mươi ba". Regional habits are options, not forks of the code:
``thousand_word`` ("nghìn" / Southern "ngàn"), ``zero_ten_word`` ("lẻ" / Northern "linh") and
``four_after_tens`` ("tư" / "bốn").

Ticket labels such as ``A025`` are read letter first, then the number. A letter is read by its Vietnamese
letter name ("A" -> "a", "B" -> "bê", "C" -> "xê", "D" -> "dê"), not left to the speech engine, because
engines disagree on a bare capital and a recorded-clip voice needs a fixed word to look up. The number is read
as a cardinal ("a, hai mươi lăm") or digit by digit ("a, không, hai, năm"); ``ticket_reading="auto"`` (the
default) reads up to 999 as a cardinal and longer numbers digit by digit, as the reference recommends.

>>> spell_number(1023)
'một nghìn không trăm hai mươi ba'
>>> call_sentence("A025", 3)
'Kính mời công dân có số thứ tự a, hai mươi lăm, đến quầy số ba.'
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

DIGITS = ("không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín")
LETTERS = {
    "A": "a", "Ă": "á", "Â": "ớ", "B": "bê", "C": "xê", "D": "dê", "Đ": "đê", "E": "e", "Ê": "ê",
    "F": "ép", "G": "giê", "H": "hát", "I": "i", "J": "gi", "K": "ca", "L": "e lờ", "M": "em mờ",
    "N": "en nờ", "O": "o", "Ô": "ô", "Ơ": "ơ", "P": "pê", "Q": "quy", "R": "e rờ", "S": "ét xì",
    "T": "tê", "U": "u", "Ư": "ư", "V": "vê", "W": "vê kép", "X": "ích xì", "Y": "i dài", "Z": "dét",
}  # fmt: skip
"""Vietnamese letter names, the way staff spell a ticket prefix aloud."""
DEFAULT_TEMPLATE = "Kính mời công dân có số thứ tự {ticket}, đến quầy số {counter}."
LIMIT = 10**15
"""Largest number read (exclusive); far beyond any ticket, but keeps the recursion honest."""
_LABEL = re.compile(r"^([^\W\d_]*)[-\s]?(\d+)$")


@dataclass(frozen=True)
class Reading:
    """How numbers are read aloud; the defaults are CLDR's."""

    thousand_word: Literal["nghìn", "ngàn"] = "nghìn"
    zero_ten_word: Literal["lẻ", "linh"] = "lẻ"
    four_after_tens: Literal["tư", "bốn"] = "tư"
    ticket_reading: Literal["auto", "cardinal", "digits"] = "auto"
    auto_digits_from: int = 1000
    """With ``ticket_reading="auto"``, numbers from this value on are read digit by digit."""


CLDR = Reading()


def spell_number(n: int, reading: Reading = CLDR) -> str:
    """``n`` (0 <= n < 10**15) as Vietnamese words, NFC, single spaces."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"expected an int, got {n!r}")
    if not 0 <= n < LIMIT:
        raise ValueError(f"{n} is outside 0..{LIMIT - 1}")
    return _nfc(_spell(n, reading))


def spell_digits(digits: str) -> str:
    """Each digit of ``digits`` as a word, comma-separated ("025" -> "không, hai, năm")."""
    if not digits or not digits.isascii() or not digits.isdigit():
        raise ValueError(f"not a string of digits: {digits!r}")
    return ", ".join(DIGITS[int(d)] for d in digits)


def spell_label(label: str, reading: Reading = CLDR) -> str:
    """A ticket label ("A025", "B-7", "12") as words: letter names, then the number."""
    match = _LABEL.fullmatch(unicodedata.normalize("NFC", label.strip()).upper())
    if match is None:
        raise ValueError(f"not a ticket label (letters then digits): {label!r}")
    letters, digits = match.groups()
    try:
        words = [LETTERS[c] for c in letters]
    except KeyError as exc:
        raise ValueError(f"no Vietnamese name for letter {exc.args[0]!r} in {label!r}") from None
    number = int(digits)
    mode = reading.ticket_reading
    if mode == "auto":
        mode = "digits" if number >= reading.auto_digits_from else "cardinal"
    words.append(spell_digits(digits) if mode == "digits" else spell_number(number, reading))
    return _nfc(", ".join(words))


def call_sentence(label: str, counter_number: int, template: str = DEFAULT_TEMPLATE, reading: Reading = CLDR) -> str:
    """The sentence to speak for ``label`` called to counter ``counter_number``.

    The counter is always a cardinal ("quầy số mười hai"): a display's "Quầy 03" is not read "không ba".
    ``template`` takes ``{ticket}`` and ``{counter}``.
    """
    return _nfc(template.format(ticket=spell_label(label, reading), counter=spell_number(counter_number, reading)))


def vocabulary(reading: Reading = CLDR) -> frozenset[str]:
    """Every word ``spell_number``/``spell_label`` can produce: the clip set a recorded voice needs."""
    words = {*DIGITS, "mười", "mươi", "mốt", "tư", "lăm", "trăm", "triệu", "tỷ"}
    words |= {reading.thousand_word, reading.zero_ten_word}
    for name in LETTERS.values():
        words.update(name.split())
    return frozenset(words)


def _spell(n: int, r: Reading) -> str:
    if n < 10:
        return DIGITS[n]
    if n < 20:
        return "mười" if n == 10 else f"mười {'lăm' if n == 15 else DIGITS[n - 10]}"
    if n < 100:
        tens, unit = divmod(n, 10)
        return f"{DIGITS[tens]} mươi" + (f" {_after_tens(unit, r)}" if unit else "")
    if n < 1000:
        hundreds, rest = divmod(n, 100)
        return f"{DIGITS[hundreds]} trăm" + (f" {_after_hundred(rest, r)}" if rest else "")
    for size, word in ((10**9, "tỷ"), (10**6, "triệu"), (1000, r.thousand_word)):
        if n >= size:
            high, rest = divmod(n, size)
            return f"{_spell(high, r)} {word}" + (f" {_after_thousand(rest, r)}" if rest else "")
    raise AssertionError(n)  # pragma: no cover


def _after_tens(unit: int, r: Reading) -> str:
    return {1: "mốt", 4: r.four_after_tens, 5: "lăm"}.get(unit, DIGITS[unit])


def _after_hundred(rest: int, r: Reading) -> str:
    return f"{r.zero_ten_word} {DIGITS[rest]}" if rest < 10 else _spell(rest, r)


def _after_thousand(rest: int, r: Reading) -> str:
    return f"không trăm {_after_hundred(rest, r)}" if rest < 100 else _spell(rest, r)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)
