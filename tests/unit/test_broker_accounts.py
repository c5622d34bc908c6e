"""motcua's own accounts get exactly their rights: the replayer only ``events*``, the monitor reads only."""

from __future__ import annotations

from queue_server.brokers.mosquitto import render_acl
from queue_server.contract import topics
from queue_server.contract.topics import MONITOR_USERNAME, REPLAYER_USERNAME, may_publish, may_subscribe

OFFICE = "q1"


def test_the_replayer_publishes_events_and_reads_resend_requests_only() -> None:
    assert may_publish(OFFICE, REPLAYER_USERNAME, topics.event_stream(OFFICE))
    assert may_publish(OFFICE, REPLAYER_USERNAME, topics.replay_report(OFFICE))
    assert may_subscribe(OFFICE, REPLAYER_USERNAME, topics.resend_request(OFFICE))
    for topic in (topics.server_status(OFFICE), topics.reply(OFFICE, "kiosk-01"), topics.board_state(OFFICE)):
        assert not may_publish(OFFICE, REPLAYER_USERNAME, topic), topic
    assert not may_subscribe(OFFICE, REPLAYER_USERNAME, topics.all_requests(OFFICE))
    assert not may_publish(OFFICE, REPLAYER_USERNAME, topics.event_stream("q2"))


def test_the_monitor_reads_the_office_and_publishes_nothing() -> None:
    assert may_subscribe(OFFICE, MONITOR_USERNAME, f"motcua/v1/{OFFICE}/#")
    assert not may_subscribe(OFFICE, MONITOR_USERNAME, "motcua/v1/q2/#")
    for topic in (topics.server_status(OFFICE), topics.request(OFFICE, MONITOR_USERNAME), topics.board_state(OFFICE)):
        assert not may_publish(OFFICE, MONITOR_USERNAME, topic), topic


def test_the_mosquitto_acl_spells_the_same_rights() -> None:
    acl = render_acl(OFFICE)
    replayer = acl.split(f"user {REPLAYER_USERNAME}\n")[1].split("\n\n")[0].splitlines()
    assert replayer == [
        f"topic write {topics.event_stream(OFFICE)}",
        f"topic write {topics.replay_report(OFFICE)}",
        f"topic read {topics.resend_request(OFFICE)}",
    ]
    monitor = acl.split(f"user {MONITOR_USERNAME}\n")[1].split("\n\n")[0].splitlines()
    assert monitor == [f"topic read motcua/v1/{OFFICE}/#"]
