"""The dashboard's downloads: a ``PeriodReport`` rendered by ``queue_server.reports`` and sent as a file named
``bao-cao-<office>-<start>-<end>.<format>``. The routes are on the dashboard blueprint (same role check)."""

from __future__ import annotations

import io
import logging

from flask import Response, abort, send_file

from queue_server.analytics.report import PeriodReport
from queue_server.engine.setup import OfficeSetup
from queue_server.reports.document import Document
from queue_server.reports.formats import MEDIA_TYPES, document_for, render

logger = logging.getLogger(__name__)


def send_export(report: PeriodReport, setup: OfficeSetup, kind: str, lang: str, fmt: str) -> Response:
    return send_document(document_for(report, setup, kind, lang), fmt)


def send_document(document: Document, fmt: str) -> Response:
    """Any report document (an office's period, the province's offices) as a download."""
    from hardware.fonts import FontMissingError

    try:
        data = render(document, fmt)
    except FontMissingError as error:  # the PDF needs DejaVu Sans: say which package is missing
        logger.error("report %s not exported as %s: %s", document.filename_stem, fmt, error)
        abort(503, description=str(error))
    logger.info("report %s exported as %s (%d bytes)", document.filename_stem, fmt, len(data))
    return send_file(
        io.BytesIO(data),
        mimetype=MEDIA_TYPES[fmt],
        as_attachment=True,
        download_name=f"{document.filename_stem}.{fmt}",
        max_age=0,
    )
