"""Vietnamese mobile numbers: one national form, and the keyed hash the caps count on.

Why a keyed hash (HMAC-SHA256 with a secret of the server's data folder): the caps and the wrong-code lock must
recognise a number again without a readable copy lasting longer than the ticket needs; a plain hash of a
10-digit number is reversed by trying them all, an HMAC is not without the secret.
"""

from __future__ import annotations

import hashlib
import hmac
import re

MOBILE = re.compile(r"^0[35789][0-9]{8}$")
"""The national form of a Vietnamese mobile number (10 digits: 03x, 05x, 07x, 08x, 09x)."""


class BadPhone(ValueError):
    """Not a Vietnamese mobile number; the message is fixed text (the input is never echoed)."""


def normalised(text: str) -> str:
    """``0912 345 678``, ``+84912345678``, ``84-912-345-678`` -> ``0912345678``; ``BadPhone`` otherwise."""
    digits = re.sub(r"[\s.\-()]", "", text.strip())
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) == 11:
        digits = "0" + digits[2:]
    if not MOBILE.match(digits):
        raise BadPhone("not a Vietnamese mobile number")
    return digits


def phone_key(secret: str, phone: str) -> str:
    """The number as the caps see it: HMAC-SHA256 under the server's secret, hex."""
    return hmac.new(secret.encode(), phone.encode(), hashlib.sha256).hexdigest()
