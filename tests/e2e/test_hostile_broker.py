"""A kiosk in a public hall is a hostile device: its credentials against both brokers, plain and over TLS.

The broker-level cases run a real broker (Mosquitto, or the embedded amqtt broker in this process) with a fake
server account; the office-level cases run the whole office (server process, real broker) and check that the
server keeps answering an honest kiosk while the attacker tries. Denials are silent in MQTT 3.1.1, so every
"nothing arrived" waits for a marker published after the attack on the same path.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from queue_server.bench.office import OfficeUnderTest
from queue_server.brokers.certs import ensure_office_certificates
from queue_server.brokers.credentials import hash_password, new_password
from queue_server.brokers.embedded import EmbeddedBroker, TlsListener
from queue_server.brokers.mosquitto import BrokerAccount, MosquittoTls, write_mosquitto_config
from queue_server.contract import topics
from queue_server.contract.limits import MAX_PACKET_BYTES
from queue_server.provisioning import revoke_device
from tests.e2e.hostile_peers import (
    TIMEOUT,
    Endpoint,
    Peer,
    closed_by_peer,
    open_socket,
    publish_header,
    raw_login,
    reset_peak_rss,
    rss_kib,
    send_oversized,
)
from tests.fixtures.mosquitto import MosquittoBroker, free_port

OFFICE = "q1"
SERVER = topics.SERVER_USERNAME
PASSWORDS = {"kiosk-a": new_password(), "kiosk-b": new_password(), SERVER: new_password()}
MB = 1024 * 1024
KINDS = [
    pytest.param(("mosquitto", False), marks=pytest.mark.mosquitto, id="mosquitto"),
    pytest.param(("mosquitto", True), marks=pytest.mark.mosquitto, id="mosquitto-tls"),
    pytest.param(("embedded", False), id="embedded"),
    pytest.param(("embedded", True), id="embedded-tls"),
]


@dataclass
class Broker:
    kind: str
    endpoint: Endpoint
    pid: int
    peers: list[Peer]

    def peer(self, username: str, **kwargs: object) -> Peer:
        peer = Peer(self.endpoint, username, PASSWORDS[username], **kwargs)  # type: ignore[arg-type]
        self.peers.append(peer)
        return peer


def _mosquitto_writer(tls: MosquittoTls | None) -> Callable[[Path, int, Sequence[BrokerAccount]], Path]:
    def write(directory: Path, port: int, accounts: Sequence[BrokerAccount]) -> Path:
        return write_mosquitto_config(
            directory, office_id=OFFICE, port=port, accounts=accounts, run_as_root=os.geteuid() == 0, tls=tls
        )

    return write


@contextlib.contextmanager
def _closing(peers: list[Peer]) -> Iterator[list[Peer]]:
    """Close the test's clients before the broker stops (else the broker waits for them on its way out)."""
    try:
        yield peers
    finally:
        for peer in peers:
            peer.close()


@pytest.fixture(params=KINDS)
def broker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Broker]:
    kind, use_tls = request.param
    certificates = ensure_office_certificates(tmp_path / "tls", OFFICE, []) if use_tls else None
    ca = certificates.ca_cert if certificates else None
    accounts = [BrokerAccount(u, hash_password(p)) for u, p in PASSWORDS.items()]
    if kind == "mosquitto":
        if not Path("/usr/sbin/mosquitto").exists():
            pytest.skip("Debian's mosquitto is not installed")
        tls = None
        if certificates is not None:
            cert, key = certificates.server_cert, certificates.server_key
            tls = MosquittoTls(free_port(), "127.0.0.1", certificates.ca_cert, cert, key)
        mosq = MosquittoBroker(tmp_path / "mosquitto", writer=_mosquitto_writer(tls))
        mosq.directory.mkdir()
        mosq.start(accounts, office_id=OFFICE)
        try:
            assert mosq.pid is not None
            port = tls.port if tls is not None else mosq.port
            with _closing([]) as peers:
                yield Broker(kind, Endpoint("127.0.0.1", port, ca), mosq.pid, peers)
        finally:
            mosq.stop()
    else:
        listener = None
        if certificates is not None:
            listener = TlsListener("127.0.0.1", 0, certificates.server_cert, certificates.server_key)
        hashes = {a.username: a.password_hash for a in accounts}
        with EmbeddedBroker(office_id=OFFICE, port=0, accounts_provider=lambda: hashes, tls=listener) as emb:
            port = emb.tls_port if listener is not None and emb.tls_port else emb.port
            with _closing([]) as peers:
                yield Broker(kind, Endpoint("127.0.0.1", port, ca), os.getpid(), peers)


def test_another_account_cannot_resume_a_persistent_session(broker: Broker) -> None:
    victim = broker.peer("kiosk-b", client_id="kiosk-b", clean=False).connect()
    victim.subscribe(topics.reply(OFFICE, "kiosk-b"))
    victim.close()
    server = broker.peer(SERVER).connect()
    server.publish(topics.reply(OFFICE, "kiosk-b"), b"secret reply")  # queued for the offline victim

    thief = broker.peer("kiosk-a", client_id="kiosk-b", clean=False).connect()
    thief.subscribe(topics.reply(OFFICE, "kiosk-a"))
    server.publish(topics.reply(OFFICE, "kiosk-a"), b"marker")
    assert [m[1] for m in thief.until(topics.reply(OFFICE, "kiosk-a"))] == [b"marker"]

    back = broker.peer("kiosk-b", client_id="anything", clean=False).connect()  # its own session, any client id
    assert back.until(topics.reply(OFFICE, "kiosk-b"))[-1][1] == b"secret reply"


def test_a_second_connection_of_an_account_really_closes_the_first(broker: Broker) -> None:
    first = broker.peer("kiosk-a", client_id="one", stay_down=True).connect()
    first.subscribe(topics.reply(OFFICE, "kiosk-a"))
    second = broker.peer("kiosk-a", client_id="two").connect()
    assert first.disconnected.wait(TIMEOUT), f"{broker.kind} left the first connection open (a zombie)"
    second.subscribe(topics.reply(OFFICE, "kiosk-a"))
    server = broker.peer(SERVER).connect()
    server.publish(topics.reply(OFFICE, "kiosk-a"), b"to the new one")
    assert second.until(topics.reply(OFFICE, "kiosk-a"))[-1][1] == b"to the new one"


def test_a_kiosk_cannot_take_the_servers_client_id(broker: Broker) -> None:
    server = broker.peer(SERVER, client_id=SERVER, stay_down=True).connect()
    server.subscribe(topics.all_requests(OFFICE))
    for client_id in (SERVER, f"motcua-server-{OFFICE}", "kiosk-b"):
        attacker = broker.peer("kiosk-a", client_id=client_id).connect()
        attacker.publish(topics.device_status(OFFICE, "kiosk-a"), b"forged", retain=True)
        attacker.close()
    honest = broker.peer("kiosk-b").connect()
    honest.publish(topics.request(OFFICE, "kiosk-b"), b"still answered?")
    assert server.until(topics.request(OFFICE, "kiosk-b"))[-1][1] == b"still answered?"
    assert not server.disconnected.is_set(), f"{broker.kind} let a kiosk kick the server"


def test_an_oversized_packet_is_refused_before_it_is_read(broker: Broker) -> None:
    server = broker.peer(SERVER).connect()
    server.subscribe(topics.all_device_statuses(OFFICE))
    baseline = rss_kib(broker.pid, "VmRSS")
    peak_reset = reset_peak_rss(broker.pid)
    for _ in range(2):
        sock = raw_login(broker.endpoint, "kiosk-a", PASSWORDS["kiosk-a"])
        header = publish_header(topics.device_status(OFFICE, "kiosk-a"), 100 * MB, retain=True)
        sent = send_oversized(sock, header, 100 * MB)
        assert closed_by_peer(sock), f"{broker.kind} kept reading a 100 MB packet"
        sock.close()
        assert sent < 100 * MB, "the whole 100 MB went through"
    # before login too: a CONNECT announcing 100 MB
    sock = open_socket(broker.endpoint)
    send_oversized(sock, b"\x10" + bytes([0xFF, 0xFF, 0xFF, 0x7F]), 10 * MB)
    assert closed_by_peer(sock)
    sock.close()
    grown = rss_kib(broker.pid, "VmHWM" if peak_reset else "VmRSS") - baseline
    assert grown < 50 * 1024, f"{broker.kind} grew by {grown} KiB"
    # nothing retained from it, and the broker serves the next message as usual
    honest = broker.peer("kiosk-b").connect()
    honest.publish(topics.device_status(OFFICE, "kiosk-b"), b"x" * (MAX_PACKET_BYTES // 2))
    received = server.until(topics.device_status(OFFICE, "kiosk-b"))
    assert all(len(payload) < MB for _, payload, _ in received)


def test_retained_forgeries_are_not_stored(broker: Broker) -> None:
    honest = broker.peer("kiosk-b").connect()
    honest.publish(topics.device_status(OFFICE, "kiosk-b"), b"honest", retain=True)
    attacker = broker.peer("kiosk-a").connect()
    forged = [
        topics.board_state(OFFICE),
        topics.counter_state(OFFICE, "quay-1"),
        topics.server_status(OFFICE),
        topics.device_status(OFFICE, "kiosk-b"),
        topics.reply(OFFICE, "kiosk-b"),
        topics.event_stream(OFFICE),
        topics.device_status("q2", "kiosk-a"),
    ]
    for topic in forged:
        attacker.publish(topic, b"forged", retain=True)
    server = broker.peer(SERVER).connect()
    server.publish(topics.waiting_state(OFFICE), b"marker", retain=True)

    reader = broker.peer(SERVER, client_id="later").connect()  # connects after: sees only what was retained
    reader.subscribe(f"motcua/v1/{OFFICE}/state/#", topics.server_status(OFFICE), topics.all_device_statuses(OFFICE))
    seen = reader.until(topics.waiting_state(OFFICE), b"marker")
    assert all(payload != b"forged" for _, payload, _ in seen), seen
    statuses = {t: p for t, p, _ in seen if t.endswith("/status")}
    assert statuses.get(topics.device_status(OFFICE, "kiosk-b"), b"honest") == b"honest"


def test_wildcard_subscriptions_receive_nothing_of_others(broker: Broker) -> None:
    attacker = broker.peer("kiosk-a").connect()
    attacker.subscribe(
        "#",
        "motcua/#",
        f"motcua/v1/{OFFICE}/dev/+/res",
        f"motcua/v1/{OFFICE}/dev/#",
        "+/+/+/+/+/+",
        "$SYS/#",
        "motcua/v1/+/state/#",
        topics.reply(OFFICE, "kiosk-a"),
    )
    server = broker.peer(SERVER).connect()
    victim = broker.peer("kiosk-b").connect()
    victim.publish(topics.request(OFFICE, "kiosk-b"), b"victim request")
    victim.publish(topics.device_status(OFFICE, "kiosk-b"), b"victim status")
    server.publish(topics.reply(OFFICE, "kiosk-b"), b"victim reply")
    server.publish(topics.event_stream(OFFICE), b"event")
    server.publish(topics.reply(OFFICE, "kiosk-a"), b"marker")
    seen = attacker.until(topics.reply(OFFICE, "kiosk-a"), b"marker")
    allowed = {topics.reply(OFFICE, "kiosk-a"), topics.server_status(OFFICE)}
    assert [m for m in seen if m[0] not in allowed and "/state/" not in m[0]] == []


# -- the whole office: the server keeps answering ---------------------------------------------------------------
@pytest.fixture(params=KINDS)
def office(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[OfficeUnderTest, Endpoint]]:
    kind, use_tls = request.param
    port, tls_port = free_port(), free_port() if use_tls else None
    office = OfficeUnderTest(tmp_path / "office", port=port, broker_kind=kind, tls_port=tls_port)
    office.provision({"kiosk-a": ("kiosk", None), "kiosk-b": ("kiosk", None)})
    ca = office.certificates().ca_cert if use_tls else None
    endpoint = Endpoint("127.0.0.1", tls_port or port, ca)
    mosq = None
    if kind == "mosquitto":
        if not Path("/usr/sbin/mosquitto").exists():
            pytest.skip("Debian's mosquitto is not installed")
        tls = None
        if use_tls and tls_port:
            certs = office.certificates()
            tls = MosquittoTls(tls_port, "127.0.0.1", certs.ca_cert, certs.server_cert, certs.server_key)

        def write(directory: Path, p: int, accounts: Sequence[BrokerAccount]) -> Path:
            return write_mosquitto_config(
                directory,
                office_id=office.office_id,
                port=p,
                accounts=accounts,
                run_as_root=os.geteuid() == 0,
                tls=tls,
            )

        mosq = MosquittoBroker(tmp_path / "mosquitto", writer=write)
        mosq.directory.mkdir()
        mosq.start_on(port, office.accounts(), office_id=office.office_id)
    office.start_server()
    try:
        yield office, endpoint
    finally:
        office.stop_server()
        if mosq is not None:
            mosq.stop()


def _attacker(office: OfficeUnderTest, endpoint: Endpoint, client_id: str) -> Peer:
    return Peer(endpoint, "kiosk-a", office.passwords["kiosk-a"], client_id=client_id).connect()


def test_the_server_keeps_answering_while_a_kiosk_reuses_its_client_id(
    office: tuple[OfficeUnderTest, Endpoint],
) -> None:
    under_test, endpoint = office
    server_ids = (topics.SERVER_USERNAME, f"motcua-server-{under_test.office_id}", topics.REPLAYER_USERNAME)
    for client_id in server_ids * 2:
        attacker = _attacker(under_test, endpoint, client_id)
        attacker.publish(topics.device_status(under_test.office_id, "kiosk-a"), b'{"v":1,"online":true}', retain=True)
        attacker.close()
    with under_test.link("kiosk-b", tls=endpoint.ca_file is not None) as honest:
        assert honest.wait_connected(TIMEOUT)
        reply = honest.request("issue_ticket", {"service_id": "ho-tich"}, timeout=5)
    assert reply is not None and reply["ok"], reply
    assert "lost the broker" not in under_test.log_tail(200), "the server was kicked off the broker"


def test_a_device_stays_served_while_another_reuses_its_client_id(office: tuple[OfficeUnderTest, Endpoint]) -> None:
    under_test, endpoint = office
    tls = endpoint.ca_file is not None
    with under_test.link("kiosk-b", tls=tls) as victim:
        assert victim.wait_connected(TIMEOUT)
        attackers = [_attacker(under_test, endpoint, cid) for cid in ("kiosk-b", f"{under_test.office_id}-kiosk-b")]
        reply = victim.request("issue_ticket", {"service_id": "ho-tich"}, timeout=5)
        assert reply is not None and reply["ok"], reply
        assert victim.connected
        for attacker in attackers:
            attacker.close()


@pytest.mark.parametrize("office", [KINDS[2]], indirect=True)
def test_a_revoked_device_is_dropped_by_the_embedded_broker_at_once(office: tuple[OfficeUnderTest, Endpoint]) -> None:
    under_test, endpoint = office
    kiosk = Peer(endpoint, "kiosk-a", under_test.passwords["kiosk-a"], stay_down=True).connect()
    revoke_device(under_test.settings, "kiosk-a")  # another process than the server, as `motcua device revoke`
    assert kiosk.disconnected.wait(TIMEOUT), "the revoked kiosk stayed connected"
    kiosk.close()
