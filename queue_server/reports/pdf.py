"""The report as a PDF (fpdf2), A4 landscape, in DejaVu Sans: its TrueType font covers every Vietnamese
letter with its tone marks, and fpdf2 embeds the subset used, so the file reads the same on any computer.

The font is looked up at run time where Debian's ``fonts-dejavu-core`` puts it (``hardware.fonts.find_font``);
pass ``font_dir`` for another copy.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF
from fpdf.fonts import FontFace

from queue_server.reports.document import Cell, CellKind, Document, Table

FAMILY = "DejaVu"
HEADING = FontFace(emphasis="BOLD", fill_color=(238, 241, 244))
WIDE_HEADING = FontFace(emphasis="BOLD", fill_color=(238, 241, 244), size_pt=6)
"""Group tables have up to 15 columns: smaller headings keep words like "satisfaction" whole."""


def _new_pdf(document: Document, font_dir: Path | None) -> FPDF:
    from hardware.fonts import BOLD, REGULAR, find_font

    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_margins(12, 12, 12)
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.add_font(FAMILY, "", str(find_font(REGULAR, font_dir)))
    pdf.add_font(FAMILY, "B", str(find_font(BOLD, font_dir)))
    pdf.set_title(document.title)
    pdf.set_creator("motcua")
    pdf.set_lang(document.language.code)
    pdf.set_creation_date(datetime.now(UTC))
    return pdf


def _widths(table: Table) -> tuple[float, ...]:
    """Relative column widths: names and sources wide, numbers narrow."""
    if table.key == "summary":
        return (3, 1)
    if table.key == "targets":
        return (5, 1.2, 1.8, 1.8, 9)
    return (2.2,) + (1,) * (len(table.headings) - 1)


def _table(pdf: FPDF, table: Table, document: Document) -> None:
    pdf.set_font(FAMILY, "B", 11)
    pdf.ln(3)
    pdf.cell(text=table.title, new_x="LMARGIN", new_y="NEXT")
    pdf.ln(1)
    size = 9 if len(table.headings) <= 5 else 7
    pdf.set_font(FAMILY, "", size)
    width = pdf.epw * (0.55 if table.key == "summary" else 1)
    with pdf.table(
        col_widths=_widths(table),
        width=width,
        align="LEFT",
        text_align="LEFT",
        headings_style=HEADING if size > 7 else WIDE_HEADING,
        line_height=size * 0.5,
        borders_layout="HORIZONTAL_LINES",
    ) as rendered:
        headings = rendered.row()
        for heading in table.headings:
            headings.cell(heading)
        for row in table.rows:
            line = rendered.row()
            for cell in row:
                line.cell(_text(cell, document), align="LEFT" if cell.kind is CellKind.TEXT else "RIGHT")
        if not table.rows:
            rendered.row().cell(document.language("No data"), colspan=len(table.headings))


def _text(cell: Cell, document: Document) -> str:
    return cell.text(document.language)


def render(document: Document, font_dir: Path | None = None) -> bytes:
    pdf = _new_pdf(document, font_dir)
    pdf.add_page()
    pdf.set_font(FAMILY, "B", 15)
    pdf.multi_cell(0, 8, document.title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FAMILY, "", 10)
    for label, value in document.facts:
        pdf.multi_cell(0, 5.5, f"{label}: {value}", new_x="LMARGIN", new_y="NEXT")
    for table in document.tables:
        _table(pdf, table, document)
    return bytes(pdf.output())
