"""``make bench`` row: the server's RSS after a busy day through the real server process (SQLite, embedded
broker), so what bounds memory is measured, not assumed (docs/architecture.md "What bounds memory").

One kiosk issues the day's tickets at the peak rate; three counter units call and finish every one of them,
each request answered (durable) before the next. RSS is read from /proc before the first ticket and at the end.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

from queue_server.bench.office import OfficeUnderTest
from queue_server.brokers.process import free_port

SERVICES = ("ho-tich", "chung-thuc", "dat-dai", "cu-tru")
COUNTERS = {"counter-1": "quay-1", "counter-2": "quay-2", "counter-3": "quay-3"}


def _serve(office: OfficeUnderTest, device_id: str, counter_id: str, served: list[int], done: threading.Event) -> None:
    link = office.link(device_id).start()
    try:
        link.wait_connected(10)
        idle_since: float | None = None
        while True:
            reply = link.request("call_next", {"counter_id": counter_id}, timeout=10) or {}
            if reply.get("ok"):
                idle_since = None
                link.request("finish", {"counter_id": counter_id, "outcome": "dossier_received"}, timeout=10)
                served[0] += 1
                continue
            if done.is_set():  # every ticket issued and nothing left for this counter
                if idle_since is None:
                    idle_since = time.monotonic()
                elif time.monotonic() - idle_since > 1.0:
                    return
            time.sleep(0.01)
    finally:
        link.close()


def busy_day_rss(base: Path, tickets: int) -> tuple[int, int, int]:
    """(RSS before, RSS after, tickets served) in KiB, for a day of ``tickets`` issued and served."""
    office = OfficeUnderTest(base / "busy-day", port=free_port(), broker_kind="embedded")
    office.provision({"kiosk-1": ("kiosk", None), **{d: ("counter", c) for d, c in COUNTERS.items()}})
    office.start_server()
    try:
        before = office.server_rss_kib()
        issued = threading.Event()
        counts = {d: [0] for d in COUNTERS}
        workers = [
            threading.Thread(target=_serve, args=(office, d, c, counts[d], issued), daemon=True)
            for d, c in COUNTERS.items()
        ]
        for worker in workers:
            worker.start()
        kiosk = office.link("kiosk-1").start()
        kiosk.wait_connected(10)
        for i in range(tickets):
            kiosk.submit("issue_ticket", {"service_id": SERVICES[i % len(SERVICES)]})
            if i % 50 == 49:
                while kiosk.pending() > 200:  # the peak rate the office can take, not an unbounded burst
                    time.sleep(0.01)
        deadline = time.monotonic() + 120
        while kiosk.pending() and time.monotonic() < deadline:
            time.sleep(0.05)
        kiosk.close()
        issued.set()
        for worker in workers:
            worker.join(timeout=300)
        return before, office.server_rss_kib(), sum(c[0] for c in counts.values())
    finally:
        office.stop_server()
