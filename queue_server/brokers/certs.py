"""The office's own certificate authority and the broker's server certificate, made by motcua.

An office has no public name and no Internet certificate: motcua creates a CA per office once (its key never
leaves ``data_dir/tls``, mode 0600) and signs the broker's certificate with it for the host names and
addresses the devices use (``[broker] cert_hosts``). Devices hold the CA certificate (``ca.pem``, public) and
verify the broker against it, host name included, so a relay on the LAN can neither read a password nor pose
as the broker. ``ensure_office_certificates`` is idempotent: it keeps what is valid, re-issues the server
certificate when its names changed, it was not signed by this CA, or it expires within ``RENEW_BEFORE``.
``ensure_web_certificate`` does the same for the web's HTTPS certificate behind nginx, from the same CA.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import os
import socket
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from queue_server.atomic_files import write_atomic

logger = logging.getLogger(__name__)

CA_DAYS = 10 * 365
SERVER_DAYS = 825
RENEW_BEFORE = dt.timedelta(days=30)
CA_CERT, CA_KEY, SERVER_CERT, SERVER_KEY = "ca.pem", "ca.key", "server.pem", "server.key"
WEB_CERT, WEB_KEY = "web.pem", "web.key"


@dataclass(frozen=True)
class OfficeCertificates:
    ca_cert: Path
    """Public: what every device needs to verify the broker (``ca_file`` in its config)."""
    ca_key: Path
    server_cert: Path
    server_key: Path


def default_hosts(extra: Sequence[str] = ()) -> list[str]:
    """The names in the server certificate: the configured ones, this machine's name, and loopback."""
    hosts = [*extra, socket.gethostname(), "localhost", "127.0.0.1", "::1"]
    return list(dict.fromkeys(h.strip().lower() for h in hosts if h.strip()))


def ensure_office_certificates(
    directory: Path, office_id: str, hosts: Sequence[str], *, now: dt.datetime | None = None
) -> OfficeCertificates:
    """The office's CA and server certificate in ``directory``, created or renewed as needed."""
    now = now or dt.datetime.now(dt.UTC)
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    files = OfficeCertificates(*(directory / n for n in (CA_CERT, CA_KEY, SERVER_CERT, SERVER_KEY)))
    ca, ca_key = _ensure_ca(files, office_id, now)
    _ensure_leaf(files.server_cert, files.server_key, f"motcua {office_id} broker", ca, ca_key, hosts, now)
    return files


def ensure_web_certificate(
    directory: Path, office_id: str, hosts: Sequence[str], *, now: dt.datetime | None = None
) -> tuple[Path, Path]:
    """The web's HTTPS certificate and key (``web.pem``, ``web.key``), signed by the same office CA.

    A second leaf rather than the broker's: the web's names (what staff type in a browser, what the ticket QR
    code points at) need not be the broker's, and nginx reading a key is no reason to share Mosquitto's. A PC
    or phone that trusts the office's ``ca.pem`` (the file the devices hold) gets a verified page.
    """
    now = now or dt.datetime.now(dt.UTC)
    directory.mkdir(parents=True, exist_ok=True)
    os.chmod(directory, 0o700)
    files = OfficeCertificates(*(directory / n for n in (CA_CERT, CA_KEY, SERVER_CERT, SERVER_KEY)))
    ca, ca_key = _ensure_ca(files, office_id, now)
    cert, key = directory / WEB_CERT, directory / WEB_KEY
    _ensure_leaf(cert, key, f"motcua {office_id} web", ca, ca_key, hosts, now)
    return cert, key


def _ensure_leaf(
    cert_path: Path,
    key_path: Path,
    subject: str,
    ca: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    hosts: Sequence[str],
    now: dt.datetime,
) -> None:
    names = sorted(default_hosts(hosts))
    if not _server_needs_issue(cert_path, ca, names, now, key_path):
        return
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _build(
        subject=subject,
        issuer=ca.subject,
        public_key=key.public_key(),
        signing_key=ca_key,
        now=now,
        days=SERVER_DAYS,
        ca=False,
        names=names,
    )
    write_atomic(key_path, _key_pem(key), mode=0o600)
    write_atomic(cert_path, cert.public_bytes(serialization.Encoding.PEM), mode=0o644)
    logger.info("issued the TLS certificate %s for %s (valid %d days)", cert_path.name, ",".join(names), SERVER_DAYS)


def _ensure_ca(
    files: OfficeCertificates, office_id: str, now: dt.datetime
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    if files.ca_cert.exists() and files.ca_key.exists():
        ca = x509.load_pem_x509_certificate(files.ca_cert.read_bytes())
        key = serialization.load_pem_private_key(files.ca_key.read_bytes(), password=None)
        if isinstance(key, ec.EllipticCurvePrivateKey) and ca.not_valid_after_utc - RENEW_BEFORE > now:
            return ca, key
        logger.warning("the office CA in %s expires soon: made anew; devices need the new ca.pem", files.ca_cert.parent)
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"motcua {office_id} office CA")])
    ca = _build(
        subject=f"motcua {office_id} office CA",
        issuer=name,
        public_key=key.public_key(),
        signing_key=key,
        now=now,
        days=CA_DAYS,
        ca=True,
        names=[],
    )
    write_atomic(files.ca_key, _key_pem(key), mode=0o600)
    write_atomic(files.ca_cert, ca.public_bytes(serialization.Encoding.PEM), mode=0o644)
    files.server_cert.unlink(missing_ok=True)  # signed by the old CA, if any
    logger.info("created the office CA in %s", files.ca_cert.parent)
    return ca, key


def _server_needs_issue(
    path: Path, ca: x509.Certificate, names: list[str], now: dt.datetime, key_path: Path | None = None
) -> bool:
    if not path.exists() or not (key_path or path.with_name(SERVER_KEY)).exists():
        return True
    try:
        cert = x509.load_pem_x509_certificate(path.read_bytes())
        cert.verify_directly_issued_by(ca)
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, TypeError, InvalidSignature, x509.ExtensionNotFound):
        return True
    held = sorted([*san.get_values_for_type(x509.DNSName), *(str(a) for a in san.get_values_for_type(x509.IPAddress))])
    return held != sorted(_normal(n) for n in names) or cert.not_valid_after_utc - RENEW_BEFORE <= now


def _normal(name: str) -> str:
    try:
        return str(ipaddress.ip_address(name))
    except ValueError:
        return name


def _build(
    *,
    subject: str,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    signing_key: ec.EllipticCurvePrivateKey,
    now: dt.datetime,
    days: int,
    ca: bool,
    names: list[str],
) -> x509.Certificate:
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))  # a device's clock a little behind still accepts it
        .not_valid_after(now + dt.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if ca:
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)
        builder = builder.add_extension(usage, critical=True)
    else:
        usage = x509.KeyUsage(True, False, False, False, False, False, False, False, False)
        builder = (
            builder.add_extension(usage, critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.SubjectAlternativeName([_general_name(n) for n in names]), critical=False)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(signing_key.public_key()), critical=False)
        )
    return builder.sign(signing_key, hashes.SHA256())


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
