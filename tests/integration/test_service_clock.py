"""The service on a real SQLite store: stamps never go below the last stored event (across restarts), a doubted
clock refuses tickets and new days (``clock_not_synced``, not remembered), and a setup the engine refuses is an
ERROR at start, never "recorded"."""

from __future__ import annotations

import dataclasses
import itertools
import json
import logging
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from queue_server.config import load_settings
from queue_server.contract import topics
from queue_server.engine.setup import OfficeSetup
from queue_server.service import DeviceInfo, OfficeService
from queue_server.store.event_store import EventStore
from queue_server.trusted_clock import TrustedClock

OFFICE = "tuan-giao"
DEVICES = {"kiosk-01": DeviceInfo("kiosk-01", "kiosk")}
MORNING = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)


class Wall:
    def __init__(self, now: datetime) -> None:
        self.now, self.mono = now, 0.0

    def __call__(self) -> datetime:
        self.now += timedelta(seconds=1)
        self.mono += 1
        return self.now


def service(store: EventStore, clock: object, setup: OfficeSetup | None = None) -> OfficeService:
    ids = (f"t{i:04d}-{id(clock)}" for i in itertools.count())
    office = OfficeService(
        setup=setup or load_settings().office_setup(),
        store=store,
        devices=DEVICES.get,
        clock=clock,  # type: ignore[arg-type]
        new_id=lambda: next(ids),
    )
    office.start()
    return office


def issue(office: OfficeService, request_id: str) -> dict[str, object]:
    payload = {"v": 1, "id": request_id, "type": "issue_ticket", "body": {"service_id": "ho-tich"}}
    out = office.handle([(topics.request(OFFICE, "kiosk-01"), json.dumps(payload).encode())])
    replies = [json.loads(p.payload) for p in out if p.topic == topics.reply(OFFICE, "kiosk-01")]
    assert len(replies) == 1
    reply: dict[str, object] = replies[0]
    return reply


def trusted(wall: Wall) -> TrustedClock:
    return TrustedClock(sync=None, wall=wall, monotonic=lambda: wall.mono, release_date=date(2026, 11, 1))


def test_stamps_never_go_below_the_last_stored_event_across_a_restart(tmp_path: Path) -> None:
    store = EventStore(f"sqlite:///{tmp_path}/office.db", OFFICE)
    store.migrate()
    try:
        first = issue(service(store, Wall(MORNING)), "request-1")
        assert first["ok"] is True
        # restarted with a clock an hour behind and no judge (a plain clock): the floor alone holds the order
        second = issue(service(store, Wall(MORNING - timedelta(hours=1))), "request-2")
        assert second["ok"] is True
        stamps = [s.event.at for s in store.events()]
        assert stamps == sorted(stamps) and str(second["at"]) >= str(first["at"])
    finally:
        store.close()


def test_a_clock_behind_the_last_event_refuses_tickets_until_confirmed(tmp_path: Path) -> None:
    store = EventStore(f"sqlite:///{tmp_path}/office.db", OFFICE)
    store.migrate()
    try:
        assert issue(service(store, trusted(Wall(MORNING))), "request-1")["ok"] is True
        clock = trusted(Wall(MORNING - timedelta(days=1)))
        office = service(store, clock)
        refused = issue(office, "request-2")
        assert refused["ok"] is False and refused["error"]["code"] == "clock_not_synced"  # type: ignore[index]
        assert "behind the last event" in refused["error"]["message"]  # type: ignore[index]
        assert store.find_reply("kiosk-01", "request-2") is None  # not remembered: the same request may succeed later
        clock.confirm("boss")
        accepted = issue(office, "request-2")
        assert accepted["ok"] is True and accepted["result"]["ticket"]["label"] == "A002"  # type: ignore[index]
        stamps = [s.event.at for s in store.events()]
        assert stamps == sorted(stamps)
    finally:
        store.close()


def test_a_setup_the_engine_refuses_is_an_error_never_recorded(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    good = load_settings().office_setup()
    bad = dataclasses.replace(good, utc_offset_minutes=2000)  # past the config's own validation: the engine's rule
    store = EventStore(f"sqlite:///{tmp_path}/office.db", OFFICE)
    store.migrate()
    try:
        with caplog.at_level(logging.INFO, logger="queue_server.service"):
            service(store, Wall(MORNING), setup=bad)
        messages = [(r.levelno, r.getMessage()) for r in caplog.records]
        assert not any("office setup recorded" in m for _, m in messages)
        assert (logging.ERROR, "office setup NOT recorded, refused by the engine: utc_offset_minutes outside "
                "-12h..+14h (-720..840)") in messages  # fmt: skip
    finally:
        store.close()
