"""The hall board model: calls, flashing, recalls, stale state, reconnects, the offline banner."""

from __future__ import annotations

from typing import Any

import pytest

from firmware.display.board_model import (
    LINK_LOST_BANNER,
    SERVER_OFFLINE_BANNER,
    Announcement,
    CallRow,
    CounterRow,
    HallBoardModel,
)
from queue_server.contract import topics
from tests.fakes import MonotonicClock

OFFICE = "tuan-giao"
SERVICES = {"ho-tich": "Hộ tịch", "chung-thuc": "Chứng thực", "dat-dai": "Đất đai"}
BOARD, WAITING, SERVER = topics.board_state(OFFICE), topics.waiting_state(OFFICE), topics.server_status(OFFICE)


def call(label: str, counter: int, at: str, serving: bool = True) -> dict[str, Any]:
    return {"label": label, "counter_id": f"quay-{counter}", "counter_number": counter, "at": at, "serving": serving}


def board(*recent: dict[str, Any]) -> dict[str, Any]:
    return {"v": 1, "recent": list(recent), "at": "2026-11-23T08:00:00+07:00"}


def counter(n: int, label: str | None, paused: bool = False) -> tuple[str, dict[str, Any]]:
    serving = {"ticket_id": f"t-{label}", "label": label, "service_id": "ho-tich", "priority": False, "since": "x"}
    data = {"counter_id": f"quay-{n}", "number": n, "services": [], "paused": paused, "staff_id": None,
            "serving": serving if label else None}  # fmt: skip
    return topics.counter_state(OFFICE, f"quay-{n}"), data


@pytest.fixture
def clock() -> MonotonicClock:
    return MonotonicClock()


@pytest.fixture
def model(clock: MonotonicClock) -> HallBoardModel:
    m = HallBoardModel(OFFICE, SERVICES, flash_seconds=6.0, flash_period=0.5, clock=clock)
    m.set_link(True)
    m.update(SERVER, {"online": True})
    assert m.update(BOARD, board()) == []  # the first board is history
    return m


def test_a_new_call_is_announced_highlighted_and_flashes_then_stays_steady(
    model: HallBoardModel, clock: MonotonicClock
) -> None:
    assert model.update(BOARD, board(call("A001", 1, "08:01"))) == [Announcement("A001", 1)]
    row = model.view().calls[0]
    assert row == CallRow("A001", 1, True, highlighted=True, flashing=True, flash_on=True)
    clock.now += 0.6
    assert model.view().calls[0].flash_on is False and model.view().calls[0].flashing
    clock.now += 0.5
    assert model.view().calls[0].flash_on is True
    clock.now += 6.0
    assert model.view().calls[0] == CallRow("A001", 1, True, highlighted=True, flashing=False, flash_on=False)
    # the same retained board again (e.g. after a finish elsewhere) announces nothing
    assert model.update(BOARD, board(call("A001", 1, "08:01"))) == []


def test_only_the_newest_is_highlighted_and_calls_are_announced_oldest_first(model: HallBoardModel) -> None:
    model.update(BOARD, board(call("A001", 1, "08:01")))
    both = board(call("B001", 3, "08:03"), call("A002", 2, "08:02"), call("A001", 1, "08:01"))
    assert model.update(BOARD, both) == [Announcement("A002", 2), Announcement("B001", 3)]
    calls = model.view().calls
    assert [c.label for c in calls] == ["B001", "A002", "A001"]
    assert [c.highlighted for c in calls] == [True, False, False]


def test_first_board_after_start_is_shown_but_not_announced(clock: MonotonicClock) -> None:
    m = HallBoardModel(OFFICE, SERVICES, clock=clock)
    m.set_link(True)
    assert m.update(BOARD, board(call("A001", 1, "08:01"))) == []
    assert m.view().calls == (CallRow("A001", 1, True, highlighted=True),)


def test_a_recall_is_announced_again_and_shown_once(model: HallBoardModel, clock: MonotonicClock) -> None:
    model.update(BOARD, board(call("A001", 1, "08:01")))
    clock.now += 30
    recalled = board(call("A001", 1, "08:02"), call("A001", 1, "08:01"))
    assert model.update(BOARD, recalled) == [Announcement("A001", 1)]
    assert [c.label for c in model.view().calls] == ["A001"]
    assert model.view().calls[0].flashing  # flashes again


def test_stale_serving_is_never_shown_as_current(model: HallBoardModel) -> None:
    model.update(*counter(1, "A001"))
    model.update(BOARD, board(call("A001", 1, "08:01")))
    assert model.view().calls[0].current
    model.update(*counter(1, None))  # finished: the counter's state is newer than the board's flag
    row = model.view().calls[0]
    assert not row.current and not row.highlighted
    assert model.view().counters == (CounterRow(1, None, False),)
    model.update(BOARD, board(call("A001", 1, "08:01", serving=False)))
    assert not model.view().calls[0].current


def test_counters_and_waiting_are_shown_with_names_from_config(model: HallBoardModel) -> None:
    model.update(*counter(2, "A002"))
    model.update(*counter(1, None, paused=True))
    model.update(WAITING, {"waiting": {"dat-dai": 0, "ho-tich": 4, "khac": 1}})
    view = model.view()
    assert view.counters == (CounterRow(1, None, True), CounterRow(2, "A002", False))
    assert view.waiting == (("Hộ tịch", 4), ("Đất đai", 0), ("khac", 1))


def test_link_lost_and_server_offline_show_a_banner_and_nothing_current(model: HallBoardModel) -> None:
    model.update(*counter(1, "A001"))
    model.update(BOARD, board(call("A001", 1, "08:01")))
    assert model.view().banner is None
    model.set_link(False)
    view = model.view()
    assert view.banner == LINK_LOST_BANNER and view.stale
    assert not any(c.current or c.highlighted for c in view.calls)
    assert view.counters == (CounterRow(1, None, False),)
    model.set_link(True)
    model.update(SERVER, {"online": False})
    assert model.view().banner == SERVER_OFFLINE_BANNER and not model.view().calls[0].current
    model.update(SERVER, {"online": True})
    assert model.view().banner is None and model.view().calls[0].current


def test_reconnect_with_retained_state_is_right_at_once(model: HallBoardModel) -> None:
    model.update(*counter(1, "A001"))
    model.update(BOARD, board(call("A001", 1, "08:01")))
    model.set_link(False)
    # while away: A001 finished, A002 called at counter 1; the retained messages arrive on reconnect
    model.set_link(True)
    model.update(*counter(1, "A002"))
    announced = model.update(BOARD, board(call("A002", 1, "08:05"), call("A001", 1, "08:01", serving=False)))
    assert announced == [Announcement("A002", 1)]
    view = model.view()
    assert view.banner is None
    assert [(c.label, c.current, c.highlighted) for c in view.calls] == [("A002", True, True), ("A001", False, False)]
    assert view.counters == (CounterRow(1, "A002", False),)


def test_a_new_office_copy_relabels_the_fields_and_a_cached_one_is_said_while_calls_stay_live(
    model: HallBoardModel,
) -> None:
    model.update(WAITING, {"v": 1, "day": "2026-11-23", "waiting": {"ho-tich": 2}})
    model.update(*counter(1, "A001"))
    model.update(BOARD, board(call("A001", 1, "08:01")))
    assert model.view().waiting == (("Hộ tịch", 2),)
    model.set_services({"ho-tich": "Hộ tịch – Khai sinh"})
    assert model.view().waiting == (("Hộ tịch – Khai sinh", 2),)
    cached = "Đang dùng cấu hình lưu sẵn (máy chủ chưa kết nối)"
    model.notice_source = lambda connected: cached
    view = model.view()
    assert view.banner == cached and view.calls[0].current  # only the office copy is old, not the calls
    model.set_link(False)
    assert model.view().banner == f"{LINK_LOST_BANNER} · {cached}"
