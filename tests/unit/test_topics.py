"""The topic tree and the access rules both brokers enforce (Mosquitto via the ACL, amqtt via a plugin)."""

from __future__ import annotations

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from queue_server.contract import topics
from queue_server.contract.topics import (
    SERVER_USERNAME,
    may_publish,
    may_subscribe,
    parse_request_topic,
    topic_matches,
    valid_id,
)

OFFICE = "q1"
ids = st.from_regex(r"[a-z0-9][a-z0-9-]{0,39}", fullmatch=True)
# Topics and filters built from the levels that matter, so random cases hit the interesting overlaps.
LEVELS = ["motcua", "v1", "q1", "q2", "dev", "kiosk-01", "counter-03", "req", "res", "status", "state", "board"]
topic_levels = st.lists(st.sampled_from(LEVELS), min_size=1, max_size=7)
filter_levels = st.lists(st.sampled_from([*LEVELS, "+"]), min_size=1, max_size=7)


@st.composite
def filters(draw: st.DrawFn) -> str:
    levels = draw(filter_levels)
    if draw(st.booleans()):
        levels.append("#")
    return "/".join(levels)


# -- ids and the topic builders -------------------------------------------------------------------------------
@pytest.mark.parametrize("value", ["q1", "kiosk-01", "0", "a" * 40, SERVER_USERNAME])
def test_valid_ids(value: str) -> None:
    assert valid_id(value)


@pytest.mark.parametrize("value", ["", "-a", "Kiosk", "a/b", "a+", "#", "a b", "a" * 41, "kiosk-01\n", "ki_osk"])
def test_invalid_ids(value: str) -> None:
    assert not valid_id(value)


@given(office=ids, device=ids)
def test_parse_request_topic_round_trips(office: str, device: str) -> None:
    assert parse_request_topic(topics.request(office, device)) == (office, device)
    assert topic_matches(topics.all_requests(office), topics.request(office, device))


@pytest.mark.parametrize(
    "topic",
    [
        topics.reply(OFFICE, "kiosk-01"),
        topics.device_status(OFFICE, "kiosk-01"),
        topics.board_state(OFFICE),
        "motcua/v2/q1/dev/kiosk-01/req",
        "other/v1/q1/dev/kiosk-01/req",
        "motcua/v1/q1/dev/kiosk-01/req/extra",
        "motcua/v1/q1/xyz/kiosk-01/req",
        "",
    ],
)
def test_parse_request_topic_rejects_other_topics(topic: str) -> None:
    assert parse_request_topic(topic) is None


# -- topic_matches ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("topic_filter", "topic", "expected"),
    [
        ("a/b", "a/b", True),
        ("a/b", "a/c", False),
        ("a/+", "a/b", True),
        ("a/+", "a", False),
        ("a/+", "a/b/c", False),
        ("a/#", "a", True),  # "#" includes the parent level (MQTT 4.7.1.2)
        ("a/#", "a/b/c", True),
        ("#", "a/b", True),
        ("+/+", "a/b", True),
        ("a/b", "a/b/c", False),
        ("#", "$SYS/broker", False),  # MQTT 4.7.2: wildcards at the start skip $ topics
        ("+/broker", "$SYS/broker", False),
        ("$SYS/#", "$SYS/broker", True),
    ],
)
def test_topic_matches(topic_filter: str, topic: str, expected: bool) -> None:
    assert topic_matches(topic_filter, topic) is expected


@given(topic_levels)
def test_a_topic_matches_itself_and_hash(levels: list[str]) -> None:
    topic = "/".join(levels)
    assert topic_matches(topic, topic)
    assert topic_matches("#", topic)
    assert topic_matches("/".join(["+"] * len(levels)), topic)


# -- may_publish -----------------------------------------------------------------------------------------------
def test_device_may_publish_only_its_own_request_and_status() -> None:
    assert may_publish(OFFICE, "kiosk-01", topics.request(OFFICE, "kiosk-01"))
    assert may_publish(OFFICE, "kiosk-01", topics.device_status(OFFICE, "kiosk-01"))
    for topic in [
        topics.request(OFFICE, "counter-03"),
        topics.device_status(OFFICE, "counter-03"),
        topics.reply(OFFICE, "kiosk-01"),
        topics.board_state(OFFICE),
        topics.counter_state(OFFICE, "03"),
        topics.waiting_state(OFFICE),
        topics.server_status(OFFICE),
        topics.event_stream(OFFICE),
        topics.request("q2", "kiosk-01"),
        topics.all_requests(OFFICE),  # wildcards are never publishable
    ]:
        assert not may_publish(OFFICE, "kiosk-01", topic), topic


def test_server_may_publish_anywhere_in_its_office_only() -> None:
    for topic in [
        topics.reply(OFFICE, "kiosk-01"),
        topics.board_state(OFFICE),
        topics.server_status(OFFICE),
        topics.event_stream(OFFICE),
    ]:
        assert may_publish(OFFICE, SERVER_USERNAME, topic), topic
    assert not may_publish(OFFICE, SERVER_USERNAME, topics.board_state("q2"))
    assert not may_publish(OFFICE, SERVER_USERNAME, f"motcua/v1/{OFFICE}/#")
    assert not may_publish(OFFICE, SERVER_USERNAME, f"motcua/v1/{OFFICE}/state/+")
    assert not may_publish(OFFICE, SERVER_USERNAME, "")


@pytest.mark.parametrize("username", ["", "a/b", "+", "#", "q1/dev/kiosk-01", "Kiosk-01"])
def test_usernames_unsafe_in_a_topic_get_nothing(username: str) -> None:
    # "%u" substitution must not let a crafted username reach another device's topic
    assert not may_publish(OFFICE, username, topics.request(OFFICE, username))
    assert not may_subscribe(OFFICE, username, topics.reply(OFFICE, username))
    assert not may_subscribe(OFFICE, username, topics.board_state(OFFICE))


@given(device=ids, other=ids, office=ids)
def test_device_publish_rule_is_per_device_and_office(device: str, other: str, office: str) -> None:
    assume(device != SERVER_USERNAME and other != device and office != OFFICE)
    assert may_publish(OFFICE, device, topics.request(OFFICE, device))
    assert not may_publish(OFFICE, device, topics.request(OFFICE, other))
    assert not may_publish(OFFICE, device, topics.request(office, device))


# -- may_subscribe ---------------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "topic_filter",
    [
        topics.reply(OFFICE, "kiosk-01"),
        f"motcua/v1/{OFFICE}/state/#",
        topics.board_state(OFFICE),
        f"motcua/v1/{OFFICE}/state/counters/+",  # narrower than state/#: allowed (Mosquitto allows it too)
        f"motcua/v1/{OFFICE}/state/counters/#",
        f"motcua/v1/{OFFICE}/state",  # matched by state/#
        topics.server_status(OFFICE),
    ],
)
def test_device_may_subscribe(topic_filter: str) -> None:
    assert may_subscribe(OFFICE, "kiosk-01", topic_filter)


@pytest.mark.parametrize(
    "topic_filter",
    [
        topics.reply(OFFICE, "counter-03"),
        f"motcua/v1/{OFFICE}/dev/+/res",
        f"motcua/v1/{OFFICE}/dev/kiosk-01/+",
        f"motcua/v1/{OFFICE}/dev/#",
        f"motcua/v1/{OFFICE}/#",
        f"motcua/v1/{OFFICE}/+/board",
        "motcua/v1/+/state/#",
        "#",
        "+/#",
        "$SYS/#",
        topics.request(OFFICE, "kiosk-01"),  # its own requests are the server's to read
        topics.all_requests(OFFICE),
        topics.event_stream(OFFICE),
        "motcua/v1/q2/state/#",
        f"motcua/v1/{OFFICE}/state/#/x",  # malformed: "#" not last
        f"motcua/v1/{OFFICE}/state/bo+rd",  # malformed: "+" not a whole level
        "",
    ],
)
def test_device_may_not_subscribe(topic_filter: str) -> None:
    assert not may_subscribe(OFFICE, "kiosk-01", topic_filter)


def test_server_may_subscribe_within_its_office_only() -> None:
    for allowed in [f"motcua/v1/{OFFICE}/#", topics.all_requests(OFFICE), f"motcua/v1/{OFFICE}/dev/+/status"]:
        assert may_subscribe(OFFICE, SERVER_USERNAME, allowed), allowed
    for denied in ["#", "motcua/v1/#", "motcua/v1/+/dev/+/req", topics.all_requests("q2"), "motcua/v1/q1/a/#/b"]:
        assert not may_subscribe(OFFICE, SERVER_USERNAME, denied), denied


@given(topic_filter=filters(), topic=topic_levels, username=st.sampled_from(["kiosk-01", SERVER_USERNAME]))
def test_an_allowed_filter_never_reaches_a_forbidden_topic(topic_filter: str, topic: list[str], username: str) -> None:
    """No widening: whatever a permitted filter matches, the user may read on its own."""
    concrete = "/".join(topic)
    if may_subscribe(OFFICE, username, topic_filter) and topic_matches(topic_filter, concrete):
        assert may_subscribe(OFFICE, username, concrete), (topic_filter, concrete)


@given(topic=topic_levels)
def test_device_reads_exactly_what_the_mosquitto_patterns_allow(topic: list[str]) -> None:
    """For concrete topics, may_subscribe agrees with Mosquitto's ``pattern read`` lines (wildcard match)."""
    concrete = "/".join(topic)
    patterns = [p.replace("%u", "kiosk-01") for p in topics.device_read_patterns(OFFICE)]
    assert may_subscribe(OFFICE, "kiosk-01", concrete) == any(topic_matches(p, concrete) for p in patterns)


# -- reading a topic back ------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("topic", "expected"),
    [
        (topics.request(OFFICE, "kiosk-01"), ("q1", "request", "kiosk-01")),
        (topics.reply(OFFICE, "kiosk-01"), ("q1", "reply", "kiosk-01")),
        (topics.device_status(OFFICE, "board-01"), ("q1", "device_status", "board-01")),
        (topics.device_view(OFFICE, "counter-3"), ("q1", "device_view", "counter-3")),
        (topics.counter_state(OFFICE, "quay-1"), ("q1", "counter_state", "quay-1")),
        (topics.counter_state(OFFICE, "view"), ("q1", "counter_state", "view")),
        (topics.board_state(OFFICE), ("q1", "board_state", None)),
        (topics.waiting_state(OFFICE), ("q1", "waiting_state", None)),
        (topics.server_status(OFFICE), ("q1", "server_status", None)),
    ],
)
def test_parse_topic_reads_back_what_the_builders_spell(topic: str, expected: tuple[str, str, str | None]) -> None:
    assert topics.parse_topic(topic) == expected


@pytest.mark.parametrize(
    "topic",
    [
        "motcua/v1/q1/state/board/extra",
        "motcua/v2/q1/state/board",
        "motcua/v1/q1/dev/kiosk-01/other",
        "motcua/v1/Q1/state/board",
        "motcua/v1/q1/state/counters/",
        "motcua/v1/q1/events",
        "t",
        "",
    ],
)
def test_parse_topic_refuses_anything_else(topic: str) -> None:
    assert topics.parse_topic(topic) is None


@given(office=ids, counter=ids)
def test_parse_topic_inverts_counter_state(office: str, counter: str) -> None:
    assert topics.parse_topic(topics.counter_state(office, counter)) == (office, "counter_state", counter)
