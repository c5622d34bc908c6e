"""The export formats by name, for the dashboard's download links and ``motcua stats --format``."""

from __future__ import annotations

from queue_server.analytics.report import PeriodReport
from queue_server.engine.setup import OfficeSetup
from queue_server.reports import periods
from queue_server.reports.document import Document, build, names_of
from queue_server.reports.text import language

MEDIA_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
}
FORMATS = tuple(MEDIA_TYPES)


def document_for(report: PeriodReport, setup: OfficeSetup, kind: str = "custom", lang: str = "vi") -> Document:
    """``report`` as a document in ``lang``, titled for its period ``kind`` ("Quý IV năm 2026")."""
    _ = language(lang)
    return build(report, names_of(setup, _), periods.label(kind, report.start, report.end, _), _)


def render(document: Document, fmt: str) -> bytes:
    if fmt == "xlsx":
        from queue_server.reports import xlsx

        return xlsx.render(document)
    if fmt == "pdf":
        from queue_server.reports import pdf

        return pdf.render(document)
    if fmt == "csv":
        from queue_server.reports import csv

        return csv.render(document)
    raise ValueError(f"unknown format {fmt!r}: one of {', '.join(FORMATS)}")
