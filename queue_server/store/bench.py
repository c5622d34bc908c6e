"""How many events a second the store commits durably, with the server's group commit.

    python -m queue_server.store.bench [--url URL] [--batches 200] [--batch-size 50]

Without ``--url`` it uses a fresh SQLite file in a temporary directory (WAL, synchronous=FULL, so every batch
is fsynced). Events are decided by the real engine beforehand; only ``EventStore.commit`` is timed.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from queue_server.engine import QueueState, decide
from queue_server.engine import commands as cmd
from queue_server.engine.setup import Counter, OfficeSetup, Service
from queue_server.store.event_store import Commit, EventStore

OFFICE = "bench-office"


def make_batches(batches: int, batch_size: int) -> list[list[Commit]]:
    """``batches`` lists of ``batch_size`` kiosk requests, each issuing one ticket (one event)."""
    setup = OfficeSetup(
        office_id=OFFICE,
        name="Benchmark office",
        services=(Service("hotich", "A", "Hộ tịch"),),
        counters=(Counter("q1", 1, ("hotich",)),),
    )
    now = datetime(2026, 5, 4, 1, 0, tzinfo=UTC)
    state = QueueState()
    serial = iter(range(1, 10**9))

    def handle(command: cmd.Command, request: int) -> Commit:
        events = decide(state, command, now, lambda: f"t{next(serial)}")
        for event in events:
            state.apply(event)
        return Commit("kiosk-1", f"req-{request}", events, {"ok": True})

    handle(cmd.ConfigureOffice(setup), 0)
    handle(cmd.IssueTicket("hotich"), 0)  # the day's first ticket also starts the day: keep it out of the count
    out = []
    for b in range(batches):
        now += timedelta(seconds=1)
        out.append([handle(cmd.IssueTicket("hotich"), b * batch_size + i + 1) for i in range(batch_size)])
    return out


def run(url: str, batches: int, batch_size: int) -> None:
    work = make_batches(batches, batch_size)
    store = EventStore(url, OFFICE)
    try:
        store.migrate()
        timings = []
        started = time.perf_counter()
        for batch in work:
            t0 = time.perf_counter()
            store.commit(batch)
            timings.append(time.perf_counter() - t0)
        elapsed = time.perf_counter() - started
    finally:
        store.close()
    events = sum(len(c.events) for batch in work for c in batch)
    timings.sort()
    print(f"url: {url}")
    print(f"{batches} batches x {batch_size} requests = {events} events in {elapsed:.2f} s")
    print(f"{events / elapsed:,.0f} events/s ({batches / elapsed:,.1f} durable commits/s)")
    print(
        f"batch commit latency: median {statistics.median(timings) * 1000:.1f} ms, "
        f"p99 {timings[int(len(timings) * 0.99) - 1] * 1000:.1f} ms, max {timings[-1] * 1000:.1f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", help="SQLAlchemy URL of an empty database (default: a temporary SQLite file)")
    parser.add_argument("--batches", type=int, default=200)
    parser.add_argument("--batch-size", type=int, default=50)
    args = parser.parse_args()
    if args.url:
        run(args.url, args.batches, args.batch_size)
        return
    with tempfile.TemporaryDirectory(prefix="motcua-bench-") as tmp:
        run(f"sqlite:///{Path(tmp) / 'bench.db'}", args.batches, args.batch_size)


if __name__ == "__main__":
    main()
