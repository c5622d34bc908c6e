"""The shipped procedure catalogue: converted faithfully, NFC throughout, bad entries named precisely."""

from __future__ import annotations

import copy
import json
import unicodedata
from pathlib import Path
from typing import Any

import pytest

from kiosk.catalogue import DEFAULT_PATH, CatalogueError, load_catalogue, validate_document
from kiosk.tools.convert_procedures import convert

REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "reference" / "procedures.json"


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DEFAULT_PATH.read_text(encoding="utf-8"))
    return data


def test_ships_38_procedures_with_office_service_ids() -> None:
    catalogue = load_catalogue()
    assert len(catalogue) == 38
    birth = catalogue.get("1.001193")
    assert birth is not None and birth.name == "Thủ tục đăng ký khai sinh"
    assert birth.service_id == "ho-tich" and birth.field == "Hộ tịch"
    assert birth.papers and birth.source.startswith("https://dichvucong.gov.vn/")
    by_field = {p.field: p.service_id for p in catalogue}
    assert by_field["Chứng thực"] == "chung-thuc"
    assert by_field["Đất đai"] == "dat-dai"
    assert by_field["Đăng ký, quản lý cư trú"] == "cu-tru"
    assert by_field["Giảm nghèo"] is None  # not served by the sample office: kept under its own field name
    assert catalogue.fields()[0] == "Hộ tịch"
    assert len(catalogue.in_field("Chứng thực")) == 6


def test_every_text_is_nfc() -> None:
    raw = DEFAULT_PATH.read_text(encoding="utf-8")
    assert unicodedata.is_normalized("NFC", raw)


def test_missing_fee_and_time_limit_are_none_not_text() -> None:
    catalogue = load_catalogue()
    copy_of_birth_cert = catalogue.get("2.000635")
    assert copy_of_birth_cert is not None and copy_of_birth_cert.time_limit is None
    temporary_absence = catalogue.get("1.003677")
    assert temporary_absence is not None and temporary_absence.fee is None


@pytest.mark.skipif(not REFERENCE.is_file(), reason="shared reference folder not present")
def test_committed_file_is_the_converter_output() -> None:
    expected = convert(json.loads(REFERENCE.read_text(encoding="utf-8")))
    assert json.loads(DEFAULT_PATH.read_text(encoding="utf-8")) == expected


def test_nfd_input_is_normalised_on_load(document: dict[str, Any]) -> None:
    doc = copy.deepcopy(document)
    doc["procedures"][0]["name"] = unicodedata.normalize("NFD", doc["procedures"][0]["name"])
    (procedure, *_) = validate_document(doc)
    assert procedure.name == "Thủ tục đăng ký khai sinh"
    assert unicodedata.is_normalized("NFC", procedure.name)


def test_bad_entries_are_each_named_by_index_code_and_field(document: dict[str, Any]) -> None:
    doc = copy.deepcopy(document)
    doc["procedures"][3]["code"] = "1-004873"
    doc["procedures"][5]["name"] = ""
    doc["procedures"][7]["papers"] = ["ok", ""]
    doc["procedures"][9]["colour"] = "red"
    with pytest.raises(CatalogueError) as caught:
        validate_document(doc)
    problems = caught.value.problems
    assert any(p.startswith("procedure #3 (code 1-004873): field 'code'") for p in problems)
    assert any(p.startswith("procedure #5 (code 1.004884): field 'name'") for p in problems)
    assert any(p.startswith("procedure #7 (code 2.000635): field 'papers'") for p in problems)
    assert any(p.startswith("procedure #9 (code 2.000986): field 'colour'") for p in problems)
    assert len(problems) == 4


def test_duplicate_code_is_refused(document: dict[str, Any]) -> None:
    doc = copy.deepcopy(document)
    doc["procedures"][1]["code"] = doc["procedures"][0]["code"]
    with pytest.raises(CatalogueError, match=r"procedure #1 \(code 1.001193\): field 'code': duplicate of #0"):
        validate_document(doc)


def test_wrong_version_and_unreadable_file(tmp_path: Path, document: dict[str, Any]) -> None:
    with pytest.raises(CatalogueError, match="version 2"):
        validate_document({**document, "version": 2})
    bad = tmp_path / "procedures.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(CatalogueError, match="cannot read"):
        load_catalogue(bad)
