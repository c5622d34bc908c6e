"""The figures of simulated days, straight from the simulator's visits (no fold of the log: the planner reads
thousands of days). The definitions are docs/statistics.md's: a visit's wait is the sum of its waits in a line,
counted for finished and no-show visits; p90 is the nearest rank; "within 15 min" is a wait ≤ 15 min. A test
checks these against ``analytics.period_report`` on the same simulated log.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable
from dataclasses import dataclass

from queue_server.analytics.metrics import WITHIN_15, WITHIN_30, nearest_rank
from queue_server.simulate.day import CounterResult, DayRun, VisitResult

COUNTED = frozenset({"finished", "no_show"})


@dataclass(frozen=True)
class WaitFigures:
    visits: int
    waits_counted: int
    mean_wait_seconds: float | None
    p90_wait_seconds: float | None
    share_within_15_min: float | None
    share_within_30_min: float | None


def wait_figures(visits: Iterable[VisitResult]) -> WaitFigures:
    all_visits = list(visits)
    waits = sorted(v.wait_seconds for v in all_visits if v.status in COUNTED)
    n = len(waits)
    return WaitFigures(
        visits=len(all_visits),
        waits_counted=n,
        mean_wait_seconds=sum(waits) / n if n else None,
        p90_wait_seconds=nearest_rank(waits, 90) if n else None,
        share_within_15_min=bisect_right(waits, WITHIN_15) / n if n else None,
        share_within_30_min=bisect_right(waits, WITHIN_30) / n if n else None,
    )


def by_hour(visits: Iterable[VisitResult]) -> dict[int, WaitFigures]:
    """Per local hour of arrival."""
    groups: dict[int, list[VisitResult]] = {}
    for visit in visits:
        groups.setdefault(visit.hour, []).append(visit)
    return {hour: wait_figures(groups[hour]) for hour in sorted(groups)}


def utilisation(counters: Iterable[CounterResult]) -> dict[str, float | None]:
    """Per counter, busy time over open time (overtime included) across the simulated days."""
    totals: dict[str, list[float]] = {}
    for c in counters:
        total = totals.setdefault(c.counter_id, [0.0, 0.0])
        total[0] += c.busy_seconds
        total[1] += c.open_seconds
    return {k: (busy / opened if opened > 0 else None) for k, (busy, opened) in totals.items()}


def minutes(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds / 60:.1f} min"


def percent(share: float | None) -> str:
    return "-" if share is None else f"{share * 100:.0f} %"


def format_run(run: DayRun) -> str:
    """The day's figures as ``motcua simulate`` prints them (Vietnamese first)."""
    f = wait_figures(run.visits)
    days = len({v.day for v in run.visits}) or 1
    lines = [
        f"Lượt phục vụ / visits: {f.visits}" + (f" ({days} ngày / days)" if days > 1 else ""),
        f"Chờ trung bình / mean wait: {minutes(f.mean_wait_seconds)}",
        f"Chờ P90 / 90th percentile wait: {minutes(f.p90_wait_seconds)}",
        f"Trong 15 phút / within 15 min: {percent(f.share_within_15_min)}",
        f"Trong 30 phút / within 30 min: {percent(f.share_within_30_min)}",
        "Công suất quầy / counter utilisation:",
    ]
    lines += [f"  {counter}: {percent(share)}" for counter, share in sorted(utilisation(run.counters).items())]
    lines.append("Theo giờ đến / by hour of arrival:")
    lines.append("  giờ   lượt  chờ TB      P90        ≤15'   ≤30'")
    for hour, h in by_hour(run.visits).items():
        lines.append(
            f"  {hour:02d}h {h.visits:>6}  {minutes(h.mean_wait_seconds):>9}  {minutes(h.p90_wait_seconds):>9}"
            f"  {percent(h.share_within_15_min):>5}  {percent(h.share_within_30_min):>5}"
        )
    return "\n".join(lines)
