"""The masked name ("Nguyễn V. A.") from an ID-card scan: one shape check on every side, carried by the
``issue_ticket`` contract, the engine's events and the counter's retained state, and never the hall board's."""

from __future__ import annotations

import json
from datetime import date

import pytest

from kiosk.cccd import mask_name, parse_cccd_qr
from queue_server.admission_commands import to_command
from queue_server.contract.masked_name import is_masked_name
from queue_server.contract.messages import ContractError, ErrorCode, parse_request
from queue_server.engine import commands as cmd
from queue_server.engine import events as ev
from queue_server.engine.codec import event_from_dict, event_to_dict
from queue_server.engine.state import QueueState
from queue_server.views import board_view, counter_private_view, counter_view, retained_views
from tests.unit.engine_helpers import Office, last_of

NAME = "Nguyễn V. A."
QR = "001090123456|012345678|NGUYỄN VĂN AN|01011950|Nam|Số 1 Hàng Bạc, Hà Nội|15042021"


def issue_payload(**body: object) -> bytes:
    return json.dumps({"v": 1, "id": "kiosk-1-000042", "type": "issue_ticket", "body": body}).encode()


@pytest.mark.parametrize("full", ["NGUYỄN VĂN AN", "Trần Thị Bình", "ĐỖ ĐỨC", "nguyễn văn an b", "Lê Thị Hồng Nhung"])
def test_what_the_kiosk_masks_passes_the_shared_check(full: str) -> None:
    assert is_masked_name(mask_name(full))
    holder = parse_cccd_qr(QR, today=date(2026, 1, 1), with_name=True)
    assert holder.masked_name == NAME and is_masked_name(holder.masked_name)


def test_a_masked_name_is_accepted_and_reaches_the_command() -> None:
    envelope, body = parse_request(issue_payload(service_id="land", priority="elderly_60", display_name=NAME), 4096)
    command = to_command(envelope, body, "kiosk-1")
    assert command == cmd.IssueTicket("land", "elderly_60", "kiosk-1", NAME)


def test_without_a_name_the_command_has_none() -> None:
    envelope, body = parse_request(issue_payload(service_id="land"), 4096)
    assert to_command(envelope, body, "kiosk-1") == cmd.IssueTicket("land", None, "kiosk-1", None)


@pytest.mark.parametrize(
    "refused",
    [
        "Nguyễn Văn An",  # the full name
        "NGUYỄN VĂN AN",
        "001090123456",  # the ID number
        "Nguyễn V. 1.",
        "Nguyễn",  # a family name alone is not masked (nothing to tell it from a full one-word name)
        "Nguyễn  V. A.",
        " Nguyễn V. A.",
        "Nguyễn V. A. ",
        "Nguyễn V.A.",
        "Số 1 Hàng Bạc",
        "Nguye\u0302\u0303n V. A.",  # decomposed (NFD): not the NFC the kiosk sends
        "Nguyễn " + "V. " * 20 + "A.",  # over 40 characters
        "",
    ],
)
def test_anything_but_a_masked_name_is_an_invalid_request_that_does_not_quote_it(refused: str) -> None:
    assert not is_masked_name(refused)
    with pytest.raises(ContractError) as info:
        parse_request(issue_payload(service_id="land", display_name=refused), 4096)
    assert info.value.code is ErrorCode.INVALID_REQUEST and info.value.request_id == "kiosk-1-000042"
    assert "display_name" in info.value.message
    if refused.strip():
        assert refused.strip() not in info.value.message


def test_a_name_that_is_not_a_string_is_refused() -> None:
    with pytest.raises(ContractError) as info:
        parse_request(issue_payload(service_id="land", display_name=123456789012), 4096)
    assert info.value.code is ErrorCode.INVALID_REQUEST


def test_the_engine_keeps_the_name_on_the_ticket_and_replays_it() -> None:
    office = Office()
    issued = last_of(office.run(cmd.IssueTicket("land", display_name=NAME)), ev.TicketIssued)
    plain = office.issue("land")
    assert issued.display_name == NAME and plain.display_name is None
    replayed = QueueState.replay(event_from_dict(json.loads(json.dumps(event_to_dict(e)))) for e in office.events)
    assert replayed == office.state
    assert replayed.tickets[issued.ticket_id].display_name == NAME
    assert replayed.tickets[plain.ticket_id].display_name is None


def test_an_event_written_before_display_name_existed_still_decodes() -> None:
    old = {
        "type": "TicketIssued",
        "at": "2026-05-04T01:30:00+00:00",
        "ticket_id": "t1",
        "service_id": "land",
        "number": 12,
        "label": "A012",
        "day": "2026-05-04",
        "priority": None,
        "device_id": "kiosk-1",
    }
    event = event_from_dict(old)
    assert isinstance(event, ev.TicketIssued) and event.display_name is None
    assert event_from_dict(event_to_dict(event)) == event


def test_only_the_counters_private_view_shows_the_name_and_no_public_state_does() -> None:
    office = Office()
    office.run(cmd.IssueTicket("land", "elderly_60", display_name=NAME))
    called = office.call("c1")
    views = retained_views(office.state, "xa-phu-dong")
    private = counter_private_view(office.state, "c1")["serving"]
    assert private == {"ticket_id": called.ticket_id, "label": "A001", "display_name": NAME}
    serving = counter_view(office.state, "c1")["serving"]
    assert serving is not None and serving["ticket_id"] == called.ticket_id and serving["priority"] is True
    assert board_view(office.state)["recent"][0]["label"] == "A001"
    public = json.dumps(views, ensure_ascii=False)
    assert views and "Nguyễn" not in public  # every device reads these
    # the office's list of categories is setup (state/office); no view of a ticket says which one it is
    of_tickets = json.dumps({t: v for t, v in views.items() if not t.endswith("/state/office")}, ensure_ascii=False)
    assert "elderly_60" not in of_tickets
    office.finish("c1")
    assert counter_view(office.state, "c1")["serving"] is None
    assert counter_private_view(office.state, "c1")["serving"] is None


def test_a_ticket_without_a_name_has_no_display_name_key() -> None:
    office = Office()
    office.issue("land")
    office.call("c1")
    serving = counter_private_view(office.state, "c1")["serving"]
    assert serving is not None and "display_name" not in serving
