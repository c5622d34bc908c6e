"""``state/office``: built from the replayed setup and catalogue, one encode/parse, a cache that survives junk."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest

from queue_server.config import load_settings
from queue_server.contract import office, topics
from queue_server.contract.limits import MAX_PAYLOAD_BYTES
from queue_server.contract.office_feed import OfficeFeed, OfficeNotice
from queue_server.engine import commands as cmd
from queue_server.engine.decide import decide
from queue_server.engine.hours import hours_to_json
from queue_server.engine.state import QueueState
from queue_server.views import office_view

NOW = datetime(2026, 3, 2, 2, 0, tzinfo=UTC)
CATALOGUE = {"version": 1, "procedures": [{"code": "1.001", "name": "Đăng ký khai sinh"}]}


def _state(*commands: cmd.Command) -> QueueState:
    state = QueueState()
    for command in (cmd.ConfigureOffice(load_settings().office_setup()), *commands):
        for event in decide(state, command, NOW, lambda: "x"):
            state.apply(event)
    return state


def _office(state: QueueState) -> office.Office:
    return office.Office.model_validate({**office_view(state), "published_at": NOW.isoformat()})


def test_the_view_carries_services_counters_and_rating_but_no_staff() -> None:
    state = _state()
    setup = state.setup
    assert setup is not None
    got = _office(state)
    assert [(s.id, s.prefix, s.name_vi) for s in got.services] == [(s.id, s.prefix, s.name_vi) for s in setup.services]
    assert [(c.id, c.services) for c in got.counters] == [(c.id, c.service_ids) for c in setup.counters]
    assert [r.code for r in got.rating_scale] == [r.code for r in setup.rating_scale]
    assert got.catalogue is None
    assert all(s.name not in office.encode(got).decode() for s in setup.staff if s.name)


def test_encode_then_parse_gives_the_same_office_and_a_changed_setup_a_new_version() -> None:
    first = _office(_state())
    assert office.parse(office.encode(first)) == first
    setup = load_settings().office_setup()
    renamed = setup.services[0].__class__(**{**setup.services[0].__dict__, "name_vi": "Hộ tịch mới"})
    changed = _office(
        _state(cmd.ConfigureOffice(setup.__class__(**{**setup.__dict__, "services": (renamed, *setup.services[1:])})))
    )
    assert changed.version != first.version
    assert changed.services[0].name_vi == "Hộ tịch mới"


def test_an_uploaded_catalogue_travels_and_changes_the_version() -> None:
    before = _office(_state())
    after = _office(_state(cmd.UploadCatalogue(json.dumps(CATALOGUE, ensure_ascii=False))))
    assert after.catalogue == CATALOGUE
    assert after.catalogue_sha256 is not None and after.version != before.version


@pytest.mark.parametrize(
    "payload",
    [b"", b"not json", b"[]", b'{"v": 2}', b'{"v": 1, "office_id": "x"}', b"x" * (MAX_PAYLOAD_BYTES + 1)],
)
def test_parse_refuses_what_is_not_an_office(payload: bytes) -> None:
    with pytest.raises(office.OfficeError):
        office.parse(payload)


def test_parse_refuses_a_copy_altered_after_its_version_was_computed() -> None:
    data = json.loads(office.encode(_office(_state())))
    data["name"] = "Somewhere else"
    with pytest.raises(office.OfficeError, match="version"):
        office.parse(json.dumps(data).encode())


def test_encode_refuses_an_office_over_the_broker_limit() -> None:
    big = {"version": 1, "procedures": [{"code": str(i), "name": "x" * 1000} for i in range(300)]}
    with pytest.raises(office.OfficeError, match="limit"):
        office.encode(_office(_state(cmd.UploadCatalogue(json.dumps(big)))))


def test_the_cache_round_trips_and_ignores_a_corrupt_file(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    cache = office.OfficeCache(tmp_path / "cache" / "office.json")
    assert cache.load() is None
    saved = _office(_state())
    cache.save(saved)
    assert cache.load() == saved
    assert [p.name for p in cache.path.parent.iterdir()] == ["office.json"]  # no temporary left behind
    cache.path.write_bytes(office.encode(saved)[:-10])
    with caplog.at_level(logging.WARNING):
        assert cache.load() is None
    assert "office cache ignored" in caplog.text


def test_the_feed_starts_from_its_cache_takes_the_servers_copy_and_says_which_it_runs_on(tmp_path: Path) -> None:
    path = tmp_path / "office.json"
    first = _office(_state())
    office.OfficeCache(path).save(first)
    feed = OfficeFeed("tuan-giao", path)
    applied: list[office.Office] = []
    feed.on_change(applied.append)
    assert feed.start() == first
    assert feed.notice(connected=False) is OfficeNotice.CACHED_SERVER_OFFLINE
    assert feed.on_state(topics.server_status("tuan-giao"), {"v": 1, "online": True})
    assert feed.notice() is OfficeNotice.CACHED_SERVER_OFFLINE  # online, but its copy not received yet
    renamed = _office(_state(cmd.UploadCatalogue(json.dumps(CATALOGUE))))
    assert feed.on_state(feed.topic, json.loads(office.encode(renamed)))
    assert applied == [renamed] and feed.notice() is None and feed.from_server
    assert office.OfficeCache(path).load() == renamed  # the next start begins from it
    assert not feed.on_state(topics.board_state("tuan-giao"), {"v": 1, "recent": []})  # not the feed's


def test_the_feed_keeps_its_copy_when_the_server_sends_a_bad_one_and_says_it_is_older(tmp_path: Path) -> None:
    feed = OfficeFeed("tuan-giao", tmp_path / "office.json")
    assert feed.start() is None and feed.notice() is OfficeNotice.NO_OFFICE
    good = _office(_state())
    feed.on_state(topics.server_status("tuan-giao"), {"v": 1, "online": True})
    feed.on_state(feed.topic, json.loads(office.encode(good)))
    assert feed.notice() is None
    altered = {**json.loads(office.encode(good)), "name": "Altered"}
    other = json.loads(office.encode(good.model_copy(update={"office_id": "muong-ang"}).versioned("x")))
    for bad in (altered, other):
        feed.on_state(feed.topic, bad)
        assert feed.office == good and feed.notice() is OfficeNotice.OLDER_THAN_SERVER


def test_the_opening_hours_travel_as_office_time_text() -> None:
    setup = _state().setup
    assert setup is not None
    hours = _office(_state()).hours
    assert len(hours.sessions) == len(setup.hours.sessions)
    first = setup.hours.sessions[0]
    assert (hours.sessions[0].weekday, hours.sessions[0].start) == (first.weekday, first.start.strftime("%H:%M"))
    assert hours.model_dump(mode="json") == hours_to_json(setup.hours)  # the one JSON, as in OfficeConfigured


def test_a_field_from_a_newer_server_is_ignored_not_refused() -> None:
    data = {k: v for k, v in json.loads(office.encode(_office(_state()))).items() if k not in ("version",)}
    data["queue_screens"] = {"hall": 2}  # something this device does not know yet
    data["version"] = office._hash(data)
    assert office.parse_data(data).name == data["name"]
