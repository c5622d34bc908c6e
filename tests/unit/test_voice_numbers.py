"""Vietnamese number reading: every worked example of docs/shared reference (CLDR ``vi``), the options, properties."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from firmware.voice.numbers import (
    LIMIT,
    Reading,
    call_sentence,
    spell_digits,
    spell_label,
    spell_number,
    vocabulary,
)

CLDR_EXAMPLES = [
    # the reference's worked examples
    (7, "bảy"),
    (10, "mười"),
    (11, "mười một"),
    (15, "mười lăm"),
    (21, "hai mươi mốt"),
    (24, "hai mươi tư"),
    (55, "năm mươi lăm"),
    (101, "một trăm lẻ một"),
    (110, "một trăm mười"),
    (115, "một trăm mười lăm"),
    (1023, "một nghìn không trăm hai mươi ba"),
    (1204, "một nghìn hai trăm lẻ bốn"),
    # the rules' own examples
    (0, "không"),
    (1, "một"),
    (5, "năm"),
    (14, "mười bốn"),
    (20, "hai mươi"),
    (25, "hai mươi lăm"),
    (105, "một trăm lẻ năm"),
    (1005, "một nghìn không trăm lẻ năm"),
    (2000, "hai nghìn"),
    (1000000, "một triệu"),
    # more
    (4, "bốn"),
    (9, "chín"),
    (19, "mười chín"),
    (31, "ba mươi mốt"),
    (44, "bốn mươi tư"),
    (50, "năm mươi"),
    (99, "chín mươi chín"),
    (100, "một trăm"),
    (200, "hai trăm"),
    (211, "hai trăm mười một"),
    (250, "hai trăm năm mươi"),
    (999, "chín trăm chín mươi chín"),
    (1000, "một nghìn"),
    (1010, "một nghìn không trăm mười"),
    (1100, "một nghìn một trăm"),
    (10000, "mười nghìn"),
    (15000, "mười lăm nghìn"),
    (21000, "hai mươi mốt nghìn"),
    (100005, "một trăm nghìn không trăm lẻ năm"),
    (1000005, "một triệu không trăm lẻ năm"),
    (1001005, "một triệu một nghìn không trăm lẻ năm"),
    (1050000, "một triệu năm mươi nghìn"),
    (1000000000, "một tỷ"),
    (1000000000000, "một nghìn tỷ"),
]


@pytest.mark.parametrize(("number", "words"), CLDR_EXAMPLES)
def test_cldr_reading(number: int, words: str) -> None:
    assert spell_number(number) == words


@pytest.mark.parametrize(
    ("number", "reading", "words"),
    [
        (1023, Reading(thousand_word="ngàn"), "một ngàn không trăm hai mươi ba"),
        (105, Reading(zero_ten_word="linh"), "một trăm linh năm"),
        (1005, Reading(zero_ten_word="linh", thousand_word="ngàn"), "một ngàn không trăm linh năm"),
        (24, Reading(four_after_tens="bốn"), "hai mươi bốn"),
        (14, Reading(four_after_tens="tư"), "mười bốn"),  # "tư" only after "mươi"
        (4, Reading(four_after_tens="tư"), "bốn"),
    ],
)
def test_regional_options(number: int, reading: Reading, words: str) -> None:
    assert spell_number(number, reading) == words


@pytest.mark.parametrize(
    ("label", "reading", "words"),
    [
        ("A025", Reading(), "a, hai mươi lăm"),
        ("A025", Reading(ticket_reading="digits"), "a, không, hai, năm"),
        ("A1023", Reading(), "a, một, không, hai, ba"),  # auto: four digits are read one by one
        ("A1023", Reading(ticket_reading="cardinal"), "a, một nghìn không trăm hai mươi ba"),
        ("b-7", Reading(), "bê, bảy"),
        ("C 15", Reading(), "xê, mười lăm"),
        ("12", Reading(), "mười hai"),
        ("AB3", Reading(), "a, bê, ba"),
        ("Đ001", Reading(), "đê, một"),
    ],
)
def test_labels(label: str, reading: Reading, words: str) -> None:
    assert spell_label(label, reading) == words


def test_call_sentence() -> None:
    assert call_sentence("A025", 3) == "Kính mời công dân có số thứ tự a, hai mươi lăm, đến quầy số ba."
    assert call_sentence("B7", 12, template="Mời số {ticket}, đến quầy số {counter}") == (
        "Mời số bê, bảy, đến quầy số mười hai"
    )
    digits = call_sentence("A025", 3, reading=Reading(ticket_reading="digits"))
    assert "a, không, hai, năm, đến quầy số ba" in digits


@pytest.mark.parametrize("bad", [-1, LIMIT])
def test_out_of_range(bad: int) -> None:
    with pytest.raises(ValueError, match=str(bad)):
        spell_number(bad)


@pytest.mark.parametrize("bad", [True, 1.0, "1"])
def test_not_an_int(bad: object) -> None:
    with pytest.raises(TypeError):
        spell_number(bad)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["", "A", "025A", "A0-25", "Q?1", "ж1"])
def test_bad_labels(bad: str) -> None:
    with pytest.raises(ValueError):
        spell_label(bad)


def test_spell_digits_rejects_non_digits() -> None:
    with pytest.raises(ValueError):
        spell_digits("١٢")  # Arabic-Indic digits are digits to str.isdigit, not to a ticket printer


readings = st.builds(
    Reading,
    thousand_word=st.sampled_from(["nghìn", "ngàn"]),
    zero_ten_word=st.sampled_from(["lẻ", "linh"]),
    four_after_tens=st.sampled_from(["tư", "bốn"]),
)


@given(st.integers(min_value=0, max_value=LIMIT - 1), readings)
def test_words_are_known_nfc_and_single_spaced(number: int, reading: Reading) -> None:
    words = spell_number(number, reading)
    assert unicodedata.is_normalized("NFC", words)
    assert "  " not in words and words == words.strip()
    assert set(words.split(" ")) <= vocabulary(reading)


@given(st.integers(min_value=1, max_value=999_999))
def test_thousands_reading_is_composed_from_its_parts(number: int) -> None:
    high, rest = divmod(number, 1000)
    if high and rest >= 100:
        assert spell_number(number) == f"{spell_number(high)} nghìn {spell_number(rest)}"
    elif high and rest:
        assert spell_number(number).startswith(f"{spell_number(high)} nghìn không trăm ")


@given(st.from_regex(r"[A-D]?[0-9]{1,6}", fullmatch=True), st.sampled_from(["auto", "cardinal", "digits"]))
def test_labels_use_only_known_words(label: str, mode: str) -> None:
    reading = Reading(ticket_reading=mode)  # type: ignore[arg-type]
    words = spell_label(label, reading)
    assert unicodedata.is_normalized("NFC", words) and "  " not in words
    assert set(words.replace(",", "").split()) <= vocabulary(reading)
