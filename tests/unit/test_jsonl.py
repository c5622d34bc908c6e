"""JSON Lines records without a database: what a valid line is, and what each refusal says."""

from __future__ import annotations

import io
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest

from queue_server.engine.events import TicketIssued
from queue_server.store import EventStore, JsonlError, StoredEvent, import_jsonl
from queue_server.store.jsonl import province_record, record_from_dict, record_to_dict

EVENT = TicketIssued(
    at=datetime(2026, 5, 4, 1, 30, tzinfo=UTC),
    ticket_id="t1",
    service_id="hotich",
    number=1,
    label="A001",
    day=date(2026, 5, 4),
)
STORED = StoredEvent(7, "0b7f6a1e-3c2d-4f5e-9a8b-1c2d3e4f5a6b", "office-1", "kiosk-1", "req-1", EVENT)


def record(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(json.dumps(record_to_dict(STORED)))
    data.update(changes)
    return data


def test_a_record_round_trips_through_json() -> None:
    assert record_from_dict(record()) == STORED
    assert record()["event"] == {
        "type": "TicketIssued",
        "at": "2026-05-04T01:30:00+00:00",
        "ticket_id": "t1",
        "service_id": "hotich",
        "number": 1,
        "label": "A001",
        "day": "2026-05-04",
        "priority": None,
        "device_id": None,
        "display_name": None,
    }


def test_the_province_record_leaves_the_masked_name_out_and_still_decodes() -> None:
    named = StoredEvent(8, "1b7f6a1e-3c2d-4f5e-9a8b-1c2d3e4f5a6b", "office-1", "kiosk-1", "req-2",
                        replace(EVENT, display_name="Nguyễn V. A."))  # fmt: skip
    assert record_to_dict(named)["event"]["display_name"] == "Nguyễn V. A."  # the office's own log and export
    sent = json.loads(json.dumps(province_record(named)))
    assert "display_name" not in sent["event"] and "Nguyễn" not in json.dumps(sent, ensure_ascii=False)
    assert record_from_dict(sent) == replace(named, event=EVENT)


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        ([1, 2], "JSON object"),
        (record(schema=2), "unsupported schema"),
        (record(extra=1), "unknown fields"),
        ({k: v for k, v in record().items() if k != "event_id"}, "missing fields"),
        (record(seq=0), "seq"),
        (record(seq=True), "seq"),
        (record(event_id=""), "event_id"),
        (record(event_id="x" * 37), "event_id"),
        (record(office_id=None), "office_id"),
        (record(device_id=5), "device_id"),
        (record(request_id="req\x00-1"), "control characters"),
        (record(office_id="q1\n"), "control characters"),
        (record(event="TicketIssued"), "event must be"),
        (record(event={**record()["event"], "type": "TicketEaten"}), "unknown event type"),
        (record(event={**record()["event"], "number": "1"}), "expected int"),
        (record(event={**record()["event"], "at": "2026-05-04T01:30:00"}), "no UTC offset"),
    ],
)
def test_invalid_records_are_refused_with_a_reason(data: Any, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        record_from_dict(data)


def test_the_error_names_the_line_and_blank_lines_are_skipped(tmp_path: Any) -> None:
    store = EventStore(f"sqlite:///{tmp_path / 'x.db'}", "office-1")
    store.migrate()
    try:
        good = json.dumps(record()) + "\n"
        with pytest.raises(JsonlError) as info:
            import_jsonl(store, io.StringIO(good + "\n" + "[]\n"))
        assert info.value.line_number == 3 and str(info.value).startswith("line 3: ")
        assert store.last_seq() == 0
        assert import_jsonl(store, io.StringIO("\n" + good + "   \n")) == 1
    finally:
        store.close()
