"""The office CA and the broker certificate: made once, kept while valid, re-issued when names change or
expiry nears; keys readable by the owner only."""

from __future__ import annotations

import datetime as dt
import ipaddress
import stat
from pathlib import Path

from cryptography import x509

from queue_server.brokers.certs import RENEW_BEFORE, SERVER_DAYS, ensure_office_certificates, ensure_web_certificate


def _names(path: Path) -> set[str]:
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return {*san.get_values_for_type(x509.DNSName), *(str(a) for a in san.get_values_for_type(x509.IPAddress))}


def test_made_once_then_kept(tmp_path: Path) -> None:
    first = ensure_office_certificates(tmp_path / "tls", "q1", ["may-chu.local", "192.168.1.10"])
    ca, server = first.ca_cert.read_bytes(), first.server_cert.read_bytes()
    again = ensure_office_certificates(tmp_path / "tls", "q1", ["may-chu.local", "192.168.1.10"])
    assert again.ca_cert.read_bytes() == ca and again.server_cert.read_bytes() == server
    assert {"may-chu.local", "192.168.1.10", "localhost", "127.0.0.1", "::1"} <= _names(first.server_cert)
    for key in (first.ca_key, first.server_key):
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "tls").stat().st_mode) == 0o700
    cert = x509.load_pem_x509_certificate(server)
    cert.verify_directly_issued_by(x509.load_pem_x509_certificate(ca))
    assert ipaddress.ip_address("192.168.1.10") in _ips(cert)


def _ips(cert: x509.Certificate) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    return list(san.get_values_for_type(x509.IPAddress))  # type: ignore[arg-type]


def test_new_names_reissue_the_server_certificate_under_the_same_ca(tmp_path: Path) -> None:
    first = ensure_office_certificates(tmp_path, "q1", ["a.local"])
    ca = first.ca_cert.read_bytes()
    second = ensure_office_certificates(tmp_path, "q1", ["b.local"])
    assert second.ca_cert.read_bytes() == ca
    assert "b.local" in _names(second.server_cert) and "a.local" not in _names(second.server_cert)


def test_renewed_when_expiry_nears(tmp_path: Path) -> None:
    first = ensure_office_certificates(tmp_path, "q1", [])
    old = first.server_cert.read_bytes()
    later = dt.datetime.now(dt.UTC) + dt.timedelta(days=SERVER_DAYS) - RENEW_BEFORE + dt.timedelta(days=1)
    renewed = ensure_office_certificates(tmp_path, "q1", [], now=later)
    assert renewed.server_cert.read_bytes() != old
    cert = x509.load_pem_x509_certificate(renewed.server_cert.read_bytes())
    assert cert.not_valid_after_utc > later + dt.timedelta(days=SERVER_DAYS - 1)


def test_the_web_certificate_is_a_second_leaf_of_the_same_ca(tmp_path: Path) -> None:
    broker = ensure_office_certificates(tmp_path / "tls", "q1", ["192.168.1.10"])
    broker_pem = broker.server_cert.read_bytes()
    cert, key = ensure_web_certificate(tmp_path / "tls", "q1", ["motcua.lan"])
    assert (cert.name, key.name) == ("web.pem", "web.key") and stat.S_IMODE(key.stat().st_mode) == 0o600
    issued = x509.load_pem_x509_certificate(cert.read_bytes())
    issued.verify_directly_issued_by(x509.load_pem_x509_certificate(broker.ca_cert.read_bytes()))
    assert "motcua.lan" in _names(cert) and "192.168.1.10" not in _names(cert)
    assert broker.server_cert.read_bytes() == broker_pem  # the broker's certificate is left alone
    web_pem = cert.read_bytes()
    assert ensure_web_certificate(tmp_path / "tls", "q1", ["motcua.lan"])[0].read_bytes() == web_pem
    assert "phong-mot-cua.lan" in _names(ensure_web_certificate(tmp_path / "tls", "q1", ["phong-mot-cua.lan"])[0])
