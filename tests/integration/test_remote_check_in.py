"""A remote number's check-in: the kiosk's ``check_in`` request through the real service, its window."""

from __future__ import annotations

from queue_server.contract.messages import check_in_code_of
from queue_server.engine import commands as cmd
from queue_server.engine.state import TicketStatus
from queue_server.service import OfficeService
from queue_server.store.event_store import EventStore
from tests.integration.test_service import make_service, replies, request, store

__all__ = ["store"]


def booked_behind_five(service_store: EventStore, before: int | None) -> tuple[OfficeService, str]:
    service = make_service(service_store, check_in_before_minutes=before)
    for _ in range(5):
        service.execute(cmd.IssueTicket("ho-tich"))
    reply, _ = service.execute(cmd.BookRemote("ho-tich", "424242"))
    assert reply["ok"], reply
    return service, reply["result"]["ticket"]["ticket_id"]


def test_the_kiosk_checks_a_remote_number_in_with_its_code(store: EventStore) -> None:
    service, ticket_id = booked_behind_five(store, before=240)
    out = service.handle([request("kiosk-01", "kiosk-01-0001", "check_in", check_in_code="424242")])
    [reply] = replies(out, "kiosk-01")
    assert reply["ok"] is True and reply["result"]["ticket"] == {"ticket_id": ticket_id, "label": "A006"}  # type: ignore[index]
    assert service.state.tickets[ticket_id].status is TicketStatus.WAITING
    again = service.handle([request("kiosk-01", "kiosk-01-0002", "check_in", check_in_code="424242")])
    assert replies(again, "kiosk-01")[0]["error"]["code"] == "unknown_check_in_code"  # type: ignore[index]


def test_a_check_in_far_before_the_call_is_refused_with_when_it_opens(store: EventStore) -> None:
    service, ticket_id = booked_behind_five(store, before=1)
    out = service.handle([request("kiosk-01", "kiosk-01-0001", "check_in", check_in_code="424242")])
    [reply] = replies(out, "kiosk-01")
    error = reply["error"]
    assert reply["ok"] is False and error["code"] == "check_in_early"  # type: ignore[index]
    assert error["opens_at"].endswith("+07:00") and error["forecast"]["position"] == 5  # type: ignore[index]
    assert service.state.tickets[ticket_id].status is TicketStatus.BOOKED


def test_a_counter_unit_may_not_check_in_and_a_bad_code_is_invalid(store: EventStore) -> None:
    service = make_service(store)
    out = service.handle(
        [
            request("counter-1", "counter-1-0001", "check_in", check_in_code="424242"),
            request("kiosk-01", "kiosk-01-0009", "check_in", check_in_code="12ab56"),
        ]
    )
    assert replies(out, "counter-1")[0]["error"]["code"] == "forbidden"  # type: ignore[index]
    assert replies(out, "kiosk-01")[0]["error"]["code"] == "invalid_request"  # type: ignore[index]


def test_the_qr_and_typed_forms_of_a_code() -> None:
    assert check_in_code_of("MOTCUA-CHECKIN:424242") == "424242"
    assert check_in_code_of(" 424 242 ") == "424242"
    assert check_in_code_of("079123456789|...") is None  # an ID card's QR is not a check-in
