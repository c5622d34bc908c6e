"""How long reports from the statistics read model take: an office-year on SQLite, a province-year on PostgreSQL.

    python -m queue_server.analytics.projection_bench [--visits 60000] [--offices 100] [--province-visits 60000]

Functions for ``make bench`` (queue_server/bench/run.py wires them into its table):

* ``office_year_projection_seconds``: the synthetic office-year of ``bench.office_year`` (real engine) in a
  SQLite store; the catch-up of the year and then of its last day are timed apart from the report, which is
  timed as the median of several runs after one warm-up (the first run compiles the SQL statements).
* ``province_year_postgres_seconds``: 100 offices × a year of visits loaded straight into the read model's
  tables with COPY (visits, day roll-ups, minute histograms, staff-days: what the province report reads;
  folding 6 million visits event by event would take hours and measure the fold, not the report), then the
  province report.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from queue_server.analytics.bench import HOURLY_WEIGHT, SERVICES, SETUP, YEAR, _working_days, office_year
from queue_server.analytics.metrics import GroupBy
from queue_server.analytics.projection import VisitProjection
from queue_server.analytics.projection_rows import Unit, totals_row, wait_buckets
from queue_server.engine import events as ev
from queue_server.store import db
from queue_server.store.event_store import Commit, EventStore
from queue_server.store.schema import ROLLUP_TOTALS, stats_visits

DASHBOARD_GROUPS = (GroupBy.SERVICE, GroupBy.COUNTER, GroupBy.STAFF, GroupBy.HOUR, GroupBy.DAY)
"""What the dashboard's period page shows: every grouping (docs/statistics.md, "Dashboard periods")."""
VISIT_COLUMNS = tuple(column.name for column in stats_visits.columns)
"""The order ``_office_rows`` writes its tuples in."""


def _timed(run: Callable[[], object]) -> float:
    started = time.perf_counter()
    run()
    return time.perf_counter() - started


def _median(run: Callable[[], object], runs: int) -> float:
    run()  # warm-up: statement compilation, caches
    return statistics.median(_timed(run) for _ in range(runs))


def office_year_projection_seconds(visits: int = 60_000, seed: int = 1, runs: int = 5) -> dict[str, float]:
    """Seconds for the read model of a synthetic office-year on SQLite: catching up the year but its last
    day (``catch_up_year_s``), then that day (``catch_up_day_s``), and the report with the dashboard's
    groupings of the year, of one month and of one day (medians of ``runs``), and the year's export as xlsx and
    pdf (report included)."""
    events = office_year(visits, seed)
    last_day = max(e.day for e in events if isinstance(e, ev.TicketIssued))
    split = next(i for i, e in enumerate(events) if isinstance(e, ev.TicketIssued) and e.day == last_day)
    year, june, day = (date(YEAR, 1, 1), date(YEAR, 12, 31)), (date(YEAR, 6, 1), date(YEAR, 6, 30)), (last_day,) * 2
    result: dict[str, float] = {"events": len(events)}
    with tempfile.TemporaryDirectory() as folder:
        store = EventStore(f"sqlite:///{Path(folder) / 'year.db'}", SETUP.office_id)
        try:
            store.migrate()
            projection = VisitProjection(store.engine)
            for key, part in (("catch_up_year_s", events[:split]), ("catch_up_day_s", events[split:])):
                for i in range(0, len(part), 5000):
                    store.commit([Commit(None, None, part[i : i + 5000], {})])
                result[key] = _timed(lambda: projection.catch_up(store, SETUP))
            result["visits"] = projection.report(SETUP, *year, group_by=()).overall.visits
            result["report_year_dashboard_s"] = _median(
                lambda: projection.report(SETUP, *year, group_by=DASHBOARD_GROUPS), runs
            )
            result["report_month_s"] = _median(lambda: projection.report(SETUP, *june), runs)
            result["report_day_s"] = _median(lambda: projection.report(SETUP, *day), runs)
            result["xlsx_year_s"] = _median(lambda: _export(projection, year, "xlsx"), max(1, runs // 2))
            result["pdf_year_s"] = _timed(lambda: _export(projection, year, "pdf"))
        finally:
            store.close()
    return result


def _office_rows(office_id: str, visits: int, rng: random.Random) -> Iterator[tuple[date, list[tuple[Any, ...]]]]:
    """A year of plausible visit rows of one office, day by day (no fold: numbers drawn directly)."""
    hours, weights = list(HOURLY_WEIGHT), list(HOURLY_WEIGHT.values())
    days = _working_days(YEAR)
    per_day = visits / len(days)
    serial = 0
    for day in days:
        rows = []
        for hour in sorted(rng.choices(hours, weights=weights, k=max(1, round(rng.gauss(per_day, per_day / 5))))):
            serial += 1
            issued = datetime(day.year, day.month, day.day, hour - 7, tzinfo=UTC) + timedelta(
                seconds=rng.random() * 3600
            )
            roll = rng.random()
            status = "no_show" if roll < 0.03 else "expired" if roll < 0.04 else "finished"
            wait = None if status == "expired" else round(rng.expovariate(1 / (60 * HOURLY_WEIGHT[hour])), 6)
            finished = status == "finished"
            served = round(rng.lognormvariate(6.1, 0.5), 6) if finished else 0.0
            rated = finished and rng.random() < 0.4
            satisfied = rated and rng.random() < 0.96
            dossier = finished and rng.random() < 0.6
            counter = rng.randrange(1, 7)
            ended = issued + timedelta(seconds=(wait or 0) + served)
            rows.append(
                (office_id, f"t{serial}", rng.choice(SERVICES), None, day, hour, issued, status, ended, None, 0,
                 wait, 0, int(finished), served, int(rated), int(satisfied), int(dossier),
                 int(dossier and rated and not satisfied), 1, f"q{counter}", f"nv{counter}")
            )  # fmt: skip
        yield day, rows


def load_province(url: str, offices: int, visits_per_office: int, seed: int = 1) -> list[str]:
    """COPY a year of ``offices`` offices into the read model's tables (migrated first); returns office ids."""
    engine = db.make_engine(url)
    try:
        if db.current_revision(engine) != db.HEAD_REVISION:
            db.upgrade(engine)
        rng = random.Random(seed)
        office_ids = [f"office-{n:03d}" for n in range(1, offices + 1)]
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            for office_id in office_ids:
                _copy_office(cursor, office_id, visits_per_office, rng)
                raw.commit()
            cursor.execute("ANALYZE")
            raw.commit()
        finally:
            raw.close()
        return office_ids
    finally:
        engine.dispose()


def _copy_office(cursor: Any, office_id: str, visits: int, rng: random.Random) -> None:
    rollup_columns = ("office_id", "day", "dim", "key", *ROLLUP_TOTALS, "waits")
    with cursor.copy(f"COPY stats_visits ({', '.join(VISIT_COLUMNS)}) FROM STDIN") as visits_copy:
        rollups, staff_days, minutes = [], [], []
        for day, rows in _office_rows(office_id, visits, rng):
            for row in rows:
                visits_copy.write_row(row)
            units: list[Unit] = [(r[7], r[11], r[12], r[13], r[14], r[15], r[16], r[17], r[18]) for r in rows]
            totals = totals_row(units)
            rollups.append((office_id, day, "day", "", *(totals[name] for name in ROLLUP_TOTALS), totals["waits"]))
            staff_days += [(office_id, f"nv{n}", day) for n in range(1, 7)]
            minutes += [(office_id, day, bucket, n) for bucket, n in wait_buckets(units).items()]
    with cursor.copy(f"COPY stats_rollup ({', '.join(rollup_columns)}) FROM STDIN") as rollup_copy:
        for rollup in rollups:
            rollup_copy.write_row(rollup)
    with cursor.copy("COPY stats_staff_days (office_id, staff_id, day) FROM STDIN") as staff_copy:
        for staff_day in staff_days:
            staff_copy.write_row(staff_day)
    with cursor.copy("COPY stats_wait_hist (office_id, day, bucket, waits) FROM STDIN") as minutes_copy:
        for minute in minutes:
            minutes_copy.write_row(minute)


def _export(projection: VisitProjection, period: tuple[date, date], fmt: str) -> bytes:
    """What ``/dashboard/export.<fmt>`` does for the year: the report from the read model, then the file."""
    from queue_server.reports.formats import document_for, render

    report = projection.report(SETUP, *period, group_by=DASHBOARD_GROUPS)
    return render(document_for(report, SETUP, "year"), fmt)


def province_year_postgres_seconds(
    offices: int = 100, visits_per_office: int = 60_000, url: str | None = None, runs: int = 3
) -> dict[str, float]:
    """Seconds of the province report for a year of ``offices`` offices on PostgreSQL (median of ``runs``
    after a warm-up), and of loading them (``load_s``). Without ``url`` a throw-away server is started."""
    if url is None:
        from queue_server.bench.postgres import TemporaryPostgres

        with TemporaryPostgres() as server:
            return province_year_postgres_seconds(offices, visits_per_office, server.create_database("province"), runs)
    result: dict[str, float] = {"offices": offices}
    office_ids: list[str] = []

    def load() -> None:
        office_ids.extend(load_province(url, offices, visits_per_office))

    result["load_s"] = _timed(load)
    setups = [replace(SETUP, office_id=office_id) for office_id in office_ids]
    engine = db.make_engine(url)
    try:
        projection = VisitProjection(engine)
        year = date(YEAR, 1, 1), date(YEAR, 12, 31)
        result["visits"] = projection.province_report(setups, *year).overall.visits
        result["province_report_s"] = _median(lambda: projection.province_report(setups, *year), runs)
    finally:
        engine.dispose()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--visits", type=int, default=60_000, help="visits of the office-year (0: skip)")
    parser.add_argument("--offices", type=int, default=100, help="offices of the province (0: skip)")
    parser.add_argument("--province-visits", type=int, default=60_000, help="visits per office of the province")
    parser.add_argument("--url", default=None, help="PostgreSQL URL (default: a throw-away server)")
    args = parser.parse_args()
    figures: dict[str, float] = {}
    if args.visits:
        figures.update(office_year_projection_seconds(args.visits))
    if args.offices:
        province = province_year_postgres_seconds(args.offices, args.province_visits, args.url)
        figures.update({f"province_{k}" if not k.startswith("province") else k: v for k, v in province.items()})
    for key, value in figures.items():
        print(f"{key:>26}: {value:,.3f}")


if __name__ == "__main__":
    main()
