"""The province drill: two offices on their own Mosquittos bridged to the province's, real traffic (a day of
tickets decided by the engine), the link cut mid-traffic, an office broker killed during the cut, the province
server (``motcua province``, a real process) killed with SIGKILL twice, once mid-ingest. Afterwards every event
is at the province exactly once AND the province's figures for each office are the office's own ``motcua stats``
(finished, open, satisfaction, waits, every group), although gap fill imported older events after newer ones.
"""

from __future__ import annotations

import signal
import subprocess
import sys
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from queue_server.analytics import bench
from queue_server.analytics.current import office_report  # what the office's `motcua stats` prints
from queue_server.analytics.metrics import GroupBy
from queue_server.analytics.projection import VisitProjection
from queue_server.analytics.targets import DEFAULT_TARGETS
from queue_server.engine import events as ev
from queue_server.province.cursors import CursorStore
from queue_server.province.office_order import catch_up_office
from queue_server.province.rig import OfficeRig, ProvinceRig, wait_until
from queue_server.store import db
from queue_server.store.office_setups import office_setups
from queue_server.store.schema import events as events_table
from tests.fixtures.mosquitto import MosquittoBroker
from tests.integration.test_analytics_projection import assert_same

pytestmark = [pytest.mark.mosquitto, pytest.mark.postgres]

OFFICES = ("q1", "q2")
YEAR = (date(2025, 1, 1), date(2025, 12, 31))
PHASES = (0.15, 0.30, 0.20, 0.15, 0.20)
"""Shares of each office's day: before the cut, in the cut before q2's broker dies, in the cut after, while the
province server is down, at the end."""


def day_log(office_id: str, seed: int) -> list[ev.Event]:
    events = bench.office_year(visits=220, seed=seed, days=1)
    first = events[0]
    assert isinstance(first, ev.OfficeConfigured)
    return [replace(first, setup=replace(first.setup, office_id=office_id)), *events[1:]]


@dataclass
class Office:
    rig: OfficeRig
    log: list[ev.Event]
    sent: int = 0

    def traffic(self, share: float) -> None:
        """Commit and publish the next ``share`` of the day (the rest, for the last phase)."""
        n = len(self.log) if share < 0 else min(len(self.log), self.sent + round(share * len(self.log)))
        self.rig.commit_events(self.log[self.sent : n])
        self.sent = n


class ProvinceProcess:
    """``motcua province`` (``province_main``) as a real process, its log in a file (a pipe could fill up)."""

    def __init__(self, settings: Path, log: Path) -> None:
        self.settings, self.log, self.process = settings, log, None
        self.kills = 0

    def start(self) -> None:
        code = (
            "import sys; from pathlib import Path; from queue_server.province.main import province_main; "
            f"sys.exit(province_main(Path({str(self.settings)!r})))"
        )
        with self.log.open("a") as out:
            self.process = subprocess.Popen([sys.executable, "-c", code], stderr=out)

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self.kills += 1

    def stop(self) -> int:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        return self.process.wait(timeout=20)


def _count(engine: Engine) -> int:
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(events_table)).scalar_one())


@pytest.fixture
def drill(
    tmp_path: Path, postgres_db_url: str, mosquitto: MosquittoBroker
) -> Iterator[tuple[ProvinceRig, dict[str, Office], ProvinceProcess]]:
    province = ProvinceRig(tmp_path / "province", postgres_db_url, OFFICES)
    province.ingest.stop()  # migrated the database and made the session: the real process takes over
    offices = {o: Office(province.office(o, tmp_path / o), day_log(o, seed)) for seed, o in enumerate(OFFICES, 3)}
    settings = tmp_path / "province.toml"
    settings.write_text(
        f"offices = {list(OFFICES)!r}\n"
        f'[broker]\nport = {province.broker.port}\npassword = "{province.ingest_password}"\n'
        f'[store]\nurl = "{province.db_url}"\n'
        "[ingest]\nresend_timeout_seconds = 1\nheartbeat_seconds = 60\nmax_batch = 10\n[web]\nenabled = false\n"
    )
    server = ProvinceProcess(settings, tmp_path / "province.log")
    try:
        yield province, offices, server
    finally:
        if server.process is not None and server.process.poll() is None:
            server.kill()
        for office in offices.values():
            office.rig.close()
        province.broker.stop()


def test_every_event_once_and_the_province_s_figures_are_the_office_s(
    drill: tuple[ProvinceRig, dict[str, Office], ProvinceProcess], tmp_path: Path
) -> None:
    province, offices, server = drill
    engine = db.make_engine(province.db_url)

    def traffic(share: float) -> None:
        for office in offices.values():
            office.traffic(share)

    try:
        server.start()
        traffic(PHASES[0])
        wait_until(lambda: _count(engine) >= sum(o.sent for o in offices.values()), "the first events", timeout=30)

        province.broker.stop()  # the link is cut (for both offices) mid-traffic
        traffic(PHASES[1])  # queued by the office brokers for their bridges...
        q2 = offices["q2"].rig
        q2.broker.kill_and_restart()  # ...and q2's queue is lost with its broker
        wait_until(q2.connected, "q2's server clients to reconnect")
        traffic(PHASES[2])  # queued again (q2's now begin after a gap)
        before = _count(engine)
        province.broker.restart()  # the link is back: the backlog flows...
        wait_until(lambda: _count(engine) > before, "the backlog to start arriving", timeout=30)
        server.kill()  # ...and the province server is killed in the middle of it
        assert _count_of(engine, "q1") < offices["q1"].sent  # mid-ingest: q1 lost nothing, its backlog was flowing
        traffic(PHASES[3])  # queued by the province broker for the server's persistent session
        server.start()
        wait_until(lambda: _count(engine) > before + 50, "the restarted server to import", timeout=30)
        server.kill()  # killed again
        server.start()
        traffic(-1)

        def complete() -> bool:
            marks = CursorStore(engine).load()
            return all(
                marks.get(o, 0) >= office.rig.store.last_seq() and _count_of(engine, o) >= office.sent
                for o, office in offices.items()
            )

        wait_until(complete, f"every event at the province\n{server.log.read_text()[-3000:]}", timeout=40)
        assert server.stop() == 0
    finally:
        engine.dispose()

    assert server.kills == 2
    for office_id, office in offices.items():
        at_office = office.rig.event_ids()
        at_province = province.event_ids(office_id)
        assert Counter(at_province) == Counter(at_office), office_id  # every event, exactly once
        assert len(at_office) == len(office.log)
    # The fault this drill is about happened: q2's lost events were filled in after newer ones had arrived.
    origin = _origin_seqs_in_import_order(province.db_url, "q2")
    assert origin != sorted(origin)

    engine = db.make_engine(province.db_url)
    try:
        setups = office_setups(engine)
        for office_id, office in offices.items():
            setup = setups[office_id]
            catch_up_office(engine, setup)
            at_province = VisitProjection(engine).report(setup, *YEAR, targets=DEFAULT_TARGETS)
            own = office_report(office.rig.store, setup, *YEAR, group_by=GroupBy, targets=DEFAULT_TARGETS)
            want = own.overall
            assert want.finished > 100 and want.open == 0 and want.ratings > 0
            got = at_province.overall
            assert (got.finished, got.open, got.satisfaction_share) == (
                want.finished,
                want.open,
                want.satisfaction_share,
            ), office_id
            assert_same(at_province.overall, own.overall, f"{office_id}.overall")
            assert_same(at_province.groups, own.groups, f"{office_id}.groups")
    finally:
        engine.dispose()


def _count_of(engine: Engine, office_id: str) -> int:
    e = events_table
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).where(e.c.office_id == office_id)).scalar_one())


def _origin_seqs_in_import_order(url: str, office_id: str) -> list[int]:
    e = events_table
    engine = db.make_engine(url)
    try:
        with engine.connect() as conn:
            query = select(e.c.origin_seq).where(e.c.office_id == office_id).order_by(e.c.seq)
            return [int(s) for s in conn.execute(query).scalars()]
    finally:
        engine.dispose()
