"""The office side of gap fill (``EventReplayer``) on a real Mosquitto, and the province's gap bookkeeping.

The replayer is driven as the province drives it: a resend request on the office broker, answered with the
events republished on ``events`` and a replay report, all read back by a real paho client.
"""

from __future__ import annotations

import json
import queue
from datetime import UTC, datetime
from pathlib import Path

import pytest

from queue_server.brokers.bridge import (
    PROVINCE_USERNAME,
    BridgeTls,
    ProvinceBridge,
    bridge_lines,
    render_province_acl,
)
from queue_server.brokers.credentials import hash_password, new_password
from queue_server.brokers.mosquitto import BrokerAccount
from queue_server.contract import topics
from queue_server.contract.mqtt_client import make_client
from queue_server.engine.events import CounterPaused
from queue_server.mqtt.event_replayer import EventReplayer
from queue_server.province import messages
from queue_server.province.gaps import OfficeSeqs
from queue_server.store.event_store import Commit, EventStore
from tests.fixtures.mosquitto import MosquittoBroker

OFFICE = "q1"
TIMEOUT = 10.0


def _commit(store: EventStore, count: int) -> list[int]:
    batch = [Commit(None, None, [CounterPaused(at=datetime.now(UTC), counter_id="quay-1")], {})]
    return [group[0].seq for _ in range(count) for group in store.commit(batch)]


@pytest.mark.mosquitto
def test_replayer_resends_events_and_reports_which_seqs_exist(tmp_path: Path, mosquitto: MosquittoBroker) -> None:
    password, replayer_password = new_password(), new_password()
    accounts = [
        BrokerAccount(topics.SERVER_USERNAME, hash_password(password)),
        BrokerAccount(topics.REPLAYER_USERNAME, hash_password(replayer_password)),
    ]
    mosquitto.start(accounts, office_id=OFFICE)
    url = f"sqlite:///{tmp_path / 'office.db'}"
    store, neighbour = EventStore(url, OFFICE), EventStore(url, "q9")
    store.migrate()
    seqs: list[int] = []
    for _ in range(3):  # two offices in one database: q1's seqs have holes, as after PostgreSQL rollbacks
        seqs += _commit(store, 2)
        _commit(neighbour, 1)
    assert seqs == [1, 2, 4, 5, 7, 8]

    # its own account: the client id is the username, so it must not share the server's
    replayer = EventReplayer.connect(store, host=mosquitto.host, port=mosquitto.port, password=replayer_password)
    replayer.max_events = 3
    received: queue.Queue[tuple[str, bytes]] = queue.Queue()
    province = make_client("fake-province", topics.SERVER_USERNAME, password)
    province.on_message = lambda _c, _u, m: received.put((m.topic, bytes(m.payload)))
    province.connect(mosquitto.host, mosquitto.port)
    province.subscribe([(topics.event_stream(OFFICE), 1), (topics.replay_report(OFFICE), 1)])
    province.loop_start()
    try:
        assert replayer.subscribed.wait(TIMEOUT)
        request = messages.encode_request(messages.ResendRequest(after_seq=1))
        province.publish(topics.resend_request(OFFICE), request, qos=1)
        first = _until_report(received)
        province.publish(topics.resend_request(OFFICE), messages.encode_request(messages.ResendRequest(5)))
        second = _until_report(received)
        province.publish(topics.resend_request(OFFICE), b'{"v":1,"after_seq":-1}', qos=1)
        province.publish(topics.resend_request(OFFICE), messages.encode_request(messages.ResendRequest(8)))
        third = _until_report(received)
    finally:
        province.disconnect()
        province.loop_stop()
        replayer.stop()
        store.close()
        neighbour.close()

    events, report = first
    assert [e["seq"] for e in events] == [2, 4, 5]
    assert all(e["office_id"] == OFFICE and e["schema"] == 1 for e in events)
    assert report == messages.ReplayReport(1, 5, ((2, 2), (4, 5)), more=True)
    events, report = second
    assert [e["seq"] for e in events] == [7, 8]
    assert report == messages.ReplayReport(5, 8, ((7, 8),), more=False)
    assert third == ([], messages.ReplayReport(8, 8, (), more=False))  # the malformed request got nothing


def _until_report(received: queue.Queue[tuple[str, bytes]]) -> tuple[list[dict[str, object]], messages.ReplayReport]:
    events: list[dict[str, object]] = []
    while True:
        topic, payload = received.get(timeout=TIMEOUT)
        if topic == topics.replay_report(OFFICE):
            return events, messages.parse_report(payload)
        events.append(json.loads(payload))


def test_gap_tracker_closes_a_gap_only_when_the_report_accounts_for_every_seq() -> None:
    seqs = OfficeSeqs()
    assert seqs.imported(1) and seqs.imported(2)
    assert not seqs.imported(5)  # 3 and 4 missing
    assert seqs.has_gap() and seqs.through == 2
    # The office says 3 never existed and 4 does, but 4 has not arrived: still open.
    assert not seqs.apply_report(messages.ReplayReport(2, 5, ((4, 5),), more=False))
    assert seqs.through == 2
    seqs.imported(4)
    assert seqs.apply_report(messages.ReplayReport(2, 5, ((4, 5),), more=False))
    assert seqs.through == 5 and not seqs.has_gap()
    # A report starting beyond the watermark says nothing about what lies before it.
    seqs.imported(9)
    assert not seqs.apply_report(messages.ReplayReport(7, 9, ((9, 9),), more=False))
    assert seqs.through == 5
    assert not seqs.imported(3)  # a late duplicate below the watermark changes nothing


@pytest.mark.parametrize(
    "payload",
    [
        b"[]",
        b'{"v":2,"after_seq":0,"through_seq":0,"present":[],"more":false}',
        b'{"v":1,"after_seq":5,"through_seq":3,"present":[],"more":false}',
        b'{"v":1,"after_seq":0,"through_seq":9,"present":[[4,2]],"more":false}',
        b'{"v":1,"after_seq":0,"through_seq":9,"present":[[1,3],[2,4]],"more":false}',
        b'{"v":1,"after_seq":0,"through_seq":9,"present":[[1,10]],"more":false}',
        b'{"v":1,"after_seq":0,"through_seq":9,"present":[],"more":0}',
        b'{"v":1,"after_seq":0,"through_seq":9,"present":[],"more":false,"x":1}',
    ],
)
def test_malformed_replay_reports_are_refused(payload: bytes) -> None:
    with pytest.raises(messages.PayloadError):
        messages.parse_report(payload)


def test_bridge_section_and_province_acl() -> None:
    tls = BridgeTls(Path("/etc/motcua/province-ca.pem"))
    lines = bridge_lines(ProvinceBridge(OFFICE, "province.example.vn", 8883, "pw-1", tls=tls))
    assert "connection province-q1" in lines and "remote_username q1" in lines
    assert "cleansession false" in lines
    assert "topic motcua/v1/q1/events out 1" in lines
    assert "topic motcua/v1/q1/events/resend in 1" in lines
    assert "bridge_cafile /etc/motcua/province-ca.pem" in lines
    with pytest.raises(ValueError, match="office id"):
        bridge_lines(ProvinceBridge(PROVINCE_USERNAME, "h", 1, "pw"))
    with pytest.raises(ValueError, match="password"):
        bridge_lines(ProvinceBridge(OFFICE, "h", 1, "two words"))
    acl = render_province_acl()
    assert "pattern write motcua/v1/%u/events\n" in acl
    assert "topic write motcua/v1/+/events\n" not in acl  # only the ingest account has wildcard rights, to read
