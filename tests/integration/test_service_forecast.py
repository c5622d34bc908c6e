"""The wait forecast on the issue path (real SQLite store): the reply carries it in office time, and the
capacity cut-off refuses a ticket predicted after closing, storing nothing, unless the kiosk accepts it."""

from __future__ import annotations

import itertools
import json
from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any

from queue_server.config import load_settings
from queue_server.engine.hours import OpeningHours, Session
from queue_server.forecasting import ForecastPolicy
from queue_server.service import OfficeService
from queue_server.store.event_store import EventStore
from tests.fakes import SteppingClock
from tests.integration.test_service import DEVICES, make_service, replies, request, store


def _service(store: EventStore, until: time, clock: SteppingClock | None = None, **kwargs: Any) -> OfficeService:
    """The sample office open on Mondays from 08:00 to ``until`` only (the test clock starts Monday 08:00)."""
    hours = OpeningHours(sessions=(Session(0, time(8, 0), until),))
    ids = (f"t{i:04d}" for i in itertools.count())
    setup = replace(load_settings().office_setup(), hours=hours)
    service = OfficeService(
        setup=setup,
        store=store,
        devices=DEVICES.get,
        clock=clock or SteppingClock(),
        new_id=lambda: next(ids),
        **kwargs,
    )
    service.start()
    return service


__all__ = ["store"]


def _issue(service: object, n: int, **body: object) -> dict[str, object]:
    out = service.handle([request("kiosk-01", f"req-{n:08d}", "issue_ticket", service_id="ho-tich", **body)])  # type: ignore[attr-defined]
    [reply] = replies(out, "kiosk-01")
    return reply


def test_the_issue_reply_carries_the_forecast_in_office_time(store: EventStore) -> None:
    service = make_service(store)
    first = _issue(service, 1)
    for n in range(2, 12):
        reply = _issue(service, n)
    forecast = reply["result"]["forecast"]  # type: ignore[index]
    assert set(forecast) == {"position", "wait_minutes", "call_at", "call_at_low", "call_at_high", "after_closing"}
    assert forecast["position"] == 10 and reply["result"]["ticket"]["people_ahead"] == 10  # type: ignore[index]
    low, high = forecast["wait_minutes"]["low"], forecast["wait_minutes"]["high"]
    assert 0 < low <= high
    call_at = datetime.fromisoformat(forecast["call_at"])
    assert call_at.utcoffset() == timedelta(hours=7)  # the office's zone, whatever the server's
    issued = datetime.fromisoformat(reply["at"])  # type: ignore[arg-type]
    assert issued + timedelta(minutes=low - 1) <= call_at <= issued + timedelta(minutes=high + 1)
    assert forecast["after_closing"] is False
    assert first["result"]["forecast"]["position"] == 0  # type: ignore[index]


def test_the_cut_off_refuses_a_late_ticket_storing_nothing_and_accept_late_issues_it(store: EventStore) -> None:
    service = _service(store, time(8, 30), forecast=ForecastPolicy(cutoff=True))  # 08:00 in Tuần Giáo
    for n in range(1, 4):
        assert _issue(service, n)["ok"] is True
    n = 4
    while True:  # three counters serve ho-tich at 8 minutes each: soon a number would be called after 08:30
        reply = _issue(service, n)
        if not reply["ok"]:
            break
        n += 1
        assert n < 60, "the cut-off never refused"
    error = reply["error"]
    assert error["code"] == "after_closing"  # type: ignore[index]
    assert error["forecast"]["after_closing"] is True  # type: ignore[index]
    assert datetime.fromisoformat(error["forecast"]["call_at"]) > datetime.fromisoformat(error["closing_at"])  # type: ignore[index]
    assert datetime.fromisoformat(error["next_opening"]).utcoffset() == timedelta(hours=7)  # type: ignore[index]
    stored = store.last_seq()
    assert _issue(service, n + 1)["ok"] is False and store.last_seq() == stored  # nothing stored by a refusal
    accepted = _issue(service, n + 2, accept_late=True)
    assert accepted["ok"] is True and accepted["result"]["forecast"]["after_closing"] is True  # type: ignore[index]
    assert store.last_seq() > stored


def test_without_the_cut_off_late_tickets_are_issued(store: EventStore) -> None:
    service = _service(store, time(8, 5), forecast=ForecastPolicy(cutoff=False))
    replies_ = [_issue(service, n) for n in range(1, 15)]
    assert all(r["ok"] for r in replies_)
    assert replies_[-1]["result"]["forecast"]["after_closing"] is True  # type: ignore[index]
    waiting = [json.loads(p.payload) for p in service.retained_state(only_changed=False)]
    assert all("display_name" not in json.dumps(v) for v in waiting)
