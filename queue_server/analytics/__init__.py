"""Statistics for the manager dashboard, computed from the event log alone (standard library only).

``period_report(events, setup, start, end)`` folds the events into visits (``visits``), computes a period's
figures overall and per group (``metrics``) and checks them against the national targets (``targets``).
Every definition is in docs/statistics.md.
"""

from queue_server.analytics.metrics import Figures, Group, GroupBy
from queue_server.analytics.report import PeriodReport, period_report, report_from_history
from queue_server.analytics.targets import DEFAULT_TARGETS, Status, Target, TargetCheck, Targets
from queue_server.analytics.visits import Folder, History, Segment, SegmentEnd, Visit, VisitStatus, Wait, fold

__all__ = [
    "DEFAULT_TARGETS",
    "Figures",
    "Folder",
    "Group",
    "GroupBy",
    "History",
    "PeriodReport",
    "Segment",
    "SegmentEnd",
    "Status",
    "Target",
    "TargetCheck",
    "Targets",
    "Visit",
    "VisitStatus",
    "Wait",
    "fold",
    "period_report",
    "report_from_history",
]
