"""The config file ``motcua device add --out`` writes: what one device needs, ready to copy to its Pi.

Only what is the device's own (docs/kiosk.md, docs/counter-unit.md): its id and password, the broker's address,
the office CA for TLS, and for a counter unit the counter it belongs to. The office itself (services, counters,
the catalogue) reaches the device over ``state/office``, never from this file. The password is in the file, so
the file is written with mode 0600 (atomically: never readable by others, not even half-written).
"""

from __future__ import annotations

import json
import socket
from pathlib import Path

from queue_server.atomic_files import write_atomic
from queue_server.config import Settings

WILDCARD_HOSTS = {"", "0.0.0.0", "::"}


def broker_address(settings: Settings, tls: bool) -> tuple[str, int]:
    """Where a device reaches the broker: the configured host (this machine's name if it listens everywhere)."""
    host = settings.broker.tls_host if tls else settings.broker.host
    if host in WILDCARD_HOSTS:
        host = socket.gethostname()
    return host, settings.broker.tls_port if tls else settings.broker.port


def device_config_text(
    settings: Settings,
    device_id: str,
    kind: str,
    counter_id: str | None,
    password: str,
    *,
    ca_file: Path | None = None,
    host: str | None = None,
) -> str:
    """The TOML text (strings JSON-quoted: valid TOML basic strings, any character escaped)."""
    default_host, port = broker_address(settings, ca_file is not None)
    q = json.dumps
    lines = [
        f"# motcua {kind} {device_id}: written by `motcua device add`; keep it root-only (it holds the password).",
        "# The office (services, counters, catalogue) comes from the server; add this device's hardware below.",
        "[link]",
        f"office_id = {q(settings.office.id)}",
        f"device_id = {q(device_id)}",
        f"password = {q(password)}",
        f"host = {q(host or default_host)}",
        f"port = {port}",
    ]
    if ca_file is not None:
        lines.append(f"ca_file = {q(f'/etc/motcua/{ca_file.name}')}  # copy {ca_file} there")
    if kind == "counter" and counter_id is not None:
        lines += ["", "[counter]", f"id = {q(counter_id)}"]
    return "\n".join(lines) + "\n"


def write_device_config(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text, mode=0o600)
    return path
