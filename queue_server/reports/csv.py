"""The report as one CSV file (UTF-8 with a byte-order mark, so Excel reads the Vietnamese right): the facts,
then each table after a blank line and its title. Numbers are plain (dot decimal, minutes and percentages
rounded to 0.1) so a spreadsheet or a script reads them as numbers; text that would start a formula is made inert
(``reports.cells``)."""

from __future__ import annotations

import csv
import io

from queue_server.reports.cells import inert
from queue_server.reports.document import Cell, CellKind, Document


def _plain(cell: Cell) -> str:
    number = cell.plain()
    if cell.kind is CellKind.TEXT or number is None:
        return "" if cell.value is None else inert(str(cell.value))
    if cell.kind is CellKind.MINUTES:
        return f"{number / 60:.1f}"
    if cell.kind is CellKind.PERCENT:
        return f"{number * 100:.1f}"
    if cell.kind is CellKind.COUNT:
        return str(int(number))
    return f"{number:.1f}"


def render(document: Document) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([inert(document.title)])
    writer.writerows([inert(label), inert(value)] for label, value in document.facts)
    for table in document.tables:
        writer.writerow([])
        writer.writerow([inert(table.title)])
        writer.writerow([inert(heading) for heading in table.headings])
        writer.writerows([_plain(cell) for cell in row] for row in table.rows)
    return out.getvalue().encode("utf-8-sig")
