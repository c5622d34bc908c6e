"""Benchmark of the office → province flow: events/s through the bridge into the province database.

For ``make bench``'s table (``queue_server/bench/run.py``). Real Mosquittos on loopback and a real database
(SQLite unless a URL is given); the events are committed first, then published as fast as the office broker
takes them, and the clock stops when the province has imported every one and its watermark reached the last.
"""

from __future__ import annotations

import json
import tempfile
import time
from pathlib import Path

from queue_server.province.rig import ProvinceRig
from queue_server.store.jsonl import record_to_dict

OFFICE = "bench-office"


def province_flow_rate(events: int = 2000, db_url: str | None = None) -> float:
    """Events per second from the office broker to committed rows at the province (bridge + ingest)."""
    with tempfile.TemporaryDirectory(prefix="motcua-province-bench-") as tmp:
        root = Path(tmp)
        province = ProvinceRig(root / "province", db_url or f"sqlite:///{root / 'province.db'}", [OFFICE])
        office = province.office(OFFICE, root / OFFICE)
        try:
            office.commit(1)
            province.wait_for(office)  # bridge up, first request answered: nothing else in flight
            payloads = [json.dumps(record_to_dict(s)).encode() for s in office.commit(events, publish=False)]
            started = time.perf_counter()
            office.publish(payloads)
            province.wait_for(office, timeout=120.0)
            return events / (time.perf_counter() - started)
        finally:
            province.ingest.stop()
            office.close()
            province.broker.stop()
