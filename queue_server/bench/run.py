"""``make bench``: the spine's benchmarks through real Mosquitto on loopback; prints a table.

Each figure is measured with the server as its own process and every ticket durable before its reply.
Goals come from issue 3 (and are shown beside each measurement, never asserted in tests).
"""

from __future__ import annotations

import multiprocessing
import statistics
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from queue_server.bench.busy_day import busy_day_rss
from queue_server.bench.flood import flood_round_trips
from queue_server.bench.office import OfficeUnderTest
from queue_server.bench.percentile import percentile
from queue_server.bench.replay import replay_rate
from queue_server.bench.rows import device_and_web_rows
from queue_server.bench.savepoint import deepcopy_ms, savepoint_us
from queue_server.brokers.process import MosquittoProcess, free_port
from queue_server.contract import topics
from queue_server.contract.device_link import DeviceLink

KIOSKS = ("kiosk-1", "kiosk-2", "kiosk-3")
SERVICES = ("ho-tich", "chung-thuc", "dat-dai", "cu-tru")


@dataclass
class Row:
    name: str
    goal: str
    value: str
    ok: bool | None


def _kiosk_process(args: tuple[str, int, str, str, int, int], ready: Any, go: Any, results: Any) -> None:
    """One kiosk as its own process (as on its own Pi): submit ``n`` tickets, wait for every reply."""
    office_id, port, device_id, password, n, offset = args
    done = threading.Event()
    answered = [0]

    def on_reply(reply: dict[str, Any]) -> None:
        answered[0] += 1
        if answered[0] == n:
            done.set()

    with tempfile.TemporaryDirectory() as tmp:
        link = DeviceLink(
            office_id=office_id,
            device_id=device_id,
            password=password,
            host="127.0.0.1",
            port=port,
            outbox_path=Path(tmp) / "outbox.db",
            on_reply=on_reply,
            resend_interval=5.0,
        ).start()
        link.wait_connected(10)
        ready.put(device_id)
        go.wait(30)
        start = time.time()
        for i in range(n):
            link.submit("issue_ticket", {"service_id": SERVICES[(i + offset) % 4]})
        done.wait(120)
        results.put((start, time.time(), answered[0]))
        link.close()


def throughput(office: OfficeUnderTest, total: int) -> float:
    """Tickets/s sustained: 3 kiosk processes submit as fast as they can; first submit to last reply."""
    ctx = multiprocessing.get_context("spawn")
    ready, results, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    procs = [
        ctx.Process(
            target=_kiosk_process,
            args=(
                (office.office_id, office.port, k, office.passwords[k], total // 3 + (i < total % 3), i),
                ready,
                go,
                results,
            ),
        )
        for i, k in enumerate(KIOSKS)
    ]
    for proc in procs:
        proc.start()
    for _ in procs:
        ready.get(timeout=60)
    go.set()
    outcomes = [results.get(timeout=180) for _ in procs]
    for proc in procs:
        proc.join(timeout=30)
    first, last = min(o[0] for o in outcomes), max(o[1] for o in outcomes)
    return float(sum(o[2] for o in outcomes)) / float(last - first)


def round_trips(office: OfficeUnderTest, count: int, rate: float) -> list[float]:
    """Issue round trip (submit -> durable -> reply received) at a fixed request rate, in ms."""
    link = office.link("kiosk-1").start()
    link.wait_connected(10)
    latencies: list[float] = []
    interval = 1.0 / rate
    next_at = time.perf_counter()
    for i in range(count):
        next_at += interval
        t0 = time.perf_counter()
        reply = link.request("issue_ticket", {"service_id": SERVICES[i % 4]}, timeout=5)
        if reply is not None:
            latencies.append((time.perf_counter() - t0) * 1000)
        time.sleep(max(0.0, next_at - time.perf_counter()))
    link.close()
    return latencies


def call_next_to_state(office: OfficeUnderTest, count: int) -> list[float]:
    """call_next submitted by the counter unit -> its retained counter state message received, in ms."""
    kiosk = office.link("kiosk-1").start()
    kiosk.wait_connected(10)
    for i in range(count):
        kiosk.submit("issue_ticket", {"service_id": "ho-tich" if i % 2 else "chung-thuc"})
    deadline = time.monotonic() + 60
    while kiosk.pending() and time.monotonic() < deadline:
        time.sleep(0.05)
    kiosk.close()
    seen = threading.Event()
    label: list[str] = [""]
    state_topic = topics.counter_state(office.office_id, "quay-1")

    def on_state(topic: str, data: dict[str, Any]) -> None:
        serving = data.get("serving") or {}
        if topic == state_topic and serving.get("label") and serving["label"] != label[0]:
            label[0] = serving["label"]
            seen.set()

    counter = office.link("counter-1", on_state=on_state, state_topics=(state_topic,)).start()
    counter.wait_connected(10)
    time.sleep(0.3)  # the retained message from before arrives first
    latencies = []
    for _ in range(count):
        seen.clear()
        t0 = time.perf_counter()
        counter.submit("call_next", {"counter_id": "quay-1"})
        if seen.wait(5):
            latencies.append((time.perf_counter() - t0) * 1000)
    counter.close()
    return latencies


def rss_under_load(office: OfficeUnderTest, total: int) -> tuple[int, int]:
    idle = office.server_rss_kib()
    peak = [idle]
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.05):
            peak[0] = max(peak[0], office.server_rss_kib())

    sampler = threading.Thread(target=sample)
    sampler.start()
    throughput(office, total)
    stop.set()
    sampler.join()
    return idle, peak[0]


def _with_office(base: Path, name: str, body: Callable[[OfficeUnderTest], Any], embedded: bool = False) -> Any:
    port = free_port()
    office = OfficeUnderTest(base / name, port=port, broker_kind="embedded" if embedded else "mosquitto")
    office.provision({**{k: ("kiosk", None) for k in KIOSKS}, "counter-1": ("counter", "quay-1")})
    broker = None
    if not embedded:
        broker = MosquittoProcess(base / name / "mosquitto")
        broker.start_on(port, office.accounts(), office_id=office.office_id)
    try:
        office.start_server()
        return body(office)
    finally:
        office.stop_server()
        if broker is not None:
            broker.stop()


def main(quick: bool = False) -> int:
    scale = 0.2 if quick else 1.0
    rows: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="motcua-bench-") as tmp:
        base = Path(tmp)
        rate = _with_office(base, "throughput", lambda o: throughput(o, int(3000 * scale)))
        rows.append(Row("tickets/s sustained, 3 kiosks (Mosquitto)", ">= 1000/s", f"{rate:,.0f}/s", rate >= 1000))
        lat = _with_office(base, "latency", lambda o: round_trips(o, int(1000 * scale), 100.0))
        p50, p99 = percentile(lat, 50), percentile(lat, 99)
        rows.append(Row("issue round trip p50 at 100/s", "<= 3 ms", f"{p50:.2f} ms", p50 <= 3))
        rows.append(Row("issue round trip p99 at 100/s", "<= 10 ms", f"{p99:.2f} ms", p99 <= 10))
        calls = _with_office(base, "call", lambda o: call_next_to_state(o, int(300 * scale)))
        c99 = percentile(calls, 99)
        rows.append(Row("call_next -> counter retained state p99", "<= 20 ms", f"{c99:.2f} ms", c99 <= 20))
        events_per_s = replay_rate(int(200_000 * scale))
        rows.append(Row("engine replay", ">= 200,000 ev/s", f"{events_per_s:,.0f} ev/s", events_per_s >= 200_000))
        idle, peak = _with_office(base, "rss", lambda o: rss_under_load(o, int(3000 * scale)), embedded=True)
        rows.append(Row("server RSS, embedded broker, idle", "<= 80 MB", f"{idle / 1024:.1f} MB", idle <= 80 * 1024))
        rows.append(Row("server RSS, embedded broker, load", "<= 80 MB", f"{peak / 1024:.1f} MB", peak <= 80 * 1024))
        for embedded, broker in ((False, "Mosquitto"), (True, "embedded")):
            under, _ = flood_round_trips(base / f"flood-{broker}", int(20_000 * scale), int(50 * scale), embedded)
            f99 = percentile(under, 99)
            rows.append(
                Row(
                    f"issue p99 under a flood from one kiosk ({broker})",
                    "<= 8000 ms (ttl)",
                    f"{f99:.1f} ms",
                    f99 <= 8000,
                )
            )
        rows.append(Row("(for scale) issue round trip mean", "", f"{statistics.mean(lat):.2f} ms", None))
        for tickets in (1000, 5000):
            cost = savepoint_us(tickets)
            rows.append(Row(f"batch savepoint, {tickets:,} tickets today", "<= 500 us", f"{cost:.0f} us", cost <= 500))
        rows.append(Row("(for scale) deep copy of that state", "", f"{deepcopy_ms(5000):.0f} ms", None))
        day = int(3000 * scale)
        before, after, served = busy_day_rss(base, day)
        ok = after <= 80 * 1024 and served == day
        rows.append(Row(f"RSS after a busy day ({day:,} tickets served) through the real server", "<= 80 MB",
                        f"{after / 1024:.1f} MB", ok))  # fmt: skip
        grown = (after - before) * 1024 / max(served, 1)
        rows.append(Row("(for scale) RSS growth per ticket of the day", "", f"{grown:,.0f} B", None))
    rows += [Row(*row) for row in device_and_web_rows(scale)]
    _print(rows)
    return 0


def _print(rows: list[Row]) -> None:
    width = max(len(r.name) for r in rows)
    print(f"{'benchmark':<{width}}  {'goal':<16} {'measured':>14}  result")
    print("-" * (width + 42))
    for r in rows:
        verdict = "" if r.ok is None else ("met" if r.ok else "NOT MET")
        print(f"{r.name:<{width}}  {r.goal:<16} {r.value:>14}  {verdict}")
