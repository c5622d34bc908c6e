"""The kiosk's copy of the office: a new catalogue is taken only when it validates; the texts it shows exist."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from kiosk import i18n
from kiosk.catalogue import load_catalogue
from kiosk.config import office_from_state
from kiosk.office_copy import NOTICE_TEXT, catalogue_of
from queue_server.contract.office import Office, OfficeCounter, OfficeService
from queue_server.contract.office_feed import NOTICE_VI, OfficeNotice

GOOD = {"code": "9.000001", "name": "Thủ tục thử nghiệm", "field": "Hộ tịch", "source": "dichvucong.gov.vn"}


def office(catalogue: dict[str, object] | None) -> Office:
    return Office(
        office_id="tuan-giao",
        name="Tuần Giáo",
        services=(OfficeService(id="ho-tich", prefix="A", name_vi="Hộ tịch", name_en="Civil status"),),
        counters=(OfficeCounter(id="quay-1", number=1, services=("ho-tich",)),),
        catalogue=catalogue,
    ).versioned("2026-11-23T01:00:00+00:00")


def test_a_valid_catalogue_replaces_the_one_in_use() -> None:
    taken = catalogue_of(office({"version": 1, "procedures": [GOOD]}), load_catalogue())
    assert [p.name for p in taken] == ["Thủ tục thử nghiệm"]
    assert taken.search("thu nghiem")[0].code == "9.000001"


@pytest.mark.parametrize(
    "bad",
    [{"version": 2, "procedures": [GOOD]}, {"version": 1, "procedures": [{**GOOD, "code": "x"}]}, {"version": 1}],
)
def test_an_invalid_catalogue_is_logged_and_the_previous_kept(
    bad: dict[str, object], caplog: pytest.LogCaptureFixture
) -> None:
    previous = load_catalogue()
    with caplog.at_level(logging.ERROR):
        assert catalogue_of(office(bad), previous) is previous
    assert "keeping the one in use" in caplog.text


def test_no_catalogue_in_the_office_keeps_the_installed_one() -> None:
    previous = load_catalogue()
    assert catalogue_of(office(None), previous) is previous


def test_the_office_as_the_kiosk_shows_it() -> None:
    info = office_from_state(office(None))
    assert info.name == "Tuần Giáo" and [c.number for c in info.counters_for("ho-tich")] == [1]
    service = info.service("ho-tich")
    assert service is not None and service.name("en") == "Civil status"


@pytest.mark.parametrize("notice", list(OfficeNotice))
def test_every_notice_reads_the_same_as_the_firmwares_and_has_an_english_translation(notice: OfficeNotice) -> None:
    assert NOTICE_TEXT[notice] == NOTICE_VI[notice]
    i18n.set_language("en")
    try:
        assert i18n._(NOTICE_TEXT[notice]) != NOTICE_TEXT[notice]
    finally:
        i18n.set_language("vi")


def test_the_kiosk_data_catalogue_fits_in_state_office() -> None:
    from queue_server.contract.limits import MAX_PAYLOAD_BYTES

    document = json.loads((Path(__file__).parents[2] / "kiosk" / "data" / "procedures.json").read_text("utf-8"))
    assert len(json.dumps(office(document).model_dump(mode="json"), ensure_ascii=False).encode()) < MAX_PAYLOAD_BYTES
