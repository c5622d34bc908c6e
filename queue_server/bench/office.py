"""A whole office on this machine, for benchmarks and fault tests: real broker, real store, a server process.

The server runs as a separate process (as in production), so it can be killed with SIGKILL and restarted; the
devices are ``DeviceLink``s in the calling process, each with its own outbox.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from queue_server.app import office_certificates, open_store
from queue_server.brokers.certs import OfficeCertificates
from queue_server.brokers.credentials import hash_password, new_password
from queue_server.brokers.mosquitto import BrokerAccount
from queue_server.config import load_settings
from queue_server.contract.device_link import DeviceLink
from queue_server.contract.topics import MONITOR_USERNAME, REPLAYER_USERNAME, SERVER_USERNAME
from queue_server.store.devices import DeviceRegistry

READY_LINE = "connected to broker"
LOAD_LIMITS = "kiosk = { per_minute = 600000, burst = 100000 }\ncounter = { per_minute = 600000, burst = 100000 }"
"""Budgets for load: three kiosks sending 1,000 tickets in seconds stand for a whole province's halls."""


class OfficeUnderTest:
    office_id = "tuan-giao"

    def __init__(
        self,
        directory: Path,
        *,
        port: int,
        store_url: str | None = None,
        broker_kind: str = "mosquitto",
        web: bool = False,
        limits: str = LOAD_LIMITS,
        min_free_mb: int | None = None,
        tls_port: int | None = None,
    ) -> None:
        """``web``: also serve the web pages (on a free port); off by default so measurements are of the queue.

        ``limits``: the ``[limits]`` section; by default budgets that let a few kiosks stand in for a hall's load
        (benchmarks, fault tests); ``""`` for the office's defaults (the hostile-device tests).
        ``tls_port``: the broker also listens with TLS there (the office CA in data_dir/tls, ``certificates()``)."""
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.port = port
        self.store_url = store_url or f"sqlite:///{directory}/office.db"
        self.server_password = new_password()
        self.replayer_password = new_password()
        self.monitor_password = new_password()
        """The read-only ``motcua-monitor`` account: what tests watch the office's traffic with."""
        self.tls_port = tls_port
        self.passwords: dict[str, str] = {}
        self.log_path = directory / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.config_path = directory / "motcua.toml"
        self.config_path.write_text(
            f'[broker]\nkind = "{broker_kind}"\nhost = "127.0.0.1"\nport = {port}\n'
            f'server_password = "{self.server_password}"\nreplayer_password = "{self.replayer_password}"\n'
            f'monitor_password = "{self.monitor_password}"\n'
            + (f'tls = true\ntls_host = "127.0.0.1"\ntls_port = {tls_port}\n' if tls_port else "")
            + f'[store]\nurl = "{self.store_url}"\n'
            + ("" if min_free_mb is None else f"min_free_mb = {min_free_mb}\n")
            + f'[server]\ndata_dir = "{directory / "data"}"\nlog_level = "INFO"\n'
            f"[web]\nenabled = {'true' if web else 'false'}\nport = 0\n"
            f"[limits]\n{limits}\n"
        )
        self.settings = load_settings(self.config_path)

    def provision(self, devices: Mapping[str, tuple[str, str | None]]) -> dict[str, str]:
        """Register devices (id -> (kind, counter)) in the office's registry; returns their passwords."""
        store = open_store(self.settings)
        try:
            registry = DeviceRegistry(store)
            for device_id, (kind, counter) in devices.items():
                password = new_password()
                registry.add(device_id, kind, hash_password(password), counter)
                self.passwords[device_id] = password
        finally:
            store.close()
        return dict(self.passwords)

    def accounts(self) -> list[BrokerAccount]:
        accounts = [BrokerAccount(d, hash_password(p)) for d, p in self.passwords.items()]
        return [
            *accounts,
            BrokerAccount(SERVER_USERNAME, hash_password(self.server_password)),
            BrokerAccount(REPLAYER_USERNAME, hash_password(self.replayer_password)),
            BrokerAccount(MONITOR_USERNAME, hash_password(self.monitor_password)),
        ]

    def certificates(self) -> OfficeCertificates:
        """The office CA and broker certificate (made on first call, as the server does at start)."""
        certificates = office_certificates(self.settings)
        assert certificates is not None, "construct with tls_port"
        return certificates

    # -- the server process -------------------------------------------------------------------------------------
    def start_server(self, timeout: float = 30.0, env: Mapping[str, str] | None = None) -> None:
        """Start ``motcua server``; ``env`` adds to its environment (the clock drills preload libfaketime)."""
        offset = self.log_path.stat().st_size if self.log_path.exists() else 0
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "queue_server.cli", "--config", str(self.config_path), "server"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONUNBUFFERED": "1", **(env or {})},
            )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log_tail()}")
            with self.log_path.open("rb") as fp:
                fp.seek(offset)
                if READY_LINE.encode() in fp.read():
                    return
            time.sleep(0.05)
        raise RuntimeError(f"server not ready after {timeout}s:\n{self.log_tail()}")

    def kill_server(self) -> None:
        """SIGKILL: no clean-up, no flush; what was committed must be all that counts."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop_server(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def server_rss_kib(self) -> int:
        assert self.process is not None
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
        return 0

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    # -- devices ------------------------------------------------------------------------------------------------
    def link(self, device_id: str, *, tls: bool = False, **kwargs: object) -> DeviceLink:
        """A device's link; ``tls``: through the TLS listener, verifying the broker against the office CA."""
        if tls:
            assert self.tls_port is not None
            kwargs["ca_file"] = self.certificates().ca_cert
        return DeviceLink(
            office_id=self.office_id,
            device_id=device_id,
            password=self.passwords[device_id],
            host="127.0.0.1",
            port=self.tls_port if tls and self.tls_port else self.port,
            outbox_path=self.directory / f"outbox-{device_id}.db",
            **kwargs,  # type: ignore[arg-type]
        )
