"""The statistics read model on real databases (SQLite and PostgreSQL): its reports equal ``period_report`` on
the same events, however the log is cut into catch-ups, restarts and repeats."""

from __future__ import annotations

import dataclasses
import math
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from queue_server.analytics import GroupBy, bench, period_report
from queue_server.analytics.metrics import Period, figures
from queue_server.analytics.projection import ProjectionConflict, VisitProjection, read_cursor
from queue_server.analytics.visits import fold
from queue_server.engine import commands as cmd
from queue_server.engine import events as ev
from queue_server.engine.setup import RatingLevel
from queue_server.store import Commit, EventStore
from queue_server.store.schema import stats_rollup, stats_segments, stats_visits
from tests.integration.test_analytics_store import SETUP as BUSY_SETUP
from tests.integration.test_analytics_store import a_busy_day
from tests.unit.analytics_helpers import SETUP as SMALL_SETUP
from tests.unit.analytics_helpers import START, run_steps, steps

YEAR = (date(2025, 1, 1), date(2025, 12, 31))


def assert_same(got: Any, want: Any, path: str = "report") -> None:
    """Equal field by field; floats to 1e-9 relative (the database adds sums in another order)."""
    if dataclasses.is_dataclass(got) and not isinstance(got, type):
        assert type(got) is type(want), path
        for f in dataclasses.fields(got):
            assert_same(getattr(got, f.name), getattr(want, f.name), f"{path}.{f.name}")
    elif isinstance(got, dict):
        assert got.keys() == want.keys(), path
        for key in got:
            assert_same(got[key], want[key], f"{path}[{key}]")
    elif isinstance(got, tuple | list):
        assert len(got) == len(want), f"{path}: {len(got)} != {len(want)}"
        for i, (a, b) in enumerate(zip(got, want, strict=True)):
            assert_same(a, b, f"{path}[{i}]")
    elif isinstance(got, float) and isinstance(want, float):
        assert math.isclose(got, want, rel_tol=1e-9, abs_tol=1e-9), f"{path}: {got} != {want}"
    else:
        assert got == want, f"{path}: {got!r} != {want!r}"


@pytest.fixture
def store(store_url: str) -> Iterator[EventStore]:
    store = EventStore(store_url, bench.SETUP.office_id)
    store.migrate()
    try:
        yield store
    finally:
        store.close()


def commit(store: EventStore, events: Sequence[ev.Event]) -> None:
    store.commit([Commit(None, None, list(events), {})])


def periods(events: Sequence[ev.Event]) -> list[tuple[date, date]]:
    days = sorted({e.day for e in events if isinstance(e, ev.TicketIssued)})
    return [(days[0], days[-1]), (days[0], days[0]), (days[len(days) // 2], days[len(days) // 2]), YEAR]


@pytest.fixture(scope="module")
def office_weeks() -> list[ev.Event]:
    """The synthetic office (peaks, transfers, no-shows and re-queues, ratings after the finish): 6 days."""
    return bench.office_year(1200, seed=3, days=6)


def test_the_read_model_reports_what_the_fold_reports(store: EventStore, office_weeks: list[ev.Event]) -> None:
    half = len(office_weeks) // 2
    commit(store, office_weeks[:half])
    projection = VisitProjection(store.engine)
    first = projection.catch_up(store, bench.SETUP, chunk_events=700)
    assert first.events == half and first.last_seq == store.last_seq()
    commit(store, office_weeks[half:])
    assert projection.catch_up(store, bench.SETUP).events == len(office_weeks) - half
    for start, end in [*periods(office_weeks), (date(2025, 1, 6), date(2025, 1, 8))]:
        want = period_report(office_weeks, bench.SETUP, start, end)
        assert_same(projection.report(bench.SETUP, start, end), want)
    report = projection.report(bench.SETUP, *YEAR)
    assert report.overall.visits > 1000 and report.overall.transfers > 0 and report.overall.no_shows > 0
    assert report.overall.p90_wait_seconds is not None and report.overall.ratings > 0
    assert len(report.groups[GroupBy.DAY]) == 6 and len(report.groups[GroupBy.STAFF]) == 6


def test_catch_up_after_a_restart_adds_only_new_events_and_repeating_adds_nothing(
    store_url: str, office_weeks: list[ev.Event]
) -> None:
    third = len(office_weeks) // 3
    for part in (office_weeks[:third], office_weeks[third : 2 * third], office_weeks[2 * third :]):
        store = EventStore(store_url, bench.SETUP.office_id)  # a new process each time: nothing kept in memory
        try:
            store.migrate()
            commit(store, part)
            projection = VisitProjection(store.engine)
            assert projection.catch_up(store, bench.SETUP, chunk_events=311).events == len(part)
            assert projection.catch_up(store, bench.SETUP).events == 0
        finally:
            store.close()
    store = EventStore(store_url, bench.SETUP.office_id)
    try:
        projection = VisitProjection(store.engine)
        with store.engine.connect() as conn:
            counts = [conn.execute(select(func.count()).select_from(t)).scalar() for t in (stats_visits, stats_rollup)]
            cursor = read_cursor(conn, bench.SETUP.office_id)
        issued = sum(isinstance(e, ev.TicketIssued) for e in office_weeks)
        assert counts[0] == issued and cursor is not None and cursor.last_seq == store.last_seq()
        assert cursor.last_event_at == office_weeks[-1].at
        start, end = periods(office_weeks)[0]
        assert_same(projection.report(bench.SETUP, start, end), period_report(office_weeks, bench.SETUP, start, end))
    finally:
        store.close()


def test_settings_at_the_cursor_follow_the_log_s_own_reconfiguration(store_url: str) -> None:
    """The offset and the rating scale of a mid-log ``OfficeConfigured`` apply after it, in every later
    chunk (one event per chunk here), as in the fold."""
    office = a_busy_day()
    harsh = replace(
        BUSY_SETUP,
        utc_offset_minutes=-300,
        rating_scale=(RatingLevel("satisfied", "Hài lòng", "Satisfied", False),),
    )
    office.run(cmd.ConfigureOffice(harsh), at=datetime(2025, 3, 5, 3, 0, tzinfo=UTC))
    office.run(cmd.SignIn("c2", "s2"))
    for minute in range(0, 50, 10):
        office.issue("land", at=datetime(2025, 3, 5, 4, minute, tzinfo=UTC))
        office.call("c2", at=datetime(2025, 3, 5, 4, minute + 2, tzinfo=UTC))
        office.finish("c2", at=datetime(2025, 3, 5, 4, minute + 5, tzinfo=UTC))
        office.run(cmd.RateService("c2", "satisfied"), at=datetime(2025, 3, 5, 4, minute + 6, tzinfo=UTC))
    setup = BUSY_SETUP
    store = EventStore(store_url, setup.office_id)
    try:
        store.migrate()
        commit(store, office.events)
        projection = VisitProjection(store.engine)
        projection.catch_up(store, setup, chunk_events=1)
        for start, end in [(date(2025, 3, 3), date(2025, 3, 5)), (date(2025, 3, 4), date(2025, 3, 4))]:
            assert_same(projection.report(setup, start, end), period_report(office.events, setup, start, end))
        report = projection.report(setup, date(2025, 3, 4), date(2025, 3, 4))
        assert report.overall.visits == 6 and report.overall.satisfied_ratings == 0  # 23:00 local on the 4th
    finally:
        store.close()


def test_a_stale_cursor_cannot_write_a_chunk_twice(store: EventStore, office_weeks: list[ev.Event]) -> None:
    commit(store, office_weeks[:200])
    projection = VisitProjection(store.engine)
    projection.catch_up(store, bench.SETUP, chunk_events=100)
    before = projection.cursor(store.office_id)
    commit(store, office_weeks[200:300])
    projection.catch_up(store, bench.SETUP)
    chunk = list(store.events(after_seq=before.last_seq if before else 0))
    with pytest.raises(ProjectionConflict):
        projection._fold_chunk(store.office_id, bench.SETUP, before, chunk)
    assert_same(projection.report(bench.SETUP, *YEAR), period_report(office_weeks[:300], bench.SETUP, *YEAR))


def test_the_province_report_adds_up_its_offices(store_url: str, office_weeks: list[ev.Event]) -> None:
    other_events = a_busy_day().events
    setups = [bench.SETUP, BUSY_SETUP]
    logs = [office_weeks, other_events]
    projection: VisitProjection | None = None
    for setup, events in zip(setups, logs, strict=True):
        store = EventStore(store_url, setup.office_id)
        try:
            store.migrate()
            commit(store, events)
            projection = VisitProjection(store.engine)
            projection.catch_up(store, setup)
        finally:
            store.close()
    assert projection is not None
    report = projection.province_report(setups, *YEAR)
    histories = [fold(events, setup) for setup, events in zip(setups, logs, strict=True)]
    parts = [Period(h, *YEAR) for h in histories]
    offices = {group.key: group.figures for group in report.offices}
    assert list(offices) == sorted(s.office_id for s in setups)
    for setup, part in zip(setups, parts, strict=True):
        assert_same(offices[setup.office_id], part.overall())
    staff_days = sum(len(p.staff_days) for p in parts)
    assert_same(report.overall, figures([row for p in parts for row in p.rows], staff_days, 250))
    assert report.overall.visits == sum(p.overall().visits for p in parts)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(steps=steps, cuts=st.lists(st.integers(1, 40), min_size=1, max_size=4))
def test_random_days_give_the_fold_s_report_however_the_log_is_cut(
    store: EventStore, steps: list[tuple[int, int, int]], cuts: list[int]
) -> None:
    """Random commands through the real engine (transfers, no-shows, re-queues, ratings, day boundaries with
    expiries), committed and caught up in random pieces."""
    setup = replace(SMALL_SETUP, office_id=f"random-{uuid.uuid4().hex[:10]}")
    events, _, now = run_steps(setup, steps)
    office_store = EventStore(store.engine.url.render_as_string(hide_password=False), setup.office_id)
    try:
        projection = VisitProjection(office_store.engine)
        done = 0
        for cut in [*cuts, len(events)]:
            piece = events[done : done + cut]
            if piece:
                commit(office_store, piece)
                done += len(piece)
            projection.catch_up(office_store, setup, chunk_events=max(1, cut // 2))
        assert done == len(events)
        last_day = (now + timedelta(hours=7)).date()
        for start, end in [(START.date(), last_day), (last_day, last_day)]:
            assert_same(projection.report(setup, start, end), period_report(events, setup, start, end))
    finally:
        office_store.close()


def test_segment_rows_keep_every_call(store: EventStore, office_weeks: list[ev.Event]) -> None:
    commit(store, office_weeks)
    VisitProjection(store.engine).catch_up(store, bench.SETUP)
    calls = sum(isinstance(e, ev.TicketCalled) for e in office_weeks)
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(stats_segments)).scalar() == calls


def test_a_bad_period_is_refused_like_the_fold_refuses_it(store: EventStore) -> None:
    projection = VisitProjection(store.engine)
    with pytest.raises(ValueError, match="before it starts"):
        projection.report(bench.SETUP, date(2025, 2, 1), date(2025, 1, 1))
    with pytest.raises(ValueError, match="working_days"):
        projection.report(bench.SETUP, *YEAR, working_days_per_year=0)
    empty = projection.report(bench.SETUP, *YEAR)
    assert_same(empty, period_report([], bench.SETUP, *YEAR))


def test_a_province_without_visits_has_no_figures_yet(store: EventStore) -> None:
    report = VisitProjection(store.engine).province_report([bench.SETUP, BUSY_SETUP], *YEAR)
    assert report.overall.visits == 0 and report.overall.p90_wait_seconds is None
    assert [g.key for g in report.offices] == sorted([bench.SETUP.office_id, BUSY_SETUP.office_id])
    assert report.last_event_at is None
