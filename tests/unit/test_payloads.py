"""The contract's typed payloads: what they encode, what they accept, what they refuse."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from queue_server.contract.messages import AlarmCode, ContractError, ErrorCode, IssueBody, encode_request, parse_request
from queue_server.contract.payloads import (
    EXPIRED,
    BoardCall,
    BoardState,
    CounterState,
    CounterView,
    DeviceStatus,
    PrivateServing,
    Reply,
    ServerStatus,
    ServingTicket,
    TicketResult,
    WaitingState,
)

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"
SERVING = ServingTicket(ticket_id="t1", label="A001", service_id="ho-tich", priority=True, since="2026-11-23T01:00")


@pytest.mark.parametrize(
    "payload",
    [
        Reply.accepted("kiosk-01-0001", {"events": ["TicketIssued"], "ticket": {"ticket_id": "t1"}}, "now"),
        Reply.refused("kiosk-01-0001", "forbidden", "a kiosk may not send skip", "now"),
        Reply.refused(None, "malformed", "not JSON", "now"),
        ServerStatus(online=True),
        ServerStatus(online=True, store="unavailable", reason="disk full"),
        DeviceStatus.of(True, ["printer_paper_out", AlarmCode.SCANNER_ERROR]),
        CounterState(counter_id="quay-1", number=1, services=["ho-tich"], serving=SERVING),
        CounterState(counter_id="quay-1"),
        CounterView(counter_id="quay-1", serving=PrivateServing(ticket_id="t1", label="A001", display_name="Lê V. A.")),
        BoardState(recent=[BoardCall(label="A001", counter_id="quay-1", counter_number=1, at="x", serving=True)]),
        WaitingState(day="2026-11-23", waiting={"ho-tich": 3}),
    ],
    ids=lambda p: type(p).__name__,
)
def test_what_is_encoded_parses_back_to_the_same(payload: object) -> None:
    model = type(payload)
    encoded = payload.encode()  # type: ignore[attr-defined]
    assert model.parse(encoded) == payload  # type: ignore[attr-defined]
    assert json.loads(encoded)["v"] == 1


def test_keys_without_a_value_are_left_out_not_null() -> None:
    assert Reply.accepted("r-00000001", {}, "now").payload() == {
        "v": 1, "id": "r-00000001", "ok": True, "result": {}, "at": "now",
    }  # fmt: skip
    assert "error" in Reply.refused("r-00000001", "x", "y", "now").payload()
    assert ServerStatus(online=True).payload() == {"v": 1, "online": True}
    private = CounterView(counter_id="q", serving=PrivateServing(ticket_id="t", label="A001")).payload()
    assert private == {"v": 1, "counter_id": "q", "serving": {"ticket_id": "t", "label": "A001"}}
    assert CounterState(counter_id="q").payload()["serving"] is None  # "nobody served" is said, not left out


def test_a_device_status_says_each_alarm_once_in_order() -> None:
    status = DeviceStatus.of(True, ["scanner_error", "printer_error", "scanner_error"])
    assert status.encode() == b'{"v":1,"online":true,"alarms":["printer_error","scanner_error"]}'


def test_unknown_keys_are_ignored_so_a_newer_server_does_not_break_a_device() -> None:
    state = WaitingState.parse({"v": 1, "day": None, "waiting": {"a": 1}, "queues": [1, 2]})
    assert state.waiting == {"a": 1}


@pytest.mark.parametrize(
    ("model", "data"),
    [
        (WaitingState, {"waiting": {"ho-tich": "many"}}),
        (CounterState, {"number": 1}),
        (BoardState, {"recent": [{"counter_id": "quay-1"}]}),
        (Reply, {"id": "x"}),
        (DeviceStatus, {"online": True, "alarms": ["on_fire"]}),
        (ServerStatus, b"not json"),
        (CounterView, [1, 2]),
    ],
)
def test_a_payload_that_does_not_fit_is_malformed(model: type[WaitingState], data: object) -> None:
    with pytest.raises(ContractError) as caught:
        model.parse(data)  # type: ignore[arg-type]
    assert caught.value.code is ErrorCode.MALFORMED


def test_a_device_status_over_4_kb_is_refused_before_parsing() -> None:
    with pytest.raises(ContractError) as caught:
        DeviceStatus.parse(b'{"v":1,"online":true,"alarms":[]' + b" " * 4096 + b"}")
    assert caught.value.code is ErrorCode.TOO_LARGE


def test_server_status_says_online_only_when_a_readable_status_says_so() -> None:
    assert ServerStatus.says_online({"v": 1, "online": True})
    assert not ServerStatus.says_online({"v": 1, "online": False})
    assert not ServerStatus.says_online({})
    assert not ServerStatus.says_online(b"{")


def test_a_reply_gives_its_ticket_and_its_code() -> None:
    issued = Reply.parse(
        {"v": 1, "id": "k-00000001", "ok": True, "result": {"ticket": {"ticket_id": "t", "label": "A001"}}}
    )
    assert issued.ticket() == TicketResult(ticket_id="t", label="A001") and issued.code is None
    expired = Reply.refused("k-00000001", EXPIRED, "no reply in time", at=None)
    assert expired.ticket() is None and expired.code == EXPIRED and "at" not in expired.payload()
    with pytest.raises(ContractError):
        Reply.parse({"v": 1, "id": "k", "ok": True, "result": {"ticket": {"label": "A001"}}}).ticket()


def test_the_protocol_docs_reply_examples_parse() -> None:
    """Every ``{"v":1,"id":...,"ok":...}`` line of docs/protocol.md is a reply the model reads."""
    examples = [json.loads(line) for line in re.findall(r'^\{"v":1,"id":[^\n]*"ok":[^\n]*\}$', DOC.read_text(), re.M)]
    assert examples
    for example in examples:
        reply = Reply.parse(example)
        assert reply.ok == example["ok"] and reply.payload() == example


def test_an_encoded_request_is_what_the_server_parses() -> None:
    payload = encode_request("kiosk-01-0001", "issue_ticket", {"service_id": "ho-tich"}, "2026-11-23T08:00:00+07:00")
    envelope, body = parse_request(payload, max_bytes=4096)
    assert (envelope.id, envelope.type, envelope.sent_at) == (
        "kiosk-01-0001",
        "issue_ticket",
        "2026-11-23T08:00:00+07:00",
    )
    assert body == IssueBody(service_id="ho-tich")


def test_the_protocol_docs_status_examples_are_what_the_models_encode() -> None:
    _, _, section = DOC.read_text().partition("\n## Device status and server status\n")
    rows = [line for line in section.split("\n## ", 1)[0].splitlines() if line.startswith("| `")]
    models = {"`dev/{device}/status`": DeviceStatus, "`server/status`": ServerStatus}
    assert {row.split("|")[1].strip() for row in rows} == set(models)
    for row in rows:
        topic, *examples = (cell.strip() for cell in row.strip("|").split("|"))
        for example in examples:
            data = json.loads(example.strip("`"))
            assert models[topic].parse(data).encode() == example.strip("`").encode()
