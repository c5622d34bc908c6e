"""The SMS texts sent to citizens, in Vietnamese (the office's language; the phone is Vietnamese), NFC, with
diacritics: whether they go as UCS-2 or folded to GSM-7 is the transport's decision (``queue_server/notify``).
Each stays within two UCS-2 segments (134 characters): the office's name is cut to fit."""

from __future__ import annotations

import unicodedata

NAME_CHARS = 40


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def short_name(office_name: str) -> str:
    """The office's name cut at a word to ``NAME_CHARS`` characters (an ellipsis when cut)."""
    if len(office_name) <= NAME_CHARS:
        return office_name
    return office_name[: NAME_CHARS - 1].rsplit(" ", 1)[0] + "…"


def one_time_code(office_name: str, code: str, minutes: int) -> str:
    return _nfc(f"Mã xác nhận lấy số tại {short_name(office_name)}: {code}. Hết hạn sau {minutes} phút.")


def turn_near(label: str, minutes: int | None, ahead: int) -> str:
    when = f"khoảng {minutes} phút nữa" if minutes is not None else "sắp tới"
    return _nfc(f"Số {label} sắp đến lượt ({when}, còn {ahead} người trước). Mời đến quét mã tại ki-ốt.")


def turn_near_waiting(label: str, minutes: int | None, ahead: int) -> str:
    when = f"khoảng {minutes} phút nữa" if minutes is not None else "sắp tới"
    return _nfc(f"Số {label} sắp đến lượt ({when}, còn {ahead} người trước). Xin có mặt gần quầy.")


def called(label: str, counter_number: int) -> str:
    return _nfc(f"Mời số {label} đến quầy {counter_number}.")
