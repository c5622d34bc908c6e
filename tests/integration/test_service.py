"""The office service on a real SQLite store: raw request messages in, replies and retained state out."""

from __future__ import annotations

import copy
import itertools
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from queue_server.config import load_settings
from queue_server.contract import topics
from queue_server.engine import commands as cmd
from queue_server.service import DeviceInfo, OfficeService, Publish
from queue_server.store.event_store import EventStore
from tests.fakes import SteppingClock

OFFICE = "tuan-giao"
DEVICES = {
    "kiosk-01": DeviceInfo("kiosk-01", "kiosk"),
    "counter-1": DeviceInfo("counter-1", "counter", "quay-1"),
    "tool-01": DeviceInfo("tool-01", "console"),
}


@pytest.fixture
def store(tmp_path: Path) -> Iterator[EventStore]:
    store = EventStore(f"sqlite:///{tmp_path}/office.db", OFFICE)
    store.migrate()
    yield store
    store.close()


def make_service(store: EventStore, clock: SteppingClock | None = None, **kwargs: Any) -> OfficeService:
    ids = (f"t{i:04d}" for i in itertools.count())
    service = OfficeService(
        setup=load_settings().office_setup(),
        store=store,
        devices=DEVICES.get,
        clock=clock or SteppingClock(),
        new_id=lambda: next(ids),
        **kwargs,
    )
    service.start()
    return service


def request(device: str, request_id: str, kind: str, **body: object) -> tuple[str, bytes]:
    payload = {"v": 1, "id": request_id, "type": kind, "body": body}
    return topics.request(OFFICE, device), json.dumps(payload).encode()


def replies(publishes: list[Publish], device: str) -> list[dict[str, object]]:
    return [json.loads(p.payload) for p in publishes if p.topic == topics.reply(OFFICE, device)]


def test_issue_and_call_reply_and_update_retained_state(store: EventStore) -> None:
    service = make_service(store)
    out = service.handle([request("kiosk-01", "req-00000001", "issue_ticket", service_id="ho-tich")])
    [reply] = replies(out, "kiosk-01")
    assert reply["ok"] is True and reply["id"] == "req-00000001"
    assert reply["result"]["ticket"]["label"] == "A001"  # type: ignore[index]
    waiting = [json.loads(p.payload) for p in out if p.topic == topics.waiting_state(OFFICE)]
    assert waiting[0]["waiting"]["ho-tich"] == 1
    assert all(p.retain for p in out if "/state/" in p.topic)

    out = service.handle([request("counter-1", "req-00000002", "call_next", counter_id="quay-1")])
    assert replies(out, "counter-1")[0]["result"]["ticket"]["label"] == "A001"  # type: ignore[index]
    counter = [json.loads(p.payload) for p in out if p.topic == topics.counter_state(OFFICE, "quay-1")]
    assert counter[0]["serving"]["label"] == "A001"
    board = [json.loads(p.payload) for p in out if p.topic == topics.board_state(OFFICE)]
    assert board[0]["recent"][0] == {**board[0]["recent"][0], "label": "A001", "counter_number": 1}


def test_retried_request_gets_the_original_reply_and_is_applied_once(store: EventStore) -> None:
    service = make_service(store)
    msg = request("kiosk-01", "req-00000001", "issue_ticket", service_id="ho-tich")
    first = replies(service.handle([msg, msg]), "kiosk-01")
    again = replies(service.handle([msg]), "kiosk-01")
    assert first[0] == first[1] == again[0]
    restarted = make_service(store)  # the reply cache is empty after a restart: the store answers
    assert replies(restarted.handle([msg]), "kiosk-01")[0] == first[0]
    issued = [s for s in store.events() if type(s.event).__name__ == "TicketIssued"]
    assert len(issued) == 1


def test_state_survives_a_restart(store: EventStore) -> None:
    service = make_service(store)
    for i in range(3):
        service.handle([request("kiosk-01", f"req-0000000{i}", "issue_ticket", service_id="dat-dai")])
    restarted = make_service(store)
    assert restarted.state == service.state
    out = restarted.handle([request("kiosk-01", "req-00000009", "issue_ticket", service_id="dat-dai")])
    assert replies(out, "kiosk-01")[0]["result"]["ticket"]["label"] == "C004"  # type: ignore[index]


@pytest.mark.parametrize(
    ("topic_device", "payload", "code"),
    [
        ("kiosk-01", b"not json", "malformed"),
        ("kiosk-01", b"[1, 2]", "malformed"),
        ("kiosk-01", b'{"v": 9, "id": "req-00000001", "type": "issue_ticket"}', "schema_version"),
        ("kiosk-01", b'{"v": true, "id": "req-00000001", "type": "issue_ticket"}', "schema_version"),
        ("kiosk-01", b'{"v": 1.0, "id": "req-00000001", "type": "issue_ticket"}', "schema_version"),
        ("kiosk-01", b'{"v": 1, "id": "req-00000001", "type": "launch"}', "invalid_request"),
        ("kiosk-01", b'{"v": 1, "id": "req-00000001", "type": "issue_ticket", "body": {}}', "invalid_request"),
        ("kiosk-01", b"{" + b" " * 5000 + b"}", "too_large"),
        ("ghost-01", b'{"v": 1, "id": "req-00000001", "type": "issue_ticket"}', "unknown_device"),
        ("kiosk-01", b'{"v": 1, "id": "req-00000001", "type": "call_next", "body": {"counter_id": "quay-1"}}',
         "forbidden"),
        ("counter-1", b'{"v": 1, "id": "req-00000001", "type": "call_next", "body": {"counter_id": "quay-2"}}',
         "forbidden"),
        ("tool-01", b'{"v": 1, "id": "req-00000001", "type": "call_next", "body": {"counter_id": "quay-9"}}',
         "unknown_counter"),
        ("tool-01", b'{"v": 1, "id": "req-00000001", "type": "call_next", "body": {"counter_id": "quay-1"}}',
         "nothing_waiting"),
    ],
)  # fmt: skip
def test_bad_requests_get_an_error_reply_and_change_nothing(
    store: EventStore, topic_device: str, payload: bytes, code: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    service = make_service(store)
    before = store.last_seq()
    good = request("kiosk-01", "req-00000077", "issue_ticket", service_id="ho-tich")
    out = service.handle([(topics.request(OFFICE, topic_device), payload), good])
    [error] = replies(out, topic_device) if topic_device != "kiosk-01" else replies(out, "kiosk-01")[:1]
    assert error["ok"] is False and error["error"]["code"] == code  # type: ignore[index]
    assert any(topic_device in r.getMessage() or code in r.getMessage() for r in caplog.records)
    # the good request in the same batch is still served
    assert replies(out, "kiosk-01")[-1]["result"]["ticket"]["label"] == "A001"  # type: ignore[index]
    assert store.last_seq() > before


def test_request_for_another_office_is_refused(store: EventStore) -> None:
    service = make_service(store)
    topic = topics.request("other-office", "kiosk-01")
    out = service.handle([(topic, b'{"v": 1, "id": "req-00000001", "type": "issue_ticket", "body": {}}')])
    assert replies(out, "kiosk-01")[0]["error"]["code"] == "wrong_office"  # type: ignore[index]


def test_failed_commit_is_answered_store_unavailable_and_keeps_state_consistent(store: EventStore) -> None:
    service = make_service(store)
    service.handle([request("kiosk-01", "req-00000001", "issue_ticket", service_id="ho-tich")])
    before = copy.deepcopy(service.state)

    def broken(batch: object) -> object:
        raise OSError("disk full")

    service.store.commit = broken  # type: ignore[method-assign]
    out = service.handle([request("kiosk-01", "req-00000002", "issue_ticket", service_id="ho-tich")])
    [reply] = replies(out, "kiosk-01")
    assert reply["ok"] is False and reply["error"]["code"] == "store_unavailable"  # type: ignore[index]
    assert service.state == before


def test_every_committed_event_is_published_on_the_events_stream(store: EventStore) -> None:
    ids = (f"t{i:04d}" for i in itertools.count())
    service = OfficeService(
        setup=load_settings().office_setup(),
        store=store,
        devices=DEVICES.get,
        clock=SteppingClock(),
        new_id=lambda: next(ids),
    )
    published = service.start()
    published += service.handle([request("kiosk-01", "req-00000001", "issue_ticket", service_id="ho-tich")])
    _, more = service.execute(cmd.CallNext("quay-1"))
    published += more
    streamed = [json.loads(p.payload) for p in published if p.topic == topics.event_stream(OFFICE)]
    stored = list(store.events())
    assert [e["event_id"] for e in streamed] == [s.event_id for s in stored]
    assert [e["event"]["type"] for e in streamed] == ["OfficeConfigured", "DayStarted", "TicketIssued", "TicketCalled"]
    assert not any(p.retain for p in published if p.topic == topics.event_stream(OFFICE))


LINE = " (one line a minute at most) count=1 seconds=0"
GOOD_BODY = '{"v": 1, "id": "req-00000001", "type": "issue_ticket", "body": {"service_id": "ho-tich"}}'


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (GOOD_BODY.encode("utf-16"), "malformed"),
        (GOOD_BODY.encode("utf-16-le"), "malformed"),
        (GOOD_BODY.encode("utf-32"), "malformed"),
        (b"\xef\xbb\xbf" + GOOD_BODY.encode(), "malformed"),
        (GOOD_BODY.replace("req-00000001", 'x\\" level=ERROR').encode(), "invalid_request"),
        (GOOD_BODY.replace("req-00000001", "short").encode(), "invalid_request"),
        (
            GOOD_BODY.replace('"v": 1', '"v": 2').replace("req-00000001", "bad id with spaces").encode(),
            "schema_version",
        ),
    ],
)
def test_not_utf8_or_an_invalid_id_is_refused_and_the_id_never_echoed(
    store: EventStore, payload: bytes, code: str
) -> None:
    service = make_service(store)
    [error] = replies(service.handle([(topics.request(OFFICE, "kiosk-01"), payload)]), "kiosk-01")
    assert error["ok"] is False and error["error"]["code"] == code, error  # type: ignore[index]
    assert error["id"] is None
    assert not [s for s in store.events() if type(s.event).__name__ == "TicketIssued"]


def test_a_valid_id_is_echoed_even_when_the_device_is_unknown(store: EventStore) -> None:
    """Refused before its body is read, the reply still carries the id: the device can tell what it answers."""
    service = make_service(store)
    [error] = replies(service.handle([request("ghost-01", "req-00000042", "issue_ticket")]), "ghost-01")
    assert (error["id"], error["error"]["code"]) == ("req-00000042", "unknown_device")  # type: ignore[index]


def test_a_retry_answered_from_earlier_replies_gives_its_budget_back(store: EventStore) -> None:
    service = make_service(store)
    given_back: list[str] = []
    service.on_retry = given_back.append
    msg = request("kiosk-01", "req-00000001", "issue_ticket", service_id="ho-tich")
    service.handle([msg, msg])  # the second in the same batch
    service.handle([msg])  # from the reply cache
    assert given_back == ["kiosk-01", "kiosk-01"]
    service.handle([request("kiosk-01", "req-00000002", "issue_ticket", service_id="ho-tich")])
    assert given_back == ["kiosk-01", "kiosk-01"], "a new request is no retry"


def test_refusals_are_one_log_line_per_device_and_code_a_minute(
    store: EventStore, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO")
    service = make_service(store)
    service.handle([(topics.request(OFFICE, "kiosk-01"), b"not json")] * 500)
    service.handle([request("ghost-01", f"req-{i:08d}", "issue_ticket") for i in range(500)])
    lines = [r.getMessage() for r in caplog.records if r.name == "queue_server.service"]
    refused = [line for line in lines if "refused" in line]
    assert refused == [
        "device=kiosk-01 code=malformed requests refused" + LINE,
        "device=ghost-01 code=unknown_device requests refused" + LINE,
    ], lines


def private_views(out: list[Publish]) -> dict[str, bytes]:
    return {p.topic: p.payload for p in out if p.topic.endswith("/view")}


def test_the_masked_name_goes_only_to_the_serving_counters_units(store: EventStore) -> None:
    from queue_server.private_views import CounterDevices

    units = [CounterDevices({"counter-1": "quay-1", "screen-1": "quay-1", "counter-2": "quay-2"})]
    service = make_service(store, counter_devices=lambda: units[0])
    assert set(private_views(service.retained_state(only_changed=False))) == {
        topics.device_view(OFFICE, d) for d in ("counter-1", "screen-1", "counter-2")
    }
    body = {"service_id": "ho-tich", "priority": "pregnant", "display_name": "Nguyễn V. A."}
    service.handle([request("kiosk-01", "req-00000001", "issue_ticket", **body)])
    out = service.handle([request("counter-1", "req-00000002", "call_next", counter_id="quay-1")])
    views = private_views(out)
    assert set(views) == {topics.device_view(OFFICE, "counter-1"), topics.device_view(OFFICE, "screen-1")}
    assert all(json.loads(v)["serving"]["display_name"] == "Nguyễn V. A." for v in views.values())
    public = [p.payload for p in out if "/view" not in p.topic and "/events" not in p.topic]
    assert not [p for p in public if "Nguyễn".encode() in p or b"pregnant" in p], public
    counter = next(json.loads(p.payload) for p in out if p.topic == topics.counter_state(OFFICE, "quay-1"))
    assert counter["serving"]["priority"] is True
    # screen-1 is revoked: the next tick empties its retained view, and a full republish keeps it empty
    units[0] = CounterDevices({"counter-1": "quay-1", "counter-2": "quay-2"}, frozenset({"screen-1"}))
    assert service.chores() == [Publish(topics.device_view(OFFICE, "screen-1"), b"", retain=True)]
    assert service.chores() == []
    republished = private_views(service.retained_state(only_changed=False))
    assert republished[topics.device_view(OFFICE, "screen-1")] == b""
    # a unit added while the server runs gets its view at the next tick, name included
    units[0] = CounterDevices({**units[0].active, "screen-2": "quay-1"}, frozenset({"screen-1"}))
    [added] = service.chores()
    assert added.topic == topics.device_view(OFFICE, "screen-2") and added.retain
    assert json.loads(added.payload)["serving"]["display_name"] == "Nguyễn V. A."
