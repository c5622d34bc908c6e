"""The report as an Excel workbook (openpyxl): a summary sheet (facts, figures, targets with their sources),
then one sheet per grouping. Figures are numbers with number formats, so a clerk can sum or chart them; text is
always a string cell, made inert when it would start a formula (``reports.cells``)."""

from __future__ import annotations

import io
import re
from typing import Any

from openpyxl import Workbook  # type: ignore[import-untyped]
from openpyxl.styles import Alignment, Font, PatternFill  # type: ignore[import-untyped]
from openpyxl.utils import get_column_letter  # type: ignore[import-untyped]

from queue_server.reports.cells import inert
from queue_server.reports.document import Cell, CellKind, Document, Table

FORMATS = {CellKind.MINUTES: "0.0", CellKind.PERCENT: "0.0%", CellKind.NUMBER: "#,##0.0", CellKind.COUNT: "0"}
HEADING_FILL = PatternFill("solid", fgColor="EEF1F4")
NOT_IN_SHEET_TITLES = re.compile(r"[\\/*?:\[\]]")


def _value(cell: Cell) -> str | float | None:
    if cell.kind is CellKind.MINUTES:
        return None if cell.plain() is None else round(float(cell.plain() or 0) / 60, 4)
    return inert(cell.value) if isinstance(cell.value, str) else cell.value


def _text(value: Any) -> Any:
    """Strings as inert text (``reports.cells``): openpyxl writes any string starting with ``=`` as a formula."""
    return inert(value) if isinstance(value, str) else value


def _put(ws: Any, row: int, column: int, value: Any) -> Any:
    """One cell; strings typed as strings, whatever openpyxl would guess from their first character."""
    c = ws.cell(row, column, _text(value))
    if isinstance(value, str):
        c.data_type = "s"
    return c


def _write_table(ws: Any, table: Table, first_row: int) -> int:
    """Write ``table`` from ``first_row``; returns the next free row."""
    _put(ws, first_row, 1, table.title).font = Font(bold=True, size=12)
    for column, heading in enumerate(table.headings, start=1):
        c = _put(ws, first_row + 1, column, heading)
        c.font, c.fill = Font(bold=True), HEADING_FILL
        c.alignment = Alignment(wrap_text=True, vertical="top")
    for r, row in enumerate(table.rows, start=first_row + 2):
        for column, cell in enumerate(row, start=1):
            c = _put(ws, r, column, _value(cell))
            if cell.kind in FORMATS:
                c.number_format = FORMATS[cell.kind]
            elif cell.value and len(str(cell.value)) > 60:
                c.alignment = Alignment(wrap_text=True, vertical="top")
    return first_row + 2 + len(table.rows) + 1


def _sheet_title(title: str) -> str:
    return NOT_IN_SHEET_TITLES.sub(" ", title)[:31]


def render(document: Document) -> bytes:
    workbook = Workbook()
    summary = workbook.active
    summary.title = _sheet_title(document.language("Summary"))
    _put(summary, 1, 1, document.title).font = Font(bold=True, size=14)
    row = 2
    for label, value in document.facts:
        _put(summary, row, 1, label).font = Font(bold=True)
        _put(summary, row, 2, value)
        row += 1
    row += 1
    for table in document.tables[:2]:
        row = _write_table(summary, table, row)
    summary.column_dimensions["A"].width = 52
    for letter in "BCD":
        summary.column_dimensions[letter].width = 16
    summary.column_dimensions["E"].width = 80
    for table in document.tables[2:]:
        sheet = workbook.create_sheet(_sheet_title(table.title))
        _put(sheet, 1, 1, f"{document.title} · {document.facts[1][1]}").font = Font(bold=True)
        _write_table(sheet, table, 3)
        sheet.column_dimensions["A"].width = 28
        for column in range(2, len(table.headings) + 1):
            sheet.column_dimensions[get_column_letter(column)].width = 13
        sheet.freeze_panes = "B5"
    workbook.properties.title = inert(document.title)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
