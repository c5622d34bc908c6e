"""A simulated day with 30 % remote numbers: walk-ins are never starved (the rule of ``engine/remote.py``)."""

from __future__ import annotations

from datetime import datetime

from queue_server.engine import events as ev
from queue_server.simulate.day import run_days
from queue_server.simulate.figures import wait_figures
from queue_server.simulate.profile import load_profile
from queue_server.simulate.remote_day import format_remote

SEEDS = range(1, 6)


def test_no_walk_in_is_called_after_a_number_booked_after_it() -> None:
    for seed in SEEDS:
        run = run_days(load_profile(), seed, remote_share=0.3)
        joined: dict[str, tuple[str, datetime]] = {}
        remote: set[str] = set()
        checked = 0
        for event in run.events:
            if isinstance(event, ev.TicketIssued) and event.priority is None:
                joined[event.ticket_id] = (event.service_id, event.at)
            elif isinstance(event, ev.RemoteBooked):
                joined[event.ticket_id] = (event.service_id, event.at)
                remote.add(event.ticket_id)
        first_call = {e.ticket_id: e.at for e in run.events if isinstance(e, ev.TicketCalled) and e.segment == 1}
        for walk_in, (service, issued) in joined.items():
            if walk_in in remote or walk_in not in first_call:
                continue
            for other in remote & first_call.keys():
                other_service, booked = joined[other]
                if other_service == service and booked > issued:
                    checked += 1
                    assert first_call[other] >= first_call[walk_in], (seed, walk_in, other)
        assert checked > 100, "the days must hold remote numbers booked after walk-ins"


def test_walk_ins_mean_wait_stays_within_a_fifth_of_a_day_without_remote_numbers() -> None:
    with_remote, without = [], []
    for seed in SEEDS:
        with_remote += [v for v in run_days(load_profile(), seed, remote_share=0.3).visits if not v.remote]
        without += run_days(load_profile(), seed).visits
    walk_ins, baseline = wait_figures(with_remote), wait_figures(without)
    assert walk_ins.mean_wait_seconds is not None and baseline.mean_wait_seconds is not None
    assert walk_ins.mean_wait_seconds <= 1.2 * baseline.mean_wait_seconds, (walk_ins, baseline)


def test_the_report_gives_walk_ins_and_remote_citizens_apart() -> None:
    run = run_days(load_profile(), 1, remote_share=0.3)
    remote = [v for v in run.visits if v.remote]
    assert 0.2 < len(remote) / len(run.visits) < 0.4
    assert all(v.from_booking_seconds is not None for v in remote if v.status != "not_checked_in")
    text = format_remote(run.visits)
    assert "walk-ins' mean wait" in text and "remote citizens' mean time on site" in text
