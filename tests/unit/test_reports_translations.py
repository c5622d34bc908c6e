"""Every text of the period report (dashboard, charts, exports) has a Vietnamese translation, in NFC, in the web
catalogs (all ``*.po`` of the folder, as ``compile_catalogs`` merges them)."""

from __future__ import annotations

import unicodedata
from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2] / "queue_server"
SOURCES = [
    *sorted((ROOT / "reports").glob("*.py")),
    ROOT / "web" / "dashboard.py",
    ROOT / "web" / "period_charts.py",
    ROOT / "web" / "templates" / "dashboard.html",
]
CATALOGS = ROOT / "web" / "translations" / "vi" / "LC_MESSAGES"


def test_every_report_text_is_translated_to_vietnamese_in_nfc() -> None:
    translated: dict[str, str] = {}
    for po in sorted(CATALOGS.glob("*.po")):
        with po.open("rb") as f:
            translated |= {str(m.id): str(m.string) for m in read_po(f) if m.id and m.string}
    found = set()
    for source in SOURCES:
        method = "jinja2" if source.suffix == ".html" else "python"
        found |= {m[1] for m in extract_from_file(method, str(source), keywords={"_": None, "language": None})}
    assert len(found) > 60  # the extraction saw the report's texts
    assert sorted(m for m in found if m not in translated) == []
    assert all(unicodedata.is_normalized("NFC", translated[m]) for m in found)
