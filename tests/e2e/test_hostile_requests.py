"""A kiosk in a public hall is a hostile device: its credentials against the real server, on both brokers.

Each test runs on real Mosquitto and on the embedded default (amqtt in the server process), the server in its own
process (``OfficeUnderTest``) with the office's default budgets (``[limits]``). With a kiosk's credentials: a
20,000-request flood while a second kiosk keeps issuing, malformed payloads, and the masked name: what every
device account can receive.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from queue_server.app import open_store
from queue_server.bench.office import OfficeUnderTest
from queue_server.brokers.process import free_port
from queue_server.contract import topics
from queue_server.engine.events import TicketIssued
from queue_server.store.devices import DeviceRegistry

OFFICE = OfficeUnderTest.office_id
FLOOD = 20_000
TTL = 8.0
"""A kiosk's ticket request lives 8 s: every honest one must be answered within it."""
KIOSK_BURST, KIOSK_PER_MINUTE = 5, 6
DEVICES = {
    "kiosk-a": ("kiosk", None),  # the attacker's credentials, taken from its SD card
    "kiosk-b": ("kiosk", None),
    "kiosk-c": ("kiosk", None),
    "counter-1": ("counter", "quay-1"),
    "counter-1b": ("counter", "quay-1"),  # a second unit at the same counter (its screen)
    "counter-2": ("counter", "quay-2"),
    "board-1": ("display", None),
    "console-1": ("console", None),
}
MASKED = "Nguyễn V. A."


@pytest.fixture(params=[pytest.param("mosquitto", marks=pytest.mark.mosquitto), "embedded"])
def office(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OfficeUnderTest]:
    kind = request.param
    office = OfficeUnderTest(tmp_path / "office", port=free_port(), broker_kind=kind, limits="")
    office.provision(DEVICES)
    if kind == "mosquitto":
        broker = request.getfixturevalue("mosquitto")
        broker.start_on(office.port, office.accounts(), office_id=office.office_id)
    office.start_server()
    try:
        yield office
    finally:
        office.stop_server()


class Client:
    """A raw MQTT client logged in with one device's credentials, recording everything it receives."""

    def __init__(
        self, office: OfficeUnderTest, device_id: str, subscriptions: list[str], *, server: bool = False
    ) -> None:
        """``server``: log in as the read-only monitor account instead (a sniffer of the whole office)."""
        self.device_id = device_id
        self.received: list[tuple[str, bytes]] = []
        self.cond = threading.Condition()
        self.subscribed = threading.Event()
        client_id = f"sniffer-{OFFICE}" if server else f"{OFFICE}-{device_id}"
        self.client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id)
        if server:
            self.client.username_pw_set(topics.MONITOR_USERNAME, office.monitor_password)
        else:
            self.client.username_pw_set(device_id, office.passwords[device_id])
        self.client.max_inflight_messages_set(1000)
        self.client.max_queued_messages_set(0)
        self.client.on_message = self._add
        self.client.on_subscribe = lambda *a: self.subscribed.set()
        self.client.on_connect = lambda c, *a: c.subscribe([(s, 1) for s in subscriptions])
        self.client.connect("127.0.0.1", office.port)
        self.client.loop_start()
        assert self.subscribed.wait(10), f"{device_id} could not subscribe"

    def _add(self, client: Any, userdata: Any, message: mqtt.MQTTMessage) -> None:
        with self.cond:
            self.received.append((message.topic, bytes(message.payload)))
            self.cond.notify_all()

    def replies(self) -> list[dict[str, Any]]:
        reply_topic = topics.reply(OFFICE, self.device_id)
        with self.cond:
            return [json.loads(p) for t, p in self.received if t == reply_topic]

    def wait_replies(self, count: int, timeout: float = 20) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while len(found := self.replies()) < count and time.monotonic() < deadline:
            with self.cond:
                self.cond.wait(0.1)
        return found

    def close(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()


def readable(device_id: str) -> list[str]:
    """Every filter this device's account may subscribe to: all it can ever receive."""
    return [p.replace("%u", device_id) for p in topics.device_read_patterns(OFFICE)]


def issued_by(office: OfficeUnderTest) -> dict[str, int]:
    store = open_store(office.settings)
    try:
        counts: dict[str, int] = {}
        for stored in store.events():
            if isinstance(stored.event, TicketIssued):
                counts[stored.device_id or ""] = counts.get(stored.device_id or "", 0) + 1
        return counts
    finally:
        store.close()


def request(request_id: str, service: str = "ho-tich") -> bytes:
    return json.dumps({"v": 1, "id": request_id, "type": "issue_ticket", "body": {"service_id": service}}).encode()


def test_a_flooding_kiosk_gets_its_budget_and_nobody_else_waits(office: OfficeUnderTest) -> None:
    attacker = Client(office, "kiosk-a", [topics.reply(OFFICE, "kiosk-a")])
    rss_before = office.server_rss_kib()
    answered: list[tuple[float, dict[str, Any] | None]] = []
    with office.link("kiosk-b", resend_interval=1.0) as honest:
        assert honest.wait_connected(10)
        flood_sent = threading.Event()
        started = time.monotonic()

        def flood() -> None:
            topic = topics.request(OFFICE, "kiosk-a")
            status = topics.device_status(OFFICE, "kiosk-a")
            last = None
            for i in range(FLOOD):
                last = attacker.client.publish(topic, request(f"flood-{i:08d}"), qos=1)
                if i % 4 == 0:  # its retained status too: each one is parsed on the server's MQTT thread
                    attacker.client.publish(status, b'{"v":1,"online":true,"alarms":[]}', qos=1, retain=True)
            assert last is not None
            last.wait_for_publish(120)
            flood_sent.set()

        flooder = threading.Thread(target=flood, daemon=True)
        flooder.start()
        # The honest kiosk keeps issuing through the flood, within its own budget (a citizen every second or so).
        for _ in range(KIOSK_BURST - 1):
            t0 = time.monotonic()
            reply = honest.request("issue_ticket", {"service_id": "dat-dai"}, timeout=TTL, ttl=TTL)
            answered.append((time.monotonic() - t0, reply))
            time.sleep(0.5)
        assert flood_sent.wait(120), "the flood was never sent"
        flooder.join(10)
        # Sent after the whole flood: its answer means the server has been through every flood message.
        t0 = time.monotonic()
        last = honest.request("issue_ticket", {"service_id": "dat-dai"}, timeout=TTL, ttl=TTL)
        answered.append((time.monotonic() - t0, last))
        elapsed = time.monotonic() - started
    refusals = attacker.wait_replies(1)
    attacker.close()
    slow = [(round(s, 2), r) for s, r in answered if r is None or not r.get("ok") or s > TTL]
    assert not slow, f"honest kiosk not answered within its ttl: {slow}\n{office.log_tail()}"
    tickets = issued_by(office)
    budget = KIOSK_BURST + KIOSK_PER_MINUTE * elapsed / 60 + 1
    assert 1 <= tickets.get("kiosk-a", 0) <= budget, (tickets, elapsed)
    assert tickets.get("kiosk-b") == len(answered)
    codes = [r["error"]["code"] for r in refusals if not r["ok"]]
    assert codes and set(codes) == {"rate_limited"}, set(codes)
    assert len(refusals) < 100, f"{len(refusals)} replies to a flood: they must be bounded too"
    log = office.log_path.read_text(errors="replace").splitlines()
    about = [line for line in log if "kiosk-a" in line]
    assert 1 <= len(about) <= 6, about[:20]
    rss_after = office.server_rss_kib()
    assert rss_after - rss_before < 64 * 1024, f"server grew from {rss_before} to {rss_after} KiB"


def test_malformed_payloads_are_refused_and_invalid_ids_never_echoed(office: OfficeUnderTest) -> None:
    kiosk = Client(office, "kiosk-c", [topics.reply(OFFICE, "kiosk-c")])
    topic = topics.request(OFFICE, "kiosk-c")
    good = request("kiosk-c-utf16-0001").decode()
    payloads = [
        good.encode("utf-16"),  # with its byte-order mark
        good.encode("utf-16-le"),  # without
        b"\xef\xbb\xbf" + good.encode(),  # UTF-8 with a BOM
        request('x" level=ERROR logger=forged msg="owned'),  # an id no reply may echo
    ]
    try:
        for payload in payloads:
            kiosk.client.publish(topic, payload, qos=1)
        replies = kiosk.wait_replies(len(payloads))
    finally:
        kiosk.close()
    assert len(replies) == len(payloads), replies
    assert all(r["ok"] is False and r["id"] is None for r in replies), replies
    codes = [r["error"]["code"] for r in replies]
    assert codes.count("malformed") == 3 and codes.count("invalid_request") == 1, codes
    assert "kiosk-c" not in issued_by(office)
    log = office.log_path.read_text(errors="replace")
    assert "logger=forged" not in log.replace('\\"', ""), "a request id forged a log field"


def test_the_masked_name_reaches_only_the_serving_counters_units(office: OfficeUnderTest) -> None:
    """Every device account subscribes to all it may read; the citizen's masked name must reach only the units of
    the counter serving them (and the server), the priority category no device but the kiosk that sent it."""
    actors = {"kiosk-b", "counter-1"}
    recorders = {d: Client(office, d, readable(d)) for d in DEVICES if d not in actors}
    seen: dict[str, list[tuple[str, bytes]]] = {d: [] for d in actors}

    def recorder(device_id: str) -> Any:
        return lambda topic, data: seen[device_id].append((topic, json.dumps(data, ensure_ascii=False).encode()))

    def record_reply(device_id: str) -> Any:
        return lambda reply: seen[device_id].append(("reply", json.dumps(reply, ensure_ascii=False).encode()))

    counter_view = topics.device_view(OFFICE, "counter-1")
    try:
        with (
            office.link("kiosk-b", on_state=recorder("kiosk-b"), state_topics=tuple(readable("kiosk-b"))) as kiosk,
            office.link("counter-1", on_state=recorder("counter-1"), state_topics=tuple(readable("counter-1"))) as unit,
        ):
            kiosk.on_reply, unit.on_reply = record_reply("kiosk-b"), record_reply("counter-1")
            assert kiosk.wait_connected(10) and unit.wait_connected(10)
            body = {"service_id": "ho-tich", "priority": "pregnant", "display_name": MASKED}
            issued = kiosk.request("issue_ticket", body)
            assert issued is not None and issued["ok"], issued
            called = unit.request("call_next", {"counter_id": "quay-1"})
            assert called is not None and called["ok"] and called["result"]["ticket"]["label"] == "A001", called
            deadline = time.monotonic() + 10
            while not any(t == counter_view and MASKED.encode() in p for t, p in seen["counter-1"]):
                assert time.monotonic() < deadline, f"the counter's unit never got its view: {seen['counter-1']}"
                time.sleep(0.05)
            b_view = topics.device_view(OFFICE, "counter-1b")
            while not any(t == b_view and MASKED.encode() in p for t, p in recorders["counter-1b"].received):
                assert time.monotonic() < deadline, "the counter's second unit never got its view"
                time.sleep(0.05)
            # A device connecting now gets the retained state: record what a late one of each account receives.
            late = {d: Client(office, d, readable(d)) for d in recorders}
            status = topics.server_status(OFFICE)  # the last filter subscribed: its retained message comes last
            for device_id, client in late.items():
                while not any(t == status for t, _ in client.received):
                    assert time.monotonic() < deadline + 10, f"{device_id} got no retained state"
                    time.sleep(0.05)
                client.close()
                recorders[device_id].received += client.received
    finally:
        for client in recorders.values():
            client.close()
    received = {d: c.received for d, c in recorders.items()} | seen
    assert all(received.values()), "every account received something (the public state at least)"
    named = {d for d, msgs in received.items() if any(MASKED.encode() in p for _, p in msgs)}
    assert named == {"counter-1", "counter-1b"}, named
    named_topics = {t for msgs in received.values() for t, p in msgs if MASKED.encode() in p}
    assert named_topics == {counter_view, topics.device_view(OFFICE, "counter-1b")}, named_topics
    office_setup = topics.office_state(OFFICE)  # lists the categories the office offers: setup, not a ticket's
    categorised = {d for d, msgs in received.items() if any(b"pregnant" in p for t, p in msgs if t != office_setup)}
    assert categorised <= {"kiosk-b"}, categorised
    own = [t for t, p in received["kiosk-b"] if b"pregnant" in p and t != office_setup]
    assert set(own) <= {"reply"}, own  # only the kiosk's own reply echoes the category it sent
    public = [json.loads(p) for t, p in received["board-1"] if t == topics.counter_state(OFFICE, "quay-1") and p]
    assert any((v.get("serving") or {}).get("priority") is True for v in public), "ưu tiên, as a yes/no"


def test_a_revoked_unit_is_refused_and_its_private_view_cleared(office: OfficeUnderTest) -> None:
    """Revoked while connected: within seconds its requests are answered ``unknown_device`` or its connection is
    closed (and it cannot log in again), and its retained
    private view is emptied, so nothing is left on the broker for its old credentials."""
    view = topics.device_view(OFFICE, "counter-1b")
    sniffer = Client(office, "counter-1b", [view], server=True)
    try:
        with office.link("counter-1b") as unit:
            assert unit.wait_connected(10)
            assert (unit.request("pause", {"counter_id": "quay-1"}) or {}).get("ok")
            deadline = time.monotonic() + 10
            while not any(t == view and p for t, p in sniffer.received):
                assert time.monotonic() < deadline, "no private view for the unit"
                time.sleep(0.05)
            store = open_store(office.settings)
            try:
                DeviceRegistry(store).revoke("counter-1b")
            finally:
                store.close()
            # Within seconds, its requests are answered ``unknown_device`` (the server's registry cache is 5 s), or
            # the broker closes its connection first (the embedded broker re-reads the registry every 2 s).
            embedded = office.settings.broker.kind == "embedded"
            deadline = time.monotonic() + 20
            code = None
            while code != "unknown_device" and not (embedded and not unit.connected):
                assert time.monotonic() < deadline, office.log_tail()
                reply = unit.request("resume", {"counter_id": "quay-1"}, timeout=2, ttl=2)
                code = (reply or {}).get("error", {}).get("code") if reply and not reply["ok"] else None
                time.sleep(0.5)
            if embedded:  # Mosquitto drops it at the SIGHUP of `device revoke`
                deadline = time.monotonic() + 10
                while unit.connected:
                    assert time.monotonic() < deadline, "the revoked unit is still connected"
                    time.sleep(0.1)
                assert unit.request("resume", {"counter_id": "quay-1"}, timeout=2, ttl=2) is None, (
                    "answered after revocation"
                )
        deadline = time.monotonic() + 20
        while not any(t == view and p == b"" for t, p in sniffer.received):
            assert time.monotonic() < deadline, "the revoked unit's private view was not cleared"
            time.sleep(0.1)
    finally:
        sniffer.close()
