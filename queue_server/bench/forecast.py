"""``make bench`` rows of the wait forecast (issue 13): its cost on the issue path and its measured accuracy.

Latency: the forecast of a new ticket as ``OfficeService`` computes it before deciding the issue
(``OfficeForecast.new_ticket``), with 200 tickets waiting, 8 counters sharing 4 services, 4 of them mid-call,
service times learned from a served morning. Accuracy: simulated office days (``motcua simulate``'s sample
commune profile, several seeds) replayed by ``forecast check``, beside the old constant-rate estimate.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from itertools import count

from queue_server.bench.percentile import percentile
from queue_server.engine import commands as cmd
from queue_server.engine import events as ev
from queue_server.engine.decide import decide
from queue_server.engine.setup import Counter, OfficeSetup, Service
from queue_server.engine.state import QueueState
from queue_server.forecast.check import Accuracy, check
from queue_server.forecasting import OfficeForecast

BenchRow = tuple[str, str, str, bool | None]
SERVICES = ("ho-tich", "chung-thuc", "dat-dai", "cu-tru")


def _busy_office() -> tuple[QueueState, OfficeForecast, datetime]:
    setup = OfficeSetup(
        office_id="bench",
        name="Bench",
        services=tuple(Service(s, "ABCD"[i], s) for i, s in enumerate(SERVICES)),
        counters=tuple(Counter(f"q{i}", i, (SERVICES[i % 4], SERVICES[(i + 1) % 4])) for i in range(1, 9)),
    )
    state, forecast, ids = QueueState(), OfficeForecast(), count()
    now = datetime(2026, 3, 2, 0, 30, tzinfo=UTC)

    def run(command: cmd.Command) -> list[ev.Event]:
        out = decide(state, command, now, lambda: f"t{next(ids)}")
        for event in out:
            state.apply(event)
        forecast.learn(out)
        return out

    run(cmd.ConfigureOffice(setup))
    for i in range(160):  # a served morning: the service times the forecast learns
        run(cmd.IssueTicket(SERVICES[i % 4], "elderly_60" if i % 10 == 0 else None))
        counter = f"q{i % 8 or 8}"  # counter c serves services c % 4 and (c + 1) % 4
        run(cmd.CallNext(counter))
        now += timedelta(seconds=150)
        run(cmd.FinishService(counter))
    for i in range(204):
        run(cmd.IssueTicket(SERVICES[i % 4], "elderly_60" if i % 10 == 0 else None))
    for c in range(1, 5):
        run(cmd.CallNext(f"q{c}"))
    assert len(state.waiting) == 200
    return state, forecast, now


def latency_ms(runs: int) -> list[float]:
    state, forecast, now = _busy_office()
    out = []
    for i in range(runs):
        t0 = time.perf_counter()
        forecast.new_ticket(state, now, SERVICES[i % 4], None)
        out.append((time.perf_counter() - t0) * 1000)
    return out


def simulated_accuracy(days: int, seeds: int) -> Accuracy | None:
    """The sample profile's days through ``check``; None while the simulator is not in this tree."""
    try:
        from queue_server.simulate import load_profile, simulate_day
    except ImportError:
        return None
    profile = load_profile()
    log: list[ev.Event] = []
    for seed in range(seeds):
        log += simulate_day(profile, seed, days=days)
    return check(log)


def forecast_rows(scale: float) -> list[BenchRow]:
    lat = latency_ms(max(100, int(500 * scale)))
    p99 = percentile(lat, 99)
    rows: list[BenchRow] = [
        ("forecast, new ticket, 200 waiting, 8 counters, p99", "<= 5 ms", f"{p99:.2f} ms", p99 <= 5),
    ]
    accuracy = simulated_accuracy(max(2, int(10 * scale)), 1)
    if accuracy is None:
        return [*rows, ("forecast accuracy on simulated days", "simulator", "not available", None)]
    f, old = accuracy.forecast, accuracy.constant_rate
    limit = max(180.0, 0.2 * f.median_wait_s)
    return [
        *rows,
        (
            f"forecast median |error|, {f.tickets} simulated issues",
            f"<= {limit / 60:.1f} min",
            f"{f.median_abs_error_s / 60:.1f} min",
            f.median_abs_error_s <= limit,
        ),
        ("forecast calls inside the printed range", ">= 80 %", f"{f.inside_range:.0%}", f.inside_range >= 0.8),
        ("(for scale) forecast bias (+ = said longer)", "", f"{f.bias_s / 60:+.1f} min", None),
        ("(for scale) old constant rate: median |error|", "", f"{old.median_abs_error_s / 60:.1f} min", None),
        ("(for scale) old constant rate: inside ±5 min", "", f"{old.inside_range:.0%}", None),
        ("(for scale) old constant rate: bias", "", f"{old.bias_s / 60:+.1f} min", None),
        ("(for scale) median actual wait", "", f"{f.median_wait_s / 60:.1f} min", None),
    ]
