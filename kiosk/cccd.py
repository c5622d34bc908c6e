"""Read the QR code of a chip ID card (CCCD, 2021) or căn cước card (2024) and keep only what the kiosk may use.

The QR holds the ID number, the old CMND number, name, date of birth, sex, address and issue date, all personal
data under NĐ 13/2023 (see ``shared/reference/cccd_qr.md``). The kiosk scans it for one purpose: offer the
priority queue to citizens aged 60 or over. So the parser returns the age (on a ``today`` the caller passes:
no clock in here) and, only when asked, a masked name. The ID number, address and raw payload are never
returned, stored or logged, and error messages never quote the input.

Layouts (``|``-separated UTF-8, de facto, no official spec):

* 7 fields: ``ID|OLD_ID|NAME|DOB|SEX|ADDRESS|ISSUE_DATE`` with OLD_ID 9 digits or empty;
* 6 fields: ``ID|NAME|DOB|SEX|ADDRESS|ISSUE_DATE`` (some older payloads);
* trailing extra fields (2024 card: cancelled ID, parents' names) are ignored.

Masked name: the family name in full and one initial for each other word, in title case:
"NGUYỄN VĂN AN" -> "Nguyễn V. A.". Family names are shared by millions, so this is enough to call someone
who is standing in front of the counter and too little to identify them from a list.

>>> holder = parse_cccd_qr("001090123456|012345678|NGUYỄN VĂN A|01011950|Nam|Hà Nội|15042021", today=date(2026, 1, 1))
>>> holder.age, holder.elderly, holder.masked_name
(76, True, None)
"""

from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from queue_server.contract.errors import MotcuaError

logger = logging.getLogger(__name__)

MAX_PAYLOAD_BYTES = 1024
ELDERLY_AGE = 60
"""Người cao tuổi: Luật Người cao tuổi 2009, Điều 2 (công dân từ đủ 60 tuổi trở lên)."""

_ID = re.compile(r"\d{12}")
_OLD_ID = re.compile(r"(\d{9})?")
_DATE = re.compile(r"\d{8}")
_SEXES = frozenset({"nam", "nữ"})
_OLDEST = 130


class CccdError(MotcuaError, ValueError):
    """The scan is not a readable ID-card QR. The message is fixed text: it never contains scanned data."""


@dataclass(frozen=True)
class CardHolder:
    """What the kiosk keeps from a scan: nothing that identifies the citizen by itself."""

    age: int
    elderly: bool
    masked_name: str | None = None


def age_on(birth: date, today: date) -> int:
    """Age in whole years on ``today`` (a 29 February birthday counts on 1 March in common years)."""
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def mask_name(full_name: str) -> str:
    """'NGUYỄN VĂN AN' -> 'Nguyễn V. A.': family name kept, other words reduced to their initial."""
    words = unicodedata.normalize("NFC", full_name).split()
    if not words:
        return ""
    return " ".join([words[0].capitalize()] + [w[0].upper() + "." for w in words[1:]])


def _date(text: str) -> date | None:
    """``ddmmyyyy`` -> date, or None when not a real calendar date (checked without exceptions carrying data)."""
    if not _DATE.fullmatch(text):
        return None
    day, month, year = int(text[:2]), int(text[2:4]), int(text[4:])
    if not (1 <= month <= 12 and 1 <= day <= 31 and year >= 1):
        return None
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)
    days_in_month = (31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)[month - 1]
    return date(year, month, day) if day <= days_in_month else None


def _reject(reason: str) -> CccdError:
    logger.info("ID-card QR rejected: %s", reason)
    return CccdError(f"Không đọc được mã QR trên thẻ căn cước ({reason}) / Unreadable ID-card QR code")


def _text(payload: str | bytes) -> str:
    if isinstance(payload, bytes):
        if len(payload) > MAX_PAYLOAD_BYTES:
            raise _reject("too long")
        decoded = payload.decode("utf-8", errors="replace")
        if "\ufffd" in decoded:
            raise _reject("not UTF-8")
        return decoded
    if len(payload) > MAX_PAYLOAD_BYTES or len(payload.encode("utf-8", errors="replace")) > MAX_PAYLOAD_BYTES:
        raise _reject("too long")
    return payload


def parse_cccd_qr(payload: str | bytes, *, today: date, with_name: bool = False) -> CardHolder:
    """Parse one scan; return the holder's age, whether 60+, and the masked name if ``with_name``.

    Raises :class:`CccdError` (fixed message, no scanned data) for anything that is not a plausible card QR,
    including payloads over 1 KB, which are refused before any parsing.
    """
    fields = unicodedata.normalize("NFC", _text(payload).strip().lstrip("\ufeff")).split("|")
    if len(fields) < 6:
        raise _reject("too few fields")
    if not _ID.fullmatch(fields[0]):
        raise _reject("bad ID number field")
    if len(fields) >= 7 and _OLD_ID.fullmatch(fields[1]):
        name, birth_text, sex, issue_text = fields[2], fields[3], fields[4], fields[6]
    else:
        name, birth_text, sex, issue_text = fields[1], fields[2], fields[3], fields[5]
    del fields  # the ID number and address go no further than this line
    birth, issued = _date(birth_text), _date(issue_text)
    if birth is None:
        raise _reject("bad date of birth")
    if issued is None:
        raise _reject("bad issue date")
    if birth > today or age_on(birth, today) > _OLDEST:
        raise _reject("implausible date of birth")
    if issued < birth:
        raise _reject("issue date before birth")
    if sex.strip().casefold() not in _SEXES:
        raise _reject("bad sex field")
    if not name.strip() or any(ch.isdigit() for ch in name):
        raise _reject("bad name field")
    age = age_on(birth, today)
    logger.debug("ID-card QR accepted (elderly=%s)", age >= ELDERLY_AGE)
    return CardHolder(age=age, elderly=age >= ELDERLY_AGE, masked_name=mask_name(name) if with_name else None)
