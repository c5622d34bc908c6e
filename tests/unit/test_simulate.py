"""The simulator drives the real engine: reproducible days whose log replays and whose figures are the reports'."""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from pathlib import Path

import pytest

from queue_server.analytics import period_report
from queue_server.engine import events as ev
from queue_server.engine.state import QueueState
from queue_server.simulate import ProfileError, load_profile, profile_from_dict, run_days, simulate_day
from queue_server.simulate.figures import utilisation, wait_figures

SAMPLE = load_profile()


def test_same_seed_same_events_other_seed_other_day() -> None:
    first = simulate_day(SAMPLE, seed=7)
    assert first == simulate_day(SAMPLE, seed=7)
    assert first != simulate_day(SAMPLE, seed=8)
    assert isinstance(first[0], ev.OfficeConfigured)


def test_the_log_replays_and_its_report_matches_the_simulators_figures() -> None:
    run = run_days(SAMPLE, seed=11, days=2)
    state = QueueState.replay(run.events)  # raises EventNotApplicable on any event the engine would not make
    assert state.event_count == len(run.events)
    types = {type(e) for e in run.events}
    # The sample day has every kind of visit: priorities, no-shows that come back, transfers, ratings, lunch.
    for kind in (ev.TicketTransferred, ev.TicketSkipped, ev.TicketRequeued, ev.TicketRated, ev.CounterPaused):
        assert kind in types, kind.__name__
    assert any(isinstance(e, ev.TicketIssued) and e.priority for e in run.events)
    days = sorted({v.day for v in run.visits})
    assert len(days) == 2
    report = period_report(run.events, SAMPLE.setup, days[0], days[-1])
    mine = wait_figures(run.visits)
    assert report.overall.visits == mine.visits > 150
    assert report.overall.waits_counted == mine.waits_counted
    assert report.overall.avg_wait_seconds == pytest.approx(mine.mean_wait_seconds, abs=1e-3)
    assert report.overall.p90_wait_seconds == pytest.approx(mine.p90_wait_seconds, abs=1e-3)
    assert report.overall.share_within_15_min == mine.share_within_15_min
    assert report.overall.share_within_30_min == mine.share_within_30_min


def test_counters_keep_their_hours_and_services() -> None:
    run = run_days(SAMPLE, seed=3)
    offset = timedelta(minutes=SAMPLE.setup.utc_offset_minutes)
    overtime = timedelta(minutes=SAMPLE.visitors.overtime_minutes)
    serves = {c.id: set(c.service_ids) for c in SAMPLE.setup.counters}
    for event in run.events:
        if isinstance(event, ev.TicketCalled):
            local = (event.at + offset).replace(tzinfo=None)
            minutes = local.hour * 60 + local.minute
            in_hours = [(s // 60, e // 60 + overtime.seconds // 60) for s, e in SAMPLE.hours[event.counter_id]]
            assert any(s <= minutes <= e for s, e in in_hours), (event.counter_id, local)
            assert event.service_id in serves[event.counter_id]
    shares = utilisation(run.counters)
    assert set(shares) == set(serves)
    assert all(share is not None and 0.3 < share <= 1.0 for share in shares.values())


def test_no_counter_open_means_no_call_and_tickets_expire_next_day() -> None:
    closed = dataclasses.replace(SAMPLE, hours={})
    run = run_days(closed, seed=1, days=2)
    assert not any(isinstance(e, ev.TicketCalled) for e in run.events)
    started = [e for e in run.events if isinstance(e, ev.DayStarted)]
    assert len(started) == 2 and started[1].expired_ticket_ids


def test_a_profile_naming_an_unknown_service_is_refused() -> None:
    data = {
        "office": {"id": "x", "name": "X"},
        "services": [{"id": "a", "prefix": "A", "name_vi": "A", "transfer": {"probability": 0.1, "to": ["b"]}}],
        "counters": [{"id": "q1", "number": 1, "services": ["a"]}],
    }
    with pytest.raises(ProfileError, match="unknown services"):
        profile_from_dict(data)
    data["services"][0]["transfer"] = {}  # type: ignore[index]
    data["counters"][0]["services"] = ["z"]  # type: ignore[index]
    with pytest.raises(ProfileError, match="unknown services"):
        profile_from_dict(data)


def test_sample_profile_is_the_shipped_file() -> None:
    assert Path(__file__).parents[2].joinpath("queue_server/simulate/profiles/commune.toml").exists()
    assert SAMPLE.setup.office_id == "tuan-giao" and len(SAMPLE.setup.counters) == 3


def test_a_profile_learned_from_simulated_history_finds_the_demand_again() -> None:
    from queue_server.simulate.learn import learn_profile

    history = run_days(SAMPLE, seed=2, days=15)
    learned = learn_profile(history.events)
    for got, truth in zip(learned.demands, SAMPLE.demands, strict=True):
        assert got.service_id == truth.service_id
        assert sum(got.arrivals_per_hour) == pytest.approx(sum(truth.arrivals_per_hour), rel=0.15)
        assert got.service_time.mean() == pytest.approx(truth.service_time.mean(), rel=0.15)
        assert set(got.transfer_to) <= set(truth.transfer_to)
    assert learned.visitors.priority_share == pytest.approx(SAMPLE.visitors.priority_share, abs=0.03)
    for counter, periods in learned.hours.items():  # open in the morning and the afternoon, closed at lunch
        assert any(start <= 9 * 3600 < end for start, end in periods), counter
        assert any(start <= 15 * 3600 < end for start, end in periods), counter
        assert not any(start <= 12 * 3600 + 1800 < end for start, end in periods), counter
    assert learned.day.weekday() < 5 and learned.day > max(v.day for v in history.visits)
    replayed = run_days(learned, seed=1)  # a learned profile simulates like a written one
    assert len(replayed.visits) > 60


def test_the_offices_opening_hours_give_the_days_and_the_counters_default_hours() -> None:
    import tomllib

    from queue_server.simulate import SAMPLE_PROFILE
    from queue_server.simulate.profile import format_period

    data = tomllib.loads(SAMPLE_PROFILE.read_text(encoding="utf-8"))
    data["hours"] = {"monday": ["08:00-12:00"], "holidays": ["2026-03-03"]}
    for counter in data["counters"]:
        counter.pop("hours")
    profile = profile_from_dict(data)
    assert {format_period(p) for periods in profile.hours.values() for p in periods} == {"08:00-12:00"}
    run = run_days(profile, seed=1, days=2)
    assert sorted({v.day.isoformat() for v in run.visits}) == ["2026-03-02", "2026-03-04"]  # the holiday skipped
