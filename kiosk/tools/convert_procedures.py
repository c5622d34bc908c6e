"""Convert the reference list of procedures into the kiosk's catalogue file (``kiosk/data/procedures.json``).

Run once when the reference changes and commit the output; the kiosk never reads the reference itself::

    .venv/bin/python -m kiosk.tools.convert_procedures ../shared/reference/procedures.json

Why a converter: the reference is research material (mixed normal forms, ``null`` fees, notes in odd places);
the kiosk wants one normal form (NFC), the office's service ids for the fields it serves, and a version number.
The output is validated with the same schema the kiosk loads it with, so a bad conversion fails here.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from kiosk.catalogue import CATALOGUE_VERSION, DEFAULT_PATH, validate_document
from kiosk.text import nfc

# Lĩnh vực (as named on Cổng DVCQG) -> service id in queue_server/defaults.toml. Fields the sample office does
# not serve keep service_id = None and are shown under their own field name.
FIELD_TO_SERVICE = {
    "Hộ tịch": "ho-tich",
    "Chứng thực": "chung-thuc",
    "Đất đai": "dat-dai",
    "Đăng ký, quản lý cư trú": "cu-tru",
}


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return " ".join(nfc(value).split())
    if isinstance(value, list):
        return [_clean(v) for v in value]
    return value


def convert_entry(raw: dict[str, Any]) -> dict[str, Any]:
    """One reference entry -> one catalogue entry (plain dict, validated later as a whole)."""
    entry = {key: _clean(value) for key, value in raw.items()}
    field = entry["field"]
    notes = [entry[k] for k in ("note", "papers_note") if entry.get(k)]
    return {
        "code": entry["code"],
        "name": entry["name"],
        "field": field,
        "service_id": FIELD_TO_SERVICE.get(field),
        "level": entry.get("level"),
        "papers": entry.get("papers") or [],
        "result": entry.get("result"),
        "time_limit": entry.get("time_limit"),
        "time_limit_note": entry.get("time_limit_note"),
        "fee": entry.get("fee"),
        "fee_note": entry.get("fee_note"),
        "notes": notes,
        "publishing_decision": entry.get("publishing_decision"),
        "source": entry["source"],
    }


def convert(raw_entries: list[dict[str, Any]]) -> dict[str, Any]:
    document = {
        "version": CATALOGUE_VERSION,
        "about": "Converted by kiosk/tools/convert_procedures.py from the project's reference procedures.json",
        "procedures": [convert_entry(raw) for raw in raw_entries],
    }
    validate_document(document)
    return document


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", type=Path)
    parser.add_argument("--output", type=Path, default=DEFAULT_PATH)
    args = parser.parse_args(argv)
    document = convert(json.loads(args.source.read_text(encoding="utf-8")))
    text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    args.output.write_text(text, encoding="utf-8")
    print(f"wrote {len(document['procedures'])} procedures to {args.output}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
