"""TLS on the office broker: a relay on the LAN reads a device's password from its CONNECT without TLS, and
nothing with it; a device holding another CA refuses the broker. Both brokers, real devices (``DeviceLink``)."""

from __future__ import annotations

import os
import socket
import ssl
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from queue_server.brokers.certs import OfficeCertificates, ensure_office_certificates
from queue_server.brokers.credentials import hash_password, new_password
from queue_server.brokers.embedded import EmbeddedBroker, TlsListener
from queue_server.brokers.mosquitto import BrokerAccount, MosquittoTls, write_mosquitto_config
from queue_server.contract.device_link import DeviceLink
from queue_server.contract.mqtt_client import tls_context
from tests.e2e.hostile_peers import TIMEOUT, Endpoint, Relay, open_socket
from tests.fixtures.mosquitto import MosquittoBroker, free_port

OFFICE = "q1"
PASSWORD = new_password()


@dataclass
class TlsBroker:
    plain: Endpoint
    tls: Endpoint
    certificates: OfficeCertificates


@pytest.fixture(params=[pytest.param("mosquitto", marks=pytest.mark.mosquitto), "embedded"])
def broker(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TlsBroker]:
    certs = ensure_office_certificates(tmp_path / "tls", OFFICE, [])
    accounts = [BrokerAccount("kiosk-01", hash_password(PASSWORD))]
    if request.param == "mosquitto":
        if not Path("/usr/sbin/mosquitto").exists():
            pytest.skip("Debian's mosquitto is not installed")
        tls = MosquittoTls(free_port(), "127.0.0.1", certs.ca_cert, certs.server_cert, certs.server_key)

        def write(directory: Path, port: int, accounts: Sequence[BrokerAccount]) -> Path:
            return write_mosquitto_config(
                directory, office_id=OFFICE, port=port, accounts=accounts, run_as_root=os.geteuid() == 0, tls=tls
            )

        mosq = MosquittoBroker(tmp_path / "mosquitto", writer=write)
        mosq.directory.mkdir()
        mosq.start(accounts, office_id=OFFICE)
        try:
            yield TlsBroker(Endpoint("127.0.0.1", mosq.port), Endpoint("127.0.0.1", tls.port, certs.ca_cert), certs)
        finally:
            mosq.stop()
    else:
        hashes = {a.username: a.password_hash for a in accounts}
        listener = TlsListener("127.0.0.1", 0, certs.server_cert, certs.server_key)
        with EmbeddedBroker(office_id=OFFICE, port=0, accounts_provider=lambda: hashes, tls=listener) as emb:
            assert emb.tls_port is not None
            yield TlsBroker(Endpoint("127.0.0.1", emb.port), Endpoint("127.0.0.1", emb.tls_port, certs.ca_cert), certs)


def _device_through_relay(tmp_path: Path, endpoint: Endpoint) -> bytes:
    relay = Relay((endpoint.host, endpoint.port))
    link = DeviceLink(
        office_id=OFFICE,
        device_id="kiosk-01",
        password=PASSWORD,
        host="127.0.0.1",
        port=relay.port,
        outbox_path=tmp_path / f"outbox-{relay.port}.db",
        ca_file=endpoint.ca_file,
    )
    try:
        with link:
            assert link.wait_connected(TIMEOUT), "the device did not connect through the relay"
    finally:
        relay.close()
    return bytes(relay.captured)


def test_a_relay_reads_the_password_without_tls_and_nothing_with_it(broker: TlsBroker, tmp_path: Path) -> None:
    clear = _device_through_relay(tmp_path, broker.plain)
    assert PASSWORD.encode() in clear and b"kiosk-01" in clear
    encrypted = _device_through_relay(tmp_path, broker.tls)
    assert len(encrypted) > 100, "the relay saw nothing: the test proves nothing"
    assert PASSWORD.encode() not in encrypted and b"kiosk-01" not in encrypted


def test_a_device_with_another_ca_refuses_the_broker(broker: TlsBroker, tmp_path: Path) -> None:
    other = ensure_office_certificates(tmp_path / "other-office", "q2", [])
    with pytest.raises(ssl.SSLCertVerificationError):
        open_socket(Endpoint(broker.tls.host, broker.tls.port, other.ca_cert)).close()


def test_the_broker_certificate_names_the_host_the_device_uses(broker: TlsBroker) -> None:
    context = tls_context(broker.certificates.ca_cert)
    assert context.check_hostname and context.minimum_version >= ssl.TLSVersion.TLSv1_2
    for name in ("127.0.0.1", "localhost"):
        with open_socket(Endpoint(name, broker.tls.port, broker.certificates.ca_cert)) as sock:
            assert isinstance(sock, ssl.SSLSocket) and sock.version() in ("TLSv1.2", "TLSv1.3")
    with (
        socket.create_connection(("127.0.0.1", broker.tls.port), timeout=TIMEOUT) as raw,
        pytest.raises(ssl.SSLCertVerificationError, match="match"),
    ):
        context.wrap_socket(raw, server_hostname="kiosk.example.vn")
