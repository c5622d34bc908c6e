"""What the voice needs of a language: a call template and a number-to-words function (the small interface a
language pack fills; Vietnamese is built in).

A language pack's voice file gives the template (with ``{ticket}`` and ``{counter}``), the espeak-ng voice and
its number words, or ``numbers_in = "vi"`` where no word list exists: then the number is read in Vietnamese.
The clips a call needs are the template's fixed phrases (said as one clip each: better prosody than word by
word) and every word the numbers and letters can produce.

>>> VIETNAMESE.sentence("A025", 3)
'Kính mời công dân có số thứ tự a, hai mươi lăm, đến quầy số ba.'
>>> VIETNAMESE.template_phrases()
['kính mời công dân có số thứ tự', 'đến quầy số']
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from firmware.voice.numbers import CLDR, DEFAULT_TEMPLATE, Reading, spell_label, spell_number, vocabulary
from hardware.audio.clipset import key_of

_PIECES = re.compile(r"\{[a-z]+\}|[,.;:!?–]")


@dataclass(frozen=True)
class CallLanguage:
    """A call in one language: ``sentence(label, counter)`` and the clips it can need."""

    code: str
    template: str
    espeak_voice: str
    label_words: Callable[[str], str]
    """``"A025"`` -> ``"a, hai mươi lăm"``."""
    number_words: Callable[[int], str]
    """``3`` -> ``"ba"`` (the counter)."""
    vocabulary: frozenset[str]
    """Every word ``label_words`` and ``number_words`` can produce."""
    numbers_note: str = ""
    """Said in the pack when the numbers are read in another language (``numbers_in = "vi"``)."""

    def sentence(self, label: str, counter_number: int) -> str:
        return self.template.format(ticket=self.label_words(label), counter=self.number_words(counter_number))

    def template_phrases(self) -> list[str]:
        """The template's fixed parts, cut at the placeholders and punctuation."""
        return [key for piece in _PIECES.split(self.template) if (key := key_of(piece))]

    def needed_clips(self) -> list[str]:
        """What a complete clip set for this language holds (the chime aside)."""
        return sorted({*self.template_phrases(), *self.vocabulary})


def vietnamese(template: str = DEFAULT_TEMPLATE, reading: Reading = CLDR, espeak_voice: str = "vi") -> CallLanguage:
    return CallLanguage(
        code="vi",
        template=template,
        espeak_voice=espeak_voice,
        label_words=lambda label: spell_label(label, reading),
        number_words=lambda n: spell_number(n, reading),
        vocabulary=vocabulary(reading),
    )


VIETNAMESE = vietnamese()
