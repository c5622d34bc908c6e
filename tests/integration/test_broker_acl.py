"""Both brokers enforce the same logins and topic rules: real Mosquitto and the embedded amqtt broker.

Denials are silent in MQTT 3.1.1 (a refused PUBLISH is still acknowledged), so every "not received" check
publishes something allowed afterwards, on the same connection, and waits for that: once it arrives, the
denied messages would have arrived before it.
"""

from __future__ import annotations

import asyncio
import contextlib
import queue
import socket
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from amqtt.contexts import Action, BaseContext
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.reasoncodes import ReasonCode

from queue_server.brokers.credentials import hash_password, new_password
from queue_server.brokers.embedded import EmbeddedBroker, MotcuaTopicPlugin
from queue_server.brokers.mosquitto import BrokerAccount
from queue_server.contract import topics
from tests.fixtures.mosquitto import MosquittoBroker, free_port

OFFICE = "q1"
OTHER_OFFICE = "q2"
SERVER = topics.SERVER_USERNAME
PASSWORDS = {"kiosk-01": new_password(), "counter-03": new_password(), SERVER: new_password()}
TIMEOUT = 5.0


@dataclass
class Target:
    """What a test needs from a broker under test, whatever its kind."""

    kind: str
    host: str
    port: int
    revoke: Callable[[str], None]
    clients: list[Client] = field(default_factory=list)

    def client(
        self, username: str | None, password: str | None = None, *, client_id: str = "", clean: bool = True
    ) -> Client:
        pw = PASSWORDS.get(username or "") if password is None else password
        c = Client(self, username, pw, client_id or f"test-{username}-{len(self.clients)}", clean)
        self.clients.append(c)
        return c


@dataclass
class Client:
    """A paho 2.x client whose callbacks feed queues, so tests wait on conditions rather than sleep."""

    target: Target
    username: str | None
    password: str | None
    client_id: str
    clean: bool
    connack: queue.Queue[ReasonCode] = field(default_factory=queue.Queue)
    subacks: queue.Queue[list[ReasonCode]] = field(default_factory=queue.Queue)
    messages: queue.Queue[tuple[str, bytes]] = field(default_factory=queue.Queue)
    disconnected: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        self.paho = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=self.client_id, clean_session=self.clean)
        if self.username is not None:
            self.paho.username_pw_set(self.username, self.password)
        self.paho.on_connect = self._on_connect
        self.paho.on_subscribe = lambda _c, _u, _mid, rcs, _p: self.subacks.put(list(rcs))
        self.paho.on_message = lambda _c, _u, msg: self.messages.put((msg.topic, bytes(msg.payload)))
        self.paho.on_disconnect = lambda *_args: self.disconnected.set()

    def _on_connect(self, client: mqtt.Client, _u: Any, _f: Any, rc: ReasonCode, _p: Any) -> None:
        if rc.is_failure:
            client.disconnect()  # refused: stop paho's automatic retries right here
        self.connack.put(rc)

    def connect(self, will_topic: str | None = None) -> ReasonCode:
        """Connect and return the broker's CONNACK reason (the loop stops retrying on a refusal)."""
        if will_topic is not None:
            self.paho.will_set(will_topic, b"gone", qos=1)
        self.paho.connect(self.target.host, self.target.port, keepalive=30)
        self.paho.loop_start()
        rc = self.connack.get(timeout=TIMEOUT)
        if rc.is_failure:
            self.close()
        return rc

    def connected(self) -> Client:
        rc = self.connect()
        assert not rc.is_failure, f"{self.username} could not connect: {rc}"
        return self

    def subscribe(self, topic_filter: str) -> ReasonCode:
        result, _ = self.paho.subscribe(topic_filter, qos=1)
        assert result == mqtt.MQTT_ERR_SUCCESS
        (granted,) = self.subacks.get(timeout=TIMEOUT)
        return granted

    def publish(self, topic: str, payload: bytes = b"x") -> None:
        self.paho.publish(topic, payload, qos=1).wait_for_publish(TIMEOUT)

    def wait_for(self, *wanted: str) -> list[tuple[str, bytes]]:
        """Everything received until a message has arrived on each ``wanted`` topic (in any order)."""
        seen: list[tuple[str, bytes]] = []
        missing = set(wanted)
        deadline = time.monotonic() + TIMEOUT
        while missing:
            topic, payload = self.messages.get(timeout=max(0.01, deadline - time.monotonic()))
            seen.append((topic, payload))
            missing.discard(topic)
        return seen

    def drop(self) -> None:
        """Lose the connection without DISCONNECT, as a kiosk losing power does: the broker sends the will."""
        sock = self.paho.socket()
        assert isinstance(sock, socket.socket)
        sock.shutdown(socket.SHUT_RDWR)  # the broker sees EOF, not a DISCONNECT packet
        self.close()  # paho can no longer send DISCONNECT; this only stops it from reconnecting

    def close(self) -> None:
        self.paho.disconnect()
        self.paho.loop_stop()


def _accounts() -> list[BrokerAccount]:
    return [BrokerAccount(user, hash_password(pw)) for user, pw in PASSWORDS.items()]


@pytest.fixture(params=[pytest.param("mosquitto", marks=pytest.mark.mosquitto), "embedded"])
def broker(request: pytest.FixtureRequest) -> Iterator[Target]:
    """The same accounts on either broker kind; ``revoke`` is what ``motcua device revoke`` does to it."""
    if request.param == "mosquitto":
        mosq: MosquittoBroker = request.getfixturevalue("mosquitto")
        accounts = _accounts()
        mosq.start(accounts, office_id=OFFICE)

        def revoke_mosquitto(user: str) -> None:
            mosq.set_accounts([a for a in accounts if a.username != user])

        with _closing(Target("mosquitto", mosq.host, mosq.port, revoke_mosquitto)) as target:
            yield target
    else:
        hashes = {a.username: a.password_hash for a in _accounts()}
        embedded = EmbeddedBroker(office_id=OFFICE, port=free_port(), accounts_provider=lambda: dict(hashes))

        def revoke_embedded(user: str) -> None:
            del hashes[user]
            embedded.disconnect_revoked()

        with embedded, _closing(Target("embedded", embedded.host, embedded.port, revoke_embedded)) as target:
            yield target


@contextlib.contextmanager
def _closing(target: Target) -> Iterator[Target]:
    try:
        yield target
    finally:
        for client in target.clients:
            client.close()


def test_right_password_accepted(broker: Target) -> None:
    # Every account was hashed by hash_password: for Mosquitto this proves the $7$ format.
    for user in PASSWORDS:
        assert not broker.client(user).connect().is_failure, user


@pytest.mark.parametrize(
    ("username", "password"),
    [("kiosk-01", "wrong"), ("kiosk-01", PASSWORDS["counter-03"]), ("kiosk-99", "whatever"), (None, None)],
    ids=["wrong-password", "other-device-password", "unknown-user", "anonymous"],
)
def test_bad_logins_refused(broker: Target, username: str | None, password: str | None) -> None:
    rc = broker.client(username, password).connect()
    assert rc.is_failure, f"{broker.kind} accepted {username!r}"


def test_device_publishes_only_its_own_topics(broker: Target) -> None:
    server = broker.client(SERVER).connected()
    assert not server.subscribe(f"motcua/v1/{OFFICE}/#").is_failure
    kiosk = broker.client("kiosk-01").connected()

    denied = [
        topics.request(OFFICE, "counter-03"),
        topics.device_status(OFFICE, "counter-03"),
        topics.reply(OFFICE, "kiosk-01"),
        topics.board_state(OFFICE),
        topics.counter_state(OFFICE, "03"),
        topics.server_status(OFFICE),
        topics.event_stream(OFFICE),
        topics.request(OTHER_OFFICE, "kiosk-01"),
    ]
    for topic in denied:
        kiosk.publish(topic, b"denied")
    allowed = [topics.request(OFFICE, "kiosk-01"), topics.device_status(OFFICE, "kiosk-01")]
    for topic in allowed:
        kiosk.publish(topic, b"allowed")

    assert sorted(server.wait_for(*allowed)) == [(t, b"allowed") for t in sorted(allowed)]


def test_device_cannot_read_another_devices_replies(broker: Target) -> None:
    kiosk = broker.client("kiosk-01").connected()
    counter = broker.client("counter-03").connected()
    # Mosquitto grants these SUBACKs and filters each delivery, amqtt refuses them: what counts is delivery.
    for too_wide in (topics.reply(OFFICE, "counter-03"), f"motcua/v1/{OFFICE}/dev/+/res", f"motcua/v1/{OFFICE}/#"):
        kiosk.subscribe(too_wide)
    assert not kiosk.subscribe(topics.reply(OFFICE, "kiosk-01")).is_failure
    assert not counter.subscribe(topics.reply(OFFICE, "counter-03")).is_failure

    server = broker.client(SERVER).connected()
    server.publish(topics.reply(OFFICE, "counter-03"), b"for counter-03")
    server.publish(topics.reply(OFFICE, "kiosk-01"), b"for kiosk-01")

    # counter-03 did get its reply, so there was something for kiosk-01 to (not) see
    assert counter.wait_for(topics.reply(OFFICE, "counter-03")) == [
        (topics.reply(OFFICE, "counter-03"), b"for counter-03")
    ]
    assert kiosk.wait_for(topics.reply(OFFICE, "kiosk-01")) == [(topics.reply(OFFICE, "kiosk-01"), b"for kiosk-01")]


def test_device_reads_shared_state(broker: Target) -> None:
    kiosk = broker.client("kiosk-01").connected()
    assert not kiosk.subscribe(f"motcua/v1/{OFFICE}/state/#").is_failure
    assert not kiosk.subscribe(topics.server_status(OFFICE)).is_failure
    server = broker.client(SERVER).connected()
    server.publish(topics.board_state(OFFICE), b"board")
    server.publish(topics.server_status(OFFICE), b"online")
    wanted = [topics.board_state(OFFICE), topics.server_status(OFFICE)]
    assert sorted(t for t, _ in kiosk.wait_for(*wanted)) == sorted(wanted)


def test_will_on_a_foreign_topic_is_never_published(broker: Target) -> None:
    # A will is a publish the broker makes later on the device's behalf: it must obey the same rules.
    # amqtt refuses such a CONNECT; Mosquitto 2.0 accepts it and drops the will: either way, nothing arrives.
    server = broker.client(SERVER).connected()
    assert not server.subscribe(f"motcua/v1/{OFFICE}/#").is_failure
    kiosk = broker.client("kiosk-01")
    if not kiosk.connect(will_topic=topics.server_status(OFFICE)).is_failure:
        kiosk.drop()
    counter = broker.client("counter-03")
    assert not counter.connect(will_topic=topics.device_status(OFFICE, "counter-03")).is_failure
    counter.drop()
    assert server.wait_for(topics.device_status(OFFICE, "counter-03")) == [
        (topics.device_status(OFFICE, "counter-03"), b"gone")
    ]


def test_revoked_device_is_dropped_and_can_no_longer_connect(broker: Target) -> None:
    kiosk = broker.client("kiosk-01").connected()
    counter = broker.client("counter-03").connected()
    broker.revoke("counter-03")
    assert counter.disconnected.wait(TIMEOUT), f"{broker.kind} kept a revoked device connected"
    assert not kiosk.disconnected.is_set()
    # Mosquitto applies SIGHUP asynchronously: wait (bounded) for the refusal instead of sleeping.
    deadline = time.monotonic() + TIMEOUT
    while not broker.client("counter-03").connect().is_failure:
        assert time.monotonic() < deadline, f"{broker.kind} still accepts a revoked device"
    assert not broker.client("kiosk-01").connect().is_failure


@pytest.mark.parametrize("clean", [True, False], ids=["clean-session", "persistent-session"])
def test_a_refused_login_cannot_hijack_a_connected_client_id(broker: Target, clean: bool) -> None:
    server = broker.client(SERVER, client_id="motcua-server-1", clean=clean).connected()
    assert not server.subscribe(topics.all_requests(OFFICE)).is_failure
    intruder = broker.client("kiosk-01", "wrong", client_id="motcua-server-1", clean=clean)
    assert intruder.connect().is_failure
    kiosk = broker.client("kiosk-01").connected()
    kiosk.publish(topics.request(OFFICE, "kiosk-01"), b"still there?")
    assert server.wait_for(topics.request(OFFICE, "kiosk-01")) == [
        (topics.request(OFFICE, "kiosk-01"), b"still there?")
    ]
    assert not server.disconnected.is_set()


# -- checks of one broker's own machinery ----------------------------------------------------------------------
@pytest.mark.mosquitto
def test_mosquitto_drops_a_publish_into_another_office(mosquitto: MosquittoBroker) -> None:
    """A spy allowed to read everything (test-only ACL line) proves the broker, not the filter, dropped it."""
    accounts = [*_accounts(), BrokerAccount("spy", hash_password("spy"))]
    mosquitto.start(accounts, office_id=OFFICE)
    with (mosquitto.directory / "acl").open("a") as acl:
        acl.write("user spy\ntopic read #\n")
    mosquitto.restart()
    with _closing(Target("mosquitto", mosquitto.host, mosquitto.port, lambda _u: None)) as target:
        spy = target.client("spy", "spy").connected()
        assert not spy.subscribe("#").is_failure
        kiosk = target.client("kiosk-01").connected()
        kiosk.publish(topics.request(OTHER_OFFICE, "kiosk-01"), b"denied")
        kiosk.publish(topics.request(OFFICE, "kiosk-01"), b"allowed")
        assert spy.wait_for(topics.request(OFFICE, "kiosk-01")) == [(topics.request(OFFICE, "kiosk-01"), b"allowed")]


def test_embedded_topic_plugin_denies_another_office() -> None:
    """amqtt consults the plugin for every publish, subscribe and delivery: check its verdicts directly."""
    context = BaseContext()
    context.config = MotcuaTopicPlugin.Config(office_id=OFFICE)
    plugin = MotcuaTopicPlugin(context)

    def verdict(user: str | None, topic: str, action: Any) -> bool:
        session = type("S", (), {"username": user})()
        return bool(asyncio.run(plugin.topic_filtering(session=session, topic=topic, action=action)))

    assert verdict("kiosk-01", topics.request(OFFICE, "kiosk-01"), Action.PUBLISH)
    assert not verdict("kiosk-01", topics.request(OTHER_OFFICE, "kiosk-01"), Action.PUBLISH)
    assert not verdict(SERVER, topics.request(OTHER_OFFICE, "kiosk-01"), Action.RECEIVE)
    assert not verdict(SERVER, f"motcua/v1/{OTHER_OFFICE}/#", Action.SUBSCRIBE)
    assert not verdict(None, topics.request(OFFICE, "kiosk-01"), Action.PUBLISH)
    assert verdict("kiosk-01", topics.board_state(OFFICE), Action.RECEIVE)
    assert not verdict("kiosk-01", topics.reply(OFFICE, "counter-03"), Action.RECEIVE)


def test_embedded_broker_rechecks_connected_clients() -> None:
    hashes = {a.username: a.password_hash for a in _accounts()}
    embedded = EmbeddedBroker(office_id=OFFICE, port=0, accounts_provider=lambda: dict(hashes), recheck_interval=0.1)
    with embedded, _closing(Target("embedded", embedded.host, embedded.port, lambda _u: None)) as target:
        counter = target.client("counter-03").connected()
        kiosk = target.client("kiosk-01").connected()
        del hashes["counter-03"]  # what `motcua device revoke` does to the store, from another process
        assert counter.disconnected.wait(TIMEOUT)
        assert not kiosk.disconnected.is_set()


def test_embedded_broker_stop_is_idempotent_and_frees_the_port() -> None:
    port = free_port()
    broker = EmbeddedBroker(office_id=OFFICE, port=port, accounts_provider=dict)
    broker.stop()  # before start: nothing to do
    with broker:
        assert broker.running
    broker.stop()
    assert not broker.running
    with EmbeddedBroker(office_id=OFFICE, port=port, accounts_provider=dict) as again:
        assert again.port == port


def test_embedded_broker_reports_a_port_in_use() -> None:
    with EmbeddedBroker(office_id=OFFICE, port=0, accounts_provider=dict) as first:
        second = EmbeddedBroker(office_id=OFFICE, port=first.port, accounts_provider=dict)
        with pytest.raises(RuntimeError, match="could not start"):
            second.start()
        assert not second.running


def test_embedded_broker_refuses_everyone_when_the_provider_fails() -> None:
    def broken() -> dict[str, str]:
        raise OSError("database down")

    with EmbeddedBroker(office_id=OFFICE, port=0, accounts_provider=broken) as embedded:
        target = Target("embedded", embedded.host, embedded.port, lambda _u: None)
        client = target.client("kiosk-01")
        assert client.connect().is_failure
