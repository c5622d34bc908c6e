"""Search that ignores diacritics and case, ranks name matches first, and finds every name however typed."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kiosk.catalogue import Catalogue, load_catalogue
from kiosk.text import fold
from queue_server.bench.kiosk import build_catalogue, keystrokes, search_p99_ms

CATALOGUE = load_catalogue()
NAMES = [p.name for p in CATALOGUE]


def names(query: str, catalogue: Catalogue = CATALOGUE) -> list[str]:
    return [p.name for p in catalogue.search(query)]


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Đăng ký khai sinh", "dang ky khai sinh"),
        ("ĐĂNG KÝ", "dang ky"),
        (unicodedata.normalize("NFD", "Chứng thực"), "chung thuc"),
        ("Hòa giải, tranh-chấp  đất đai", "hoa giai tranh chap dat dai"),
        ("  ", ""),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_plain_ascii_query_finds_birth_registration_first() -> None:
    assert names("dang ky khai sinh")[0] == "Thủ tục đăng ký khai sinh"


def test_upper_case_with_diacritics_finds_registrations() -> None:
    found = names("ĐĂNG KÝ")
    assert "Thủ tục đăng ký khai sinh" in found
    assert "Đăng ký thường trú" in found
    # names starting with the query come before names merely containing it
    assert found[0].startswith("Đăng ký")


def test_chung_thuc_finds_certified_copies() -> None:
    found = names("chung thuc")
    assert any(name.startswith("Chứng thực bản sao") for name in found)
    assert all("chung thuc" in fold(name) for name in found[:5])
    # then the field's procedure whose name lacks the words (matched through its field)
    assert found[5] == "Thủ tục cấp bản sao từ sổ gốc"


def test_every_query_word_must_be_present() -> None:
    found = names("khai sinh nuoc ngoai")
    assert found == ["Thủ tục đăng ký khai sinh có yếu tố nước ngoài"]
    assert names("khai sinh xyzzy") == []


def test_name_matches_rank_before_paper_matches() -> None:
    # "giấy chứng sinh" is a paper of birth registration, not a word of any name
    found = names("giay chung sinh")
    assert found and found[0] == "Thủ tục đăng ký khai sinh"
    tam_tru = CATALOGUE.search("tam tru")
    assert tam_tru[0].name == "Đăng ký tạm trú"
    in_name = [fold("tam tru") in fold(p.name) for p in tam_tru]
    assert in_name == sorted(in_name, reverse=True)


def test_partial_last_word_matches_while_typing() -> None:
    assert set(names("dang ky kh")[:2]) == {"Thủ tục đăng ký khai sinh", "Thủ tục đăng ký khai tử"}
    assert "Đăng ký thường trú" in names("thuong t")


def test_code_and_limit_and_empty_query() -> None:
    assert names("1.001193") == ["Thủ tục đăng ký khai sinh"]
    assert len(CATALOGUE.search("dang ky", limit=3)) == 3
    assert CATALOGUE.search("") == [] and CATALOGUE.search(" ,. ") == []


_VARIANTS = st.sampled_from(
    [
        lambda s: s,
        lambda s: unicodedata.normalize("NFD", s),
        str.upper,
        str.lower,
        lambda s: unicodedata.normalize("NFD", s.upper()),
        fold,
    ]
)


@given(name=st.sampled_from(NAMES), variant=_VARIANTS)
def test_any_spelling_of_a_name_finds_it_first(name: str, variant: object) -> None:
    query = variant(name)  # type: ignore[operator]
    assert names(query)[0] == name


@given(name=st.sampled_from(NAMES), cut=st.integers(min_value=1, max_value=200))
def test_every_keystroke_prefix_of_a_name_finds_it(name: str, cut: int) -> None:
    typed = unicodedata.normalize("NFD", name)[:cut]
    if fold(typed):
        assert name in names(typed)


def test_bench_catalogue_and_keystrokes() -> None:
    catalogue = build_catalogue(100)
    assert len(catalogue) == 100 and len({p.code for p in catalogue}) == 100
    assert keystrokes("abc") == ["a", "ab", "abc"]
    assert search_p99_ms(n=50, rounds=1) > 0
