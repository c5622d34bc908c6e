"""The office → province Mosquitto bridge: the office broker's bridge section and the province broker's files.

Each office's Mosquitto opens one bridge connection to the province broker, logging in with the office's own
account there (username = office id, password from the province). The bridge carries the office's committed
events out (QoS 1, ``cleansession false``, queued on disk by the office broker while the province is away) and
brings the province's gap-fill requests in; see docs/province.md.

On the province broker the ACL is made of ``%u`` patterns only, so an office's bridge can publish nothing but
its own office's event topics, and adding an office only rewrites ``passwd``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from queue_server.brokers.mosquitto import BrokerAccount, MosquittoTls, write_broker_config
from queue_server.contract import topics

PROVINCE_USERNAME = "motcua-province"
"""The province ingest's account on the province broker (never a valid office id there)."""


@dataclass(frozen=True)
class BridgeTls:
    """TLS for the bridge over the Internet: the province broker's CA, and optionally a client certificate."""

    cafile: Path
    certfile: Path | None = None
    keyfile: Path | None = None
    tls_version: str = "tlsv1.2"


@dataclass(frozen=True)
class ProvinceBridge:
    """Where an office's broker sends its events: the province broker and the office's account on it."""

    office_id: str
    host: str
    port: int
    password: str
    """The office's bridge password on the province broker, in clear: Mosquitto must send it (conf is 0600)."""
    tls: BridgeTls | None = None
    restart_timeout: tuple[int, int] = (5, 30)
    """Reconnect back-off (base, cap) in seconds after the province broker was unreachable."""
    keepalive: int = 60

    def client_id(self) -> str:
        """The client id the bridge asks for; motcua's province broker replaces it by the username (the office
        id), which is as fixed, so the persistent session survives restarts either way."""
        return f"motcua-bridge-{self.office_id}"


def bridge_lines(bridge: ProvinceBridge) -> list[str]:
    """The ``connection`` section for the office's ``mosquitto.conf`` (pass as ``extra_lines``: it goes last)."""
    office = bridge.office_id
    if not topics.valid_id(office) or office == PROVINCE_USERNAME:
        raise ValueError(f"invalid office id {office!r}")
    if not bridge.password or any(c.isspace() for c in bridge.password):
        raise ValueError("the bridge password must be non-empty and without spaces")
    if not 0 < bridge.port < 65536 or not bridge.host or any(c.isspace() for c in bridge.host):
        raise ValueError(f"invalid province broker address {bridge.host!r}:{bridge.port}")
    base, cap = bridge.restart_timeout
    lines = [
        "",
        "# Bridge to the province broker: events out, gap-fill requests in (docs/province.md).",
        f"connection province-{office}",
        f"address {bridge.host}:{bridge.port}",
        f"remote_clientid {bridge.client_id()}",
        f"remote_username {office}",
        f"remote_password {bridge.password}",
        "bridge_protocol_version mqttv311",
        # A persistent session on both sides: QoS 1 messages wait in the office broker while the province is
        # unreachable, and the province keeps the bridge's subscription to gap-fill requests.
        "cleansession false",
        "start_type automatic",
        f"restart_timeout {base} {cap}",
        f"keepalive_interval {bridge.keepalive}",
        "try_private true",
        # Retained "1"/"0" on both brokers (the "0" is the bridge's last will): the province asks for a resend
        # whenever an office's bridge comes (back) up.
        "notifications true",
        f"notification_topic {topics.bridge_state(office)}",
        f"topic {topics.event_stream(office)} out 1",
        f"topic {topics.replay_report(office)} out 1",
        f"topic {topics.resend_request(office)} in 1",
    ]
    if bridge.tls is not None:
        lines += [f"bridge_cafile {bridge.tls.cafile}", f"bridge_tls_version {bridge.tls.tls_version}"]
        if bridge.tls.certfile is not None:
            lines.append(f"bridge_certfile {bridge.tls.certfile}")
        if bridge.tls.keyfile is not None:
            lines.append(f"bridge_keyfile {bridge.tls.keyfile}")
    return lines


def render_province_acl() -> str:
    """The province broker's ACL: the ingest reads every office's events; a bridge writes only its own."""
    out = [
        "# motcua ACL for the province broker",
        "",
        f"user {PROVINCE_USERNAME}",
        f"topic read {topics.event_stream('+')}",
        f"topic read {topics.replay_report('+')}",
        f"topic read {topics.bridge_state('+')}",
        f"topic write {topics.resend_request('+')}",
        "",
        "# every office's bridge, %u = its username (= office id)",
        f"pattern write {topics.event_stream('%u')}",
        f"pattern write {topics.replay_report('%u')}",
        f"pattern write {topics.bridge_state('%u')}",
        f"pattern read {topics.resend_request('%u')}",
    ]
    return "\n".join(out) + "\n"


def write_province_config(
    directory: Path,
    *,
    port: int,
    office_accounts: Sequence[BrokerAccount],
    ingest_password_hash: str,
    bind: str = "127.0.0.1",
    persistence: bool = True,
    run_as_root: bool = False,
    tls: MosquittoTls | None = None,
) -> Path:
    """Write the province broker's ``mosquitto.conf``, ``passwd`` and ``acl``; return the config's path.

    ``tls``: a TLS listener for bridges crossing the Internet (``BridgeTls`` on the office side); the client id
    is the username on it too, so an office's bridge can never take the ingest's connection.

    ``office_accounts`` are the offices' bridge logins (username = office id); the ingest logs in as
    ``motcua-province``. Persistence keeps the ingest's queued events across a province broker restart.
    """
    for account in office_accounts:
        if account.username == PROVINCE_USERNAME or not topics.valid_id(account.username):
            raise ValueError(f"invalid office id {account.username!r} for a bridge account")
    accounts = [*office_accounts, BrokerAccount(PROVINCE_USERNAME, ingest_password_hash)]
    return write_broker_config(
        directory,
        title="the province broker",
        port=port,
        accounts=accounts,
        acl_text=render_province_acl(),
        bind=bind,
        persistence=persistence,
        run_as_root=run_as_root,
        tls=tls,
    )
