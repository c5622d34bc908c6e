"""The province folds each office in the office's order, whatever the arrival order (docs/province.md "Order").

An office's log, decided by the real engine, is imported at the province as gap fill delivers it (batches out
of order, resent copies), with the watermark kept as the ingest keeps it and the statistics caught up after
every batch. At every step the province's figures for the office are the office's own over its events up to
the watermark, and at the end they are the office's own, finished, open and satisfied included.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from queue_server.analytics import bench, period_report
from queue_server.analytics.projection import VisitProjection
from queue_server.analytics.report import PeriodReport
from queue_server.engine import events as ev
from queue_server.province import office_order
from queue_server.province.cursors import CursorStore
from queue_server.province.cursors import migrate as migrate_cursors
from queue_server.province.gaps import OfficeSeqs
from queue_server.store import db
from queue_server.store.event_store import EventStore, StoredEvent
from tests.integration.test_analytics_projection import assert_same

SETUP = bench.SETUP
OFFICE = SETUP.office_id
YEAR = (date(2025, 1, 1), date(2025, 12, 31))
EVENTS: list[ev.Event] = bench.office_year(visits=160, seed=7, days=2)
RECORDS = [StoredEvent(n, str(uuid.uuid4()), OFFICE, None, None, e) for n, e in enumerate(EVENTS, 1)]
CHUNKS = 8


def office_report(through: int) -> PeriodReport:
    """The office's own figures over its events up to seq ``through`` (what its ``motcua stats`` says)."""
    return period_report(EVENTS[:through], SETUP, *YEAR)


def province_report(url: str) -> PeriodReport:
    engine = db.make_engine(url)
    try:
        office_order.catch_up_office(engine, SETUP)
        return VisitProjection(engine).report(SETUP, *YEAR)
    finally:
        engine.dispose()


def assert_figures_equal(got: PeriodReport, want: PeriodReport) -> None:
    assert_same(got.overall, want.overall, "overall")
    assert_same(got.groups, want.groups, "groups")


@pytest.fixture(scope="module")
def empty_province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated, empty province database (SQLite), copied for each example."""
    path = tmp_path_factory.mktemp("province") / "empty.db"
    engine = db.make_engine(f"sqlite:///{path}")
    EventStore("", "-", engine=engine).migrate()
    migrate_cursors(engine)
    engine.dispose()
    return path


class Province:
    """The province's side of one office: import as the ingest does, watermark kept, statistics caught up."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = db.make_engine(url)
        self.store = EventStore("", OFFICE, engine=self.engine)
        self.seqs = OfficeSeqs()

    def receive(self, batch: Sequence[StoredEvent]) -> None:
        late = office_order.new_at_or_below(self.engine, OFFICE, batch, self.seqs.through)
        self.store.import_events(batch)
        office_order.refold_if_passed(self.engine, OFFICE, late)
        for record in batch:
            self.seqs.imported(record.seq)
        CursorStore(self.engine).save(OFFICE, self.seqs.through)

    def close(self) -> None:
        self.engine.dispose()


def _chunks() -> list[list[StoredEvent]]:
    size = -(-len(RECORDS) // CHUNKS)
    return [RECORDS[i : i + size] for i in range(0, len(RECORDS), size)]


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(order=st.permutations(range(CHUNKS)), resent=st.lists(st.integers(0, CHUNKS - 1), max_size=3))
def test_any_arrival_order_gives_the_office_s_figures(
    order: list[int], resent: list[int], empty_province: Path, tmp_path: Path
) -> None:
    """Chunks of the office's log arrive in any order, some twice (a resend): at each step the province's figures
    are the office's over its events up to the watermark; at the end they are the office's own."""
    path = tmp_path / f"{uuid.uuid4()}.db"
    shutil.copy(empty_province, path)
    province = Province(f"sqlite:///{path}")
    chunks = _chunks()
    try:
        for index in [*order, *resent]:
            province.receive(chunks[index])
            through = province.seqs.through
            assert_figures_equal(province_report(province.url), office_report(through))
        assert province.seqs.through == len(RECORDS)
    finally:
        province.close()


def test_the_drill_s_symptom_is_gone_calls_and_finishes_before_their_tickets(store_url: str) -> None:
    """The newest half arrives first (the gap filled afterwards): no ticket stays "waiting" for ever, and the
    figures, folded again from scratch, are still the office's (SQLite and PostgreSQL)."""
    engine = db.make_engine(store_url)
    try:
        EventStore("", "-", engine=engine).migrate()
        migrate_cursors(engine)
    finally:
        engine.dispose()
    province = Province(store_url)
    half = len(RECORDS) // 2
    try:
        province.receive(RECORDS[half:])
        early = province_report(store_url)
        assert early.overall.visits == 0  # nothing folded beyond the gap: figures cover seqs up to 0
        province.receive(RECORDS[:half])
        want = office_report(len(RECORDS))
        got = province_report(store_url)
        assert_figures_equal(got, want)
        assert want.overall.finished > 0 and got.overall.open == want.overall.open
        with province.engine.begin() as conn:
            office_order.forget_figures(conn, OFFICE)
        assert_figures_equal(province_report(store_url), want)
    finally:
        province.close()


def test_an_event_the_fold_has_passed_is_folded_by_folding_again(empty_province: Path, tmp_path: Path) -> None:
    """The office said seq k did not exist (a PostgreSQL office committing k late), the watermark and the fold
    passed it, then k arrives: the office's statistics are folded again and include it."""
    path = tmp_path / "late.db"
    shutil.copy(empty_province, path)
    province = Province(f"sqlite:///{path}")
    k = len(RECORDS) // 3
    try:
        province.receive(RECORDS[: k - 1])
        province.seqs.through = k  # as after a replay report that did not list k
        province.receive(RECORDS[k:])
        without = province_report(province.url)
        assert_figures_equal(without, period_report(EVENTS[: k - 1] + EVENTS[k:], SETUP, *YEAR))
        province.receive([RECORDS[k - 1]])
        assert_figures_equal(province_report(province.url), office_report(len(RECORDS)))
    finally:
        province.close()


def test_a_province_upgraded_from_arrival_order_is_refilled_in_office_order(tmp_path: Path) -> None:
    """Revision p0002 drops the watermarks and the read model; the office's resent copies fill in the office seq
    of events stored before revision 0007 (here: set back to NULL), and the figures are the office's."""
    from alembic import command
    from alembic.config import Config
    from sqlalchemy import select, update

    from queue_server.province.cursors import MIGRATIONS_DIR
    from queue_server.store.schema import events as events_table

    url = f"sqlite:///{tmp_path / 'old.db'}"
    engine = db.make_engine(url)
    try:
        EventStore("", "-", engine=engine).migrate()
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS_DIR))
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "p0001")
        store = EventStore("", OFFICE, engine=engine)
        store.import_events(reversed(RECORDS))  # as an old province held them: arrival order, no office seq
        with engine.begin() as conn:
            conn.execute(update(events_table).values(origin_seq=None))
        CursorStore(engine).save(OFFICE, len(RECORDS))
        office_order.catch_up_office(engine, SETUP)
        migrate_cursors(engine)  # p0002
        assert CursorStore(engine).load() == {}
        assert VisitProjection(engine).cursor(OFFICE) is None
        assert store.import_events(RECORDS) == 0  # the office's replay: all duplicates...
        with engine.connect() as conn:
            origin = conn.execute(select(events_table.c.origin_seq).order_by(events_table.c.seq)).scalars().all()
        assert origin == [r.seq for r in reversed(RECORDS)]  # ...that filled in every office seq
        CursorStore(engine).save(OFFICE, len(RECORDS))
    finally:
        engine.dispose()
    assert_figures_equal(province_report(url), office_report(len(RECORDS)))
