"""``make demo``'s pace: the sample profile compressed keeps the demo's counters below capacity."""

from __future__ import annotations

import random

from queue_server.simulate.demo_pace import COMPRESSION, WAITING_AT_OPENING, DemoPace

SERVICES = ["ho-tich", "chung-thuc", "dat-dai", "cu-tru"]


def test_the_demo_arrives_slower_than_its_counters_serve() -> None:
    pace = DemoPace(SERVICES, rng=random.Random(1), prefixes={"A": "ho-tich", "B": "chung-thuc"})
    first = [pace.next_ticket(0.0)[:2] for _ in range(WAITING_AT_OPENING * len(SERVICES))]
    assert first == [(0.0, s) for s in SERVICES] * WAITING_AT_OPENING  # at the door: one per service, at once
    elapsed, tickets = 0.0, 0
    while elapsed < 3600:  # an hour of demo: 25 office hours, open hours only
        delay, service, _ = pace.next_ticket(elapsed)
        elapsed += delay
        tickets += 1
        assert service in SERVICES
    service = sum(pace.service_seconds(pace.service_of(label)) for label in ["A001", "B002"] * 500) / 1000
    low, high = pace.button_pause()
    unit_visit = 2 * (low + high)  # a firmware unit: four pauses of mean (low + high) / 2 per visit
    capacity_per_hour = 3600 / unit_visit * 2 + 3600 / service  # two counter units and one plain counter
    assert tickets < 0.8 * capacity_per_hour, (tickets, capacity_per_hour)
    assert tickets > 0.3 * capacity_per_hour  # … and busy enough to show a queue
    assert 10 < service < 30 and COMPRESSION == 25.0


def test_office_time_runs_through_open_hours_only() -> None:
    pace = DemoPace(SERVICES)
    seen = {int(pace.office_time(t) // 3600) for t in range(0, 3600, 5)}
    assert 12 not in seen and {7, 8, 9, 10, 11, 13, 14, 15, 16} <= seen
    assert pace.service_of("C014") == pace.services[0]  # no prefixes given: the first service
