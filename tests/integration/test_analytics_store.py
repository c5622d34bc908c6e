"""The report from events read back from a real store equals the report from the engine's events in memory."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, timedelta, timezone

from queue_server.analytics import GroupBy, period_report
from queue_server.engine import commands as cmd
from queue_server.engine.setup import Outcome
from queue_server.store import Commit, EventStore
from tests.unit.engine_helpers import T0, Office, make_setup

SETUP = replace(make_setup(), office_id="xa-phu-dong")


def a_busy_day() -> Office:
    """15 visits in an hour; c2 serves every 8 minutes (8 dossiers, one rated dissatisfied); a transfer,
    a no-show and tickets left waiting that expire when the next day starts."""
    office = Office(SETUP)
    office.run(cmd.SignIn("c1", "s1"))
    office.run(cmd.SignIn("c2", "s2"))

    def at(minutes: float) -> datetime:
        return T0 + timedelta(minutes=minutes)

    for minute in range(0, 60, 4):
        office.issue(("land", "justice", "business")[(minute // 4) % 3], at=at(minute))
        if minute % 8 == 0:
            office.call("c2", at=at(minute + 1))
            office.run(cmd.FinishService("c2", Outcome.DOSSIER_RECEIVED, f"HS-{minute}"), at=at(minute + 3))
            office.run(cmd.RateService("c2", "dissatisfied" if minute == 16 else "satisfied"), at=at(minute + 3.5))
    office.call("c2", at=at(61))
    office.run(cmd.Transfer("c2", to_service_id="land", to_counter_id="c1"), at=at(64))
    office.call("c1", at=at(65))
    office.run(cmd.SkipTicket("c1"), at=at(66))
    office.call("c3", at=at(67))
    office.finish("c3", at=at(72))
    office.issue("land", at=datetime(2025, 3, 4, 8, 0, tzinfo=UTC7))  # next day: the rest expire
    return office


UTC7 = timezone(timedelta(hours=7))


def test_the_report_from_a_store_equals_the_report_from_memory(store_url: str) -> None:
    office = a_busy_day()
    store = EventStore(store_url, SETUP.office_id)
    try:
        store.migrate()
        store.commit([Commit(None, None, [event], {}) for event in office.events])
        read_back = [s.event for s in store.events(batch_size=7)]
    finally:
        store.close()
    start, end = date(2025, 3, 3), date(2025, 3, 4)
    from_store = period_report(read_back, SETUP, start, end)
    from_memory = period_report(office.events, SETUP, start, end)
    assert from_store == from_memory
    figures = from_memory.overall
    assert figures.visits == 16 and figures.dossiers_received == 8 and figures.dossiers_unsatisfied == 1
    assert figures.expired > 0 and figures.transfers == 1 and figures.no_shows == 1
    assert {g.key for g in from_memory.groups[GroupBy.STAFF]} == {"s1", "s2"}
