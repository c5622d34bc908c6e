"""``motcua stats``: a period's figures against the national targets, as text (the web shows the same report),
or with ``--format xlsx|pdf|csv -o FILE`` as the dashboard's downloadable report (``queue_server.reports``).

Only a formatter: every figure comes from ``queue_server.analytics`` (definitions in docs/statistics.md).
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from queue_server.analytics.current import effective_targets, office_report
from queue_server.analytics.metrics import GroupBy
from queue_server.analytics.report import PeriodReport
from queue_server.analytics.reversals import PeriodRefused
from queue_server.analytics.targets import DEFAULT_TARGETS, Status, Targets
from queue_server.engine.setup import OfficeSetup
from queue_server.store.event_store import EventStore

_STATUS = {Status.MET: "đạt / met", Status.NOT_MET: "CHƯA ĐẠT / not met", Status.NO_DATA: "chưa có số liệu / no data"}


FORMATS = ("text", "xlsx", "pdf", "csv")


def report(
    store: EventStore,
    setup: OfficeSetup,
    start: str | None,
    end: str | None,
    group_by: Iterable[GroupBy] = (),
    targets: Targets = DEFAULT_TARGETS,
) -> PeriodReport:
    """The period's report against ``targets`` (the config file's) with the admin pages' saved targets over them."""
    today = (datetime.now(UTC) + timedelta(minutes=setup.utc_offset_minutes)).date()
    first = date.fromisoformat(start) if start else today
    last = date.fromisoformat(end) if end else first
    return office_report(store, setup, first, last, group_by=group_by, targets=effective_targets(store, targets))


def run(
    store: EventStore,
    setup: OfficeSetup,
    start: str | None,
    end: str | None,
    fmt: str = "text",
    output: str | None = None,
    targets: Targets = DEFAULT_TARGETS,
) -> int:
    """``motcua stats``: text to standard output (or ``output``), or a report file; xlsx and pdf need ``-o``."""
    try:
        return _run(store, setup, start, end, fmt, output, targets)
    except PeriodRefused as exc:
        print(f"motcua stats: no figures: {exc}", file=sys.stderr)
        return 2


def _run(
    store: EventStore,
    setup: OfficeSetup,
    start: str | None,
    end: str | None,
    fmt: str,
    output: str | None,
    targets: Targets,
) -> int:
    if fmt == "text":
        text = format_report(report(store, setup, start, end, targets=targets)) + "\n"
        if output in (None, "-"):
            sys.stdout.write(text)
        else:
            Path(output).write_text(text, encoding="utf-8")
        return 0
    from queue_server.reports.document import EXPORTED_GROUPS
    from queue_server.reports.formats import document_for, render

    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
    data = render(document_for(report(store, setup, start, end, EXPORTED_GROUPS, targets), setup), fmt)
    if output in (None, "-"):
        if fmt != "csv":
            print(f"motcua stats --format {fmt} needs -o FILE (a binary file)", file=sys.stderr)
            return 2
        sys.stdout.buffer.write(data)
    else:
        Path(output).write_bytes(data)
    return 0


def _minutes(seconds: float | None) -> str:
    return "–" if seconds is None else f"{seconds / 60:.1f} phút/min"


def _percent(share: float | None) -> str:
    return "–" if share is None else f"{share * 100:.1f}%"


def format_report(r: PeriodReport) -> str:
    f = r.overall
    lines = [
        f"Văn phòng / office {r.office_id}: {r.start.isoformat()} → {r.end.isoformat()}",
        f"  lượt / visits: {f.visits}  xong / finished: {f.finished}  vắng / no-shows: {f.no_shows}"
        f"  chuyển / transfers: {f.transfers}  đang mở / open: {f.open}",
        f"  chờ trung bình / average wait: {_minutes(f.avg_wait_seconds)}  p90: {_minutes(f.p90_wait_seconds)}"
        f"  ≤15′: {_percent(f.share_within_15_min)}  ≤30′: {_percent(f.share_within_30_min)}",
        f"  phục vụ trung bình / average service: {_minutes(f.avg_service_seconds)}",
        f"  hài lòng / satisfied ratings: {_percent(f.satisfaction_share)} of {f.ratings}"
        f"  QĐ 766: {_percent(f.qd766_ratio)} of {f.dossiers_received} hồ sơ / dossiers",
        "  chỉ tiêu / targets:",
    ]
    for check in r.targets:
        lines.append(f"    {check.target.label} ({check.target.year}): {_STATUS[check.status]}")
    return "\n".join(lines)
