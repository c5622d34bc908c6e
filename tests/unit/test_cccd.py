"""The ID-card QR parser returns an age and nothing else, and never leaks what it read."""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.cccd import MAX_PAYLOAD_BYTES, CardHolder, CccdError, age_on, mask_name, parse_cccd_qr

TODAY = date(2026, 11, 23)
ADDRESS = "Phường Bến Nghé, Quận 1, TP. Hồ Chí Minh"
LEGACY = f"001090123456|012345678|NGUYỄN VĂN AN|01011950|Nam|{ADDRESS}|15042021"
NO_OLD_ID = f"001090123456||TRẦN THỊ BÍCH|24111966|Nữ|{ADDRESS}|15042021"
SIX_FIELDS = f"001090123456|LÊ VĂN C|23111966|Nam|{ADDRESS}|15042021"
CARD_2024 = f"038190000123|123456789|PHẠM MINH D|29022008|Nam|{ADDRESS}|01072024|001090999999|PHẠM VĂN E|LÊ THỊ F"


def test_legacy_seven_fields() -> None:
    assert parse_cccd_qr(LEGACY, today=TODAY) == CardHolder(age=76, elderly=True, masked_name=None)


def test_seven_fields_with_empty_old_id_and_name_on_request() -> None:
    holder = parse_cccd_qr(NO_OLD_ID, today=TODAY, with_name=True)
    assert holder == CardHolder(age=59, elderly=False, masked_name="Trần T. B.")


def test_six_field_layout_turns_sixty_on_birthday() -> None:
    assert parse_cccd_qr(SIX_FIELDS, today=TODAY).elderly is True
    assert parse_cccd_qr(SIX_FIELDS, today=date(2026, 11, 22)).age == 59


def test_2024_card_with_extra_fields_and_bytes_input() -> None:
    holder = parse_cccd_qr((CARD_2024 + "\r\n").encode(), today=TODAY, with_name=True)
    assert holder == CardHolder(age=18, elderly=False, masked_name="Phạm M. D.")


def test_nfd_payload_is_read() -> None:
    assert parse_cccd_qr(unicodedata.normalize("NFD", NO_OLD_ID), today=TODAY, with_name=True).masked_name == (
        "Trần T. B."
    )


@pytest.mark.parametrize(
    ("birth", "today", "age"),
    [
        (date(1966, 11, 23), date(2026, 11, 23), 60),
        (date(1966, 11, 24), date(2026, 11, 23), 59),
        (date(2008, 2, 29), date(2026, 2, 28), 17),
        (date(2008, 2, 29), date(2026, 3, 1), 18),
        (date(2000, 1, 1), date(2000, 1, 1), 0),
    ],
)
def test_age_on(birth: date, today: date, age: int) -> None:
    assert age_on(birth, today) == age


def test_mask_name() -> None:
    assert mask_name("NGUYỄN VĂN AN") == "Nguyễn V. A."
    assert mask_name("ĐẶNG THỊ ÁNH TUYẾT") == "Đặng T. Á. T."
    assert mask_name("LÝ") == "Lý"
    assert mask_name("  ") == ""


GARBAGE = [
    "",
    "hello world",
    "https://example.com/?q=001090123456",
    "001090123456|012345678|NGUYỄN VĂN AN|01011950",  # too few fields
    "00109012345|012345678|NGUYỄN VĂN AN|01011950|Nam|x|15042021",  # 11-digit ID
    "001090123456|012345678|NGUYỄN VĂN AN|31021950|Nam|x|15042021",  # 31 February
    "001090123456|012345678|NGUYỄN VĂN AN|29021950|Nam|x|15042021",  # 1950 not a leap year
    "001090123456|012345678|NGUYỄN VĂN AN|01131950|Nam|x|15042021",  # month 13
    "001090123456|012345678|NGUYỄN VĂN AN|1-1-1950|Nam|x|15042021",
    "001090123456|012345678|NGUYỄN VĂN AN|01011950|Nam|x|00002021",  # issue date day 0
    "001090123456|012345678|NGUYỄN VĂN AN|01012030|Nam|x|15042021",  # born in the future
    "001090123456|012345678|NGUYỄN VĂN AN|01011850|Nam|x|15042021",  # 176 years old
    "001090123456|012345678|NGUYỄN VĂN AN|01011990|Nam|x|15041980",  # issued before birth
    "001090123456|012345678|NGUYỄN VĂN AN|01011990|X|x|15042021",  # sex field
    "001090123456|012345678||01011990|Nam|x|15042021",  # no name
]


@pytest.mark.parametrize("payload", GARBAGE)
def test_garbage_is_refused(payload: str) -> None:
    with pytest.raises(CccdError):
        parse_cccd_qr(payload, today=TODAY)


def test_invalid_utf8_is_refused() -> None:
    with pytest.raises(CccdError, match="not UTF-8"):
        parse_cccd_qr(LEGACY.encode()[:-3] + b"\xff\xfe", today=TODAY)


def test_oversized_input_refused_before_parsing() -> None:
    big = LEGACY + "|" + "x" * MAX_PAYLOAD_BYTES
    with pytest.raises(CccdError, match="too long"):
        parse_cccd_qr(big, today=TODAY)
    with pytest.raises(CccdError, match="too long"):
        parse_cccd_qr(big.encode(), today=TODAY)
    # 400 three-byte characters: 400 str chars, 1,200 bytes
    with pytest.raises(CccdError, match="too long"):
        parse_cccd_qr(LEGACY + "|" + "Ệ" * 400, today=TODAY)


_DIGIT_RUNS = re.compile(r"\d{6,}")


def test_nothing_identifying_reaches_logs_or_errors(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    texts: list[str] = []
    for payload in [LEGACY, NO_OLD_ID, SIX_FIELDS, CARD_2024, *GARBAGE, LEGACY + "x" * 2000]:
        try:
            texts.append(repr(parse_cccd_qr(payload, today=TODAY, with_name=True)))
        except CccdError as exc:
            texts.append(str(exc))
            texts.append(repr(exc.args))
            assert exc.__cause__ is None and (exc.__context__ is None or exc.__suppress_context__)
    texts.extend(record.getMessage() for record in caplog.records)
    assert caplog.records, "the parser is expected to log its decisions (without data)"
    joined = "\n".join(texts)
    for secret in ("001090123456", "012345678", "038190000123", "123456789", "001090999999"):
        assert secret not in joined
    assert not _DIGIT_RUNS.search(joined)
    for word in ("Bến Nghé", "NGUYỄN", "VĂN AN", "PHẠM VĂN E", "LÊ THỊ F", "01011950", "15042021"):
        assert word not in joined


@given(st.text(max_size=300) | st.binary(max_size=300))
def test_arbitrary_input_returns_a_holder_or_raises_cccd_error(payload: str | bytes) -> None:
    try:
        holder = parse_cccd_qr(payload, today=TODAY)
    except CccdError as exc:
        assert not _DIGIT_RUNS.search(str(exc))
    else:
        assert 0 <= holder.age <= 130
