"""Configuration for an office's Mosquitto 2.0 broker, generated from the contract's access rules.

Each office runs its own broker, so the office id is written literally into the ACL: a device of office A can
never be granted anything under office B's tree, even by a typo in a pattern. Device-specific rules use
Mosquitto's ``%u`` (username) substitution, so adding or revoking a device only rewrites ``passwd``; the ACL
stays the same and both are re-read on SIGHUP (:func:`reload_mosquitto`), without dropping connected clients.

Every motcua Mosquitto (office and province) binds the client id to the username (``use_username_as_clientid``),
caps the packet size (``contract.limits.MAX_PACKET_BYTES``) and, with ``tls``, listens with the office's
certificate (:mod:`.certs`); the plain listener is meant for loopback (the server) unless the operator chose
otherwise. ``include_mode`` writes a file for Debian's ``/etc/mosquitto/conf.d/``: without the persistence, log
and pid lines that Debian's main ``mosquitto.conf`` already sets (Mosquitto refuses them twice).
"""

from __future__ import annotations

import logging
import os
import signal
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from queue_server.atomic_files import write_atomic
from queue_server.brokers.credentials import is_password_hash
from queue_server.contract import topics
from queue_server.contract.limits import MAX_PACKET_BYTES

logger = logging.getLogger(__name__)

CONFIG_NAME = "mosquitto.conf"
INCLUDE_NAME = "motcua.conf"
"""The config's name in include mode: Debian's ``include_dir /etc/mosquitto/conf.d`` reads ``*.conf`` files."""
PASSWD_NAME = "passwd"
ACL_NAME = "acl"
PERSISTENCE_DIR = "data"
USERNAME_AS_CLIENT_ID = "use_username_as_clientid true"
TLS_FILES = {"cafile": "tls-ca.pem", "certfile": "tls-server.pem", "keyfile": "tls-server.key"}
"""Copies of the office's certificate files in the Mosquitto folder, which the ``mosquitto`` user can read."""


@dataclass(frozen=True)
class MosquittoTls:
    """A TLS listener: where it binds, and the office's CA, server certificate and key (copied beside the config)."""

    port: int
    bind: str
    cafile: Path
    certfile: Path
    keyfile: Path


@dataclass(frozen=True)
class BrokerAccount:
    """One login on the broker: a device id (or ``motcua-server``) and its ``$7$`` password hash."""

    username: str
    password_hash: str


def write_mosquitto_config(
    directory: Path,
    *,
    office_id: str,
    port: int,
    accounts: Sequence[BrokerAccount],
    bind: str = "127.0.0.1",
    persistence: bool = True,
    run_as_root: bool = False,
    extra_lines: Sequence[str] = (),
    tls: MosquittoTls | None = None,
    include_mode: bool = False,
    pid_file: Path | None = None,
    group: str | None = None,
) -> Path:
    """Write ``mosquitto.conf``, ``passwd`` and ``acl`` into ``directory``; return the config's path.

    Files are replaced atomically, so a broker reloading (SIGHUP) mid-write never sees half a password file.
    ``run_as_root`` keeps Mosquitto from dropping privileges to the ``mosquitto`` user, which could not read
    files in a root-owned temporary directory (tests run as root in containers). ``extra_lines`` go at the end
    of the file: a bridge section (``queue_server.brokers.bridge``) must come after every global option.
    """
    if not topics.valid_id(office_id):
        raise ValueError(f"invalid office id {office_id!r}")
    return write_broker_config(
        directory,
        title=f"office {office_id}",
        port=port,
        accounts=accounts,
        acl_text=render_acl(office_id),
        bind=bind,
        persistence=persistence,
        run_as_root=run_as_root,
        extra_lines=extra_lines,
        tls=tls,
        include_mode=include_mode,
        pid_file=pid_file,
        group=group,
    )


def write_broker_config(
    directory: Path,
    *,
    title: str,
    port: int,
    accounts: Sequence[BrokerAccount],
    acl_text: str,
    bind: str = "127.0.0.1",
    persistence: bool = True,
    run_as_root: bool = False,
    extra_lines: Sequence[str] = (),
    tls: MosquittoTls | None = None,
    include_mode: bool = False,
    pid_file: Path | None = None,
    group: str | None = None,
) -> Path:
    """The configuration any motcua Mosquitto shares (office or province broker); only the ACL differs.

    ``group``: files are made 0640 and given to that group (``mosquitto`` on Debian, whose broker drops root
    before reading the password and ACL files); else 0600 (a broker running as the files' owner).
    """
    if not 0 < port < 65536:
        raise ValueError(f"invalid port {port}")
    directory.mkdir(parents=True, exist_ok=True)
    directory = directory.resolve()
    gid = _group_id(group)
    private = 0o600 if gid is None else 0o640
    passwd_path = write_password_file(directory / PASSWD_NAME, accounts, gid=gid)
    acl_path = directory / ACL_NAME
    write_atomic(acl_path, acl_text, mode=private, gid=gid)

    lines = [
        f"# motcua: generated for {title}; regenerate rather than edit.",
        "per_listener_settings false",
        "allow_anonymous false",
        f"password_file {passwd_path}",
        f"acl_file {acl_path}",
        f"listener {port} {bind}",
        # Identity is the username: no account can take (kick) another's connection or resume its session.
        # A listener option in Mosquitto 2.0 (per_listener_settings false or not): repeated after each listener.
        USERNAME_AS_CLIENT_ID,
        # Refused (and the connection closed) as soon as the fixed header announces more: contract/limits.py.
        f"max_packet_size {MAX_PACKET_BYTES}",
    ]
    if tls is not None:
        lines += _tls_lines(directory, tls, gid)
    if not include_mode:
        lines += ["log_dest stderr", "log_timestamp_format %Y-%m-%dT%H:%M:%S"]
    lines += [
        # Mosquitto's default keeps only 1,000 queued messages per client and drops the rest: a morning rush
        # while the server restarts, or its replies to a busy kiosk, must not be cut there.
        "max_queued_messages 100000",
        "max_inflight_messages 100",
        # Request/reply packets are small: without this, Nagle + delayed ACK add ~40 ms per hop.
        "set_tcp_nodelay true",
    ]
    if include_mode:
        pass  # Debian's mosquitto.conf sets persistence, its location, the log and the pid file
    elif persistence:
        data_dir = directory / PERSISTENCE_DIR
        data_dir.mkdir(mode=0o700, exist_ok=True)
        # Mosquitto concatenates the location and file name, so the trailing slash matters.
        lines += ["persistence true", f"persistence_location {data_dir}/"]
    else:
        lines.append("persistence false")
    if pid_file is not None and not include_mode:
        lines.append(f"pid_file {pid_file}")
    if run_as_root:
        lines.append("user root")
    lines += extra_lines
    config_path = directory / (INCLUDE_NAME if include_mode else CONFIG_NAME)
    write_atomic(config_path, "\n".join(lines) + "\n", mode=private, gid=gid)
    logger.debug("wrote mosquitto config for %s in %s", title, directory)
    return config_path


def _tls_lines(directory: Path, tls: MosquittoTls, gid: int | None) -> list[str]:
    """The TLS listener; the certificate files are copied beside the config (the key stays 0600)."""
    if not 0 < tls.port < 65536:
        raise ValueError(f"invalid TLS port {tls.port}")
    copies = {}
    for option, name in TLS_FILES.items():
        source: Path = getattr(tls, option)
        copies[option] = directory / name
        mode = (0o600 if gid is None else 0o640) if option == "keyfile" else 0o644
        write_atomic(copies[option], source.read_text(encoding="ascii"), mode=mode, gid=gid)
    return [
        f"listener {tls.port} {tls.bind}",
        USERNAME_AS_CLIENT_ID,
        f"cafile {copies['cafile']}",
        f"certfile {copies['certfile']}",
        f"keyfile {copies['keyfile']}",
        "tls_version tlsv1.2",
    ]


def write_password_file(path: Path, accounts: Sequence[BrokerAccount], *, gid: int | None = None) -> Path:
    """Write only the ``passwd`` file: what ``motcua device add/revoke`` changes before a reload."""
    seen: set[str] = set()
    lines = []
    for account in accounts:
        if account.username != topics.SERVER_USERNAME and not topics.valid_id(account.username):
            raise ValueError(f"invalid broker username {account.username!r}")
        if account.username in seen:
            raise ValueError(f"duplicate broker username {account.username!r}")
        if not is_password_hash(account.password_hash):
            raise ValueError(f"password of {account.username!r} is not a $7$ hash")
        seen.add(account.username)
        lines.append(f"{account.username}:{account.password_hash}\n")
    write_atomic(path, "".join(lines), mode=0o600 if gid is None else 0o640, gid=gid)
    return path


def render_acl(office_id: str) -> str:
    """The ACL file text: the server owns its office's tree; devices get their own ``%u`` topics."""
    out = [f"# motcua ACL for office {office_id}", "", f"user {topics.SERVER_USERNAME}"]
    out += [f"topic readwrite {p}" for p in topics.server_patterns(office_id)]
    out += ["", f"user {topics.REPLAYER_USERNAME}"]
    out += [f"topic write {t}" for t in topics.replayer_publish_topics(office_id)]
    out += [f"topic read {t}" for t in topics.replayer_read_topics(office_id)]
    out += ["", f"user {topics.MONITOR_USERNAME}"]
    out += [f"topic read {p}" for p in topics.server_patterns(office_id)]
    # pattern lines apply to every user, whatever "user" line precedes them. Mosquitto warns at startup about
    # the ones without %u (state/#, server/status): harmless, they are meant for every device.
    out += ["", "# every device, %u = its username (= device id)"]
    out += [f"pattern write {p}" for p in topics.device_publish_patterns(office_id)]
    out += [f"pattern read {p}" for p in topics.device_read_patterns(office_id)]
    return "\n".join(out) + "\n"


def reload_mosquitto(pid: int) -> None:
    """Ask a running Mosquitto to re-read its password and ACL files (SIGHUP).

    Mosquitto 2.0 re-reads both files and disconnects clients whose credentials are gone (checked in the ACL tests).
    """
    os.kill(pid, signal.SIGHUP)
    logger.info("sent SIGHUP to mosquitto pid %d", pid)


def _group_id(group: str | None) -> int | None:
    if group is None:
        return None
    import grp

    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise ValueError(f"no group {group!r} on this machine (is Debian's mosquitto installed?)") from None
