"""The forecast runs the engine's calling rule forward: its calling order is the order the engine's own
``CallNext`` takes, across shared counters, priority policies, transfers and paused counters."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from queue_server.engine import commands as cmd
from queue_server.engine import events as ev
from queue_server.engine.setup import Counter, PriorityPolicy
from queue_server.forecast.predict import Forecaster
from queue_server.forecast.service_times import PRIOR_MEDIAN_S, ServiceTimes
from tests.unit.engine_helpers import T0, Office, make_setup

SERVICES = ("land", "justice", "business")
COUNTERS = ("c1", "c2", "c3", "c4")


def _office(policy: PriorityPolicy, every: int) -> Office:
    counters = (
        Counter("c1", 1, ("land",)),
        Counter("c2", 2, ("land", "justice")),
        Counter("c3", 3, ("business", "justice")),
        Counter("c4", 4, ("land", "justice", "business")),
    )
    return Office(make_setup(counters=counters, priority_policy=policy, interleave_every=every))


@st.composite
def busy_offices(draw: st.DrawFn) -> Office:
    """An office mid-morning: tickets of all kinds, some calls, transfers and a pause, decided by the engine."""
    office = _office(draw(st.sampled_from(PriorityPolicy)), draw(st.integers(1, 3)))
    for _ in range(draw(st.integers(1, 25))):
        office.advance(seconds=draw(st.integers(1, 120)))
        action = draw(st.sampled_from(["issue", "issue", "issue", "call", "transfer", "pause"]))
        counter = draw(st.sampled_from(COUNTERS))
        live = office.state.counters[counter]
        if action == "issue":
            office.issue(draw(st.sampled_from(SERVICES)), draw(st.sampled_from([None, None, "elderly_60"])))
        elif action == "call" and not live.paused and _serves_someone(office, counter):
            office.call(counter)
        elif action == "transfer" and live.serving_ticket_id is not None:
            to_counter = draw(st.sampled_from([None, *COUNTERS]))
            to_service = draw(st.sampled_from(SERVICES))
            if to_counter not in (None, counter) or to_service != office.ticket(live.serving_ticket_id).service_id:
                office.run(cmd.Transfer(counter, to_service, to_counter, draw(st.booleans())))
        elif action == "pause" and not live.paused:
            office.run(cmd.PauseCounter(counter))
    return office


def _serves_someone(office: Office, counter_id: str) -> bool:
    from queue_server.engine.calling import serves

    counter = office.state.setup.counter(counter_id)  # type: ignore[union-attr]
    assert counter is not None
    return any(serves(counter, t.service_id, t.target_counter_id) for t in office.state.waiting.values())


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(office=busy_offices())
def test_the_forecasts_calling_order_is_what_the_engines_call_next_takes(office: Office) -> None:
    forecaster = Forecaster(office.state, ServiceTimes(), office.now)
    sequence = forecaster.calling_sequence()
    for k, (counter_id, ticket_id) in enumerate(sequence):
        assert forecaster.position(ticket_id) == k
        assert office.call(counter_id).ticket_id == ticket_id
    paused = {c for c, s in office.state.counters.items() if s.paused}
    left = [t for t in office.state.waiting.values()]
    # What the forecast left uncalled, no open counter can call: only paused counters (or none) serve it.
    for t in left:
        setup = office.state.setup
        assert setup is not None
        assert all(c.id in paused for c in setup.counters if _serves_ticket(c, t.service_id, t.target_counter_id))


def _serves_ticket(counter: Counter, service_id: str, target: str | None) -> bool:
    from queue_server.engine.calling import serves

    return serves(counter, service_id, target)


def test_under_strict_a_priority_ticket_is_next_and_under_interleave_after_the_quota() -> None:
    for policy, expected in ((PriorityPolicy.STRICT, 0), (PriorityPolicy.INTERLEAVE, 2)):
        office = Office(make_setup(priority_policy=policy, interleave_every=2, counters=(Counter("c1", 1, ("land",)),)))
        for _ in range(20):
            office.issue("land")
        elderly = office.issue("land", "elderly_60")
        forecast = Forecaster(office.state, ServiceTimes(), office.now).ticket(elderly.ticket_id)
        assert forecast is not None and forecast.position == expected


def test_a_new_office_uses_the_prior_and_the_range_brackets_the_median() -> None:
    office = Office(make_setup(counters=(Counter("c1", 1, ("land",)), Counter("c2", 2, ("land",)))))
    for _ in range(10):
        office.issue("land")
    last = office.state.waiting[max(office.state.waiting)]
    forecast = Forecaster(office.state, ServiceTimes(), office.now).ticket(last.id, samples=400)
    assert forecast is not None and forecast.position == 9
    median_s = (forecast.median - office.now).total_seconds()
    # Ten tickets on two idle counters: the last is the fifth call of one of them, after about four services.
    assert 3 * PRIOR_MEDIAN_S < median_s < 6 * PRIOR_MEDIAN_S
    assert forecast.low < forecast.median < forecast.high


def test_learned_service_times_replace_the_prior() -> None:
    office = Office(make_setup(counters=(Counter("c1", 1, ("land",)),)))
    for _ in range(60):
        office.issue("land")
        office.call("c1", office.advance(seconds=1))
        office.finish("c1", office.advance(seconds=120))
    times = ServiceTimes.learned(office.events)
    assert times.sampler("land").mean < 240  # 60 observations of 2 min outweigh the 8-minute prior (~9.6 min mean)
    for _ in range(5):
        office.issue("land")
    last = office.state.waiting[max(office.state.waiting)]
    forecast = Forecaster(office.state, times, office.now).ticket(last.id)
    assert forecast is not None
    assert forecast.median - office.now < timedelta(minutes=15)


def test_a_ticket_only_a_paused_counter_serves_has_no_forecast() -> None:
    office = Office()
    business = office.issue("business")
    office.run(cmd.PauseCounter("c3"))
    assert Forecaster(office.state, ServiceTimes(), office.now).ticket(business.ticket_id) is None


def test_the_call_in_progress_delays_the_next_one() -> None:
    office = Office(make_setup(counters=(Counter("c1", 1, ("land",)),)))
    office.issue("land")
    office.call("c1")
    nxt = office.issue("land")
    idle = Office(make_setup(counters=(Counter("c1", 1, ("land",)),)))
    alone = idle.issue("land")
    busy = Forecaster(office.state, ServiceTimes(), office.now).ticket(nxt.ticket_id)
    free = Forecaster(idle.state, ServiceTimes(), idle.now).ticket(alone.ticket_id)
    assert busy is not None and free is not None
    assert free.median == idle.now and busy.median > office.now + timedelta(minutes=2)


def test_after_closing_compares_the_median_with_closing_time() -> None:
    office = Office(make_setup(counters=(Counter("c1", 1, ("land",)),)))
    for _ in range(12):
        last = office.issue("land")
    soon = T0 + timedelta(minutes=30)
    forecast = Forecaster(office.state, ServiceTimes(), office.now, closes_at=soon).ticket(last.ticket_id)
    assert forecast is not None and forecast.after_closing
    late = Forecaster(office.state, ServiceTimes(), office.now, closes_at=T0 + timedelta(hours=8))
    assert not late.ticket(last.ticket_id).after_closing  # type: ignore[union-attr]


def test_all_forecasts_agree_with_the_single_ticket_path() -> None:
    office = _office(PriorityPolicy.INTERLEAVE, 2)
    for i in range(30):
        office.issue(SERVICES[i % 3], "pregnant" if i % 7 == 0 else None)
    forecaster = Forecaster(office.state, ServiceTimes(), office.now)
    everything = forecaster.all()
    assert len(everything) == 30
    for ticket_id, prediction in everything.items():
        single = forecaster.ticket(ticket_id, samples=64)
        assert single is not None and abs(single.position - prediction.position) <= 2
        assert single.low <= prediction.high and prediction.low <= single.high


def test_priority_tickets_the_history_expects_push_a_normal_ticket_later() -> None:
    office = Office(make_setup(priority_policy=PriorityPolicy.STRICT, counters=(Counter("c1", 1, ("land",)),)))
    for i in range(40):  # a morning where every other ticket was a priority one
        office.issue("land", "elderly_60" if i % 2 else None)
        office.call("c1", office.advance(seconds=1))
        office.finish("c1", office.advance(seconds=90))
    for _ in range(8):
        last = office.issue("land")
    with_history = ServiceTimes.learned(office.events)
    assert with_history.priority_rate("land", with_history.local_hour(office.now)) > 0
    normal_only = ServiceTimes.learned(e for e in office.events if not (isinstance(e, ev.TicketIssued) and e.priority))
    expecting = Forecaster(office.state, with_history, office.now).ticket(last.ticket_id, samples=200)
    not_expecting = Forecaster(office.state, normal_only, office.now).ticket(last.ticket_id, samples=200)
    assert expecting is not None and not_expecting is not None
    assert expecting.median > not_expecting.median


def test_a_deep_ticket_cut_short_on_the_issue_path_agrees_with_the_full_runs() -> None:
    office = _office(PriorityPolicy.INTERLEAVE, 2)
    for i in range(400):
        office.issue(SERVICES[i % 3], "pregnant" if i % 11 == 0 else None)
    last = office.state.waiting[max(office.state.waiting)]
    forecaster = Forecaster(office.state, ServiceTimes(), office.now)
    cut = forecaster.ticket(last.id)  # deeper than MAX_RUN_CALLS: extrapolated
    full = forecaster.all(samples=32)[last.id]
    assert cut is not None
    full_s = (full.median - office.now).total_seconds()
    assert abs((cut.median - office.now).total_seconds() - full_s) < 0.1 * full_s
    assert abs(cut.position - full.position) < 0.1 * full.position
    assert cut.low < full.median < cut.high
