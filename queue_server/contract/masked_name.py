"""The one rule for a citizen's masked name ("Nguyễn V. A."), shared by the kiosk, the server and the displays.

The kiosk may send, if the office enables it, the masked name it read from an ID card (``kiosk.cccd.mask_name``)
so that the counter's own screen and the staff console can say whom they call. A masked name keeps the family
name and one initial for each other word; the family name is shared by millions, so it is enough to call the
person standing at the counter and too little to identify anyone from a list. Anything else (a full name, a
number, an address) must never travel: this check is strict, pure stdlib, and never echoes what it refused.

>>> is_masked_name("Nguyễn V. A.")
True
>>> is_masked_name("Nguyễn Văn An"), is_masked_name("001090123456"), is_masked_name("Nguyễn")
(False, False, False)
"""

from __future__ import annotations

import unicodedata

MASKED_NAME_MAX_LENGTH = 40
REFUSED = "not a masked name (a family name, then a capital initial and a dot for each other word)"
"""Fixed text for errors: never the refused value itself."""


def is_masked_name(text: object) -> bool:
    """True for "Family I. I." in NFC: a capitalised family name of letters, then one or more "X." initials."""
    if not isinstance(text, str) or not 0 < len(text) <= MASKED_NAME_MAX_LENGTH:
        return False
    if unicodedata.normalize("NFC", text) != text:
        return False
    family, *initials = text.split(" ")
    if not initials or not family.isalpha() or not family[0].isupper() or family[1:] != family[1:].lower():
        return False
    return all(len(w) == 2 and w[0].isalpha() and w[0].isupper() and w[1] == "." for w in initials)
