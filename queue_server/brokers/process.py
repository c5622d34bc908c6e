"""A Mosquitto process run by motcua itself: for tests, benchmarks and fault drills on this machine.

It writes the same configuration as production (``write_mosquitto_config``), keeps port and files across
restarts (fault tests kill and restart it mid-run), and logs to a file whose tail explains a failed start.
"""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from queue_server.brokers.mosquitto import BrokerAccount, reload_mosquitto, write_mosquitto_config
from queue_server.contract.errors import MotcuaError

ConfigWriter = Callable[[Path, int, Sequence[BrokerAccount]], Path]
"""Writes a broker's files for (directory, port, accounts) and returns the config path."""


class BrokerStartError(MotcuaError, RuntimeError):
    """Mosquitto did not come up; the message holds its exit code and log tail."""


MOSQUITTO = os.environ.get("MOSQUITTO_BIN", "/usr/sbin/mosquitto")
START_TIMEOUT = 10.0


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the OS picks it; the tiny reuse race is acceptable in tests)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def wait_for_port(host: str, port: int, timeout: float, alive: Callable[[], bool] | None = None) -> bool:
    """Poll until ``host:port`` accepts a TCP connection; False on timeout or if ``alive()`` turns False."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if alive is not None and not alive():
            return False
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.02)
    return False


class MosquittoBroker:
    """One Mosquitto process with its config directory; see the ``mosquitto`` fixture."""

    host = "127.0.0.1"

    def __init__(self, directory: Path, *, writer: ConfigWriter | None = None) -> None:
        """``writer`` replaces the office configuration (e.g. a province broker, or an office with a bridge)."""
        self.directory = directory
        self._writer = writer
        self.log_path = directory / "mosquitto.log"
        self.port = 0
        self.office_id = ""
        self.config_path: Path | None = None
        self.process: subprocess.Popen[bytes] | None = None

    # -- lifecycle --------------------------------------------------------------------------------------------
    def start(
        self, accounts: Sequence[BrokerAccount], *, office_id: str = "q1", port: int | None = None
    ) -> MosquittoBroker:
        """Write the configuration for ``accounts`` and start Mosquitto on ``port`` (default: a free one)."""
        if self.process is not None:
            raise RuntimeError("this helper already started a broker; use restart()")
        self.office_id = office_id
        self.port = port or free_port(self.host)
        self.config_path = self._write(accounts)
        self._spawn()
        return self

    def start_on(self, port: int, accounts: Sequence[BrokerAccount], *, office_id: str = "q1") -> MosquittoBroker:
        """``start`` on a port chosen beforehand (when the office's config must name it first)."""
        return self.start(accounts, office_id=office_id, port=port)

    def stop(self) -> None:
        """SIGTERM and wait: Mosquitto saves its persistence file on the way out."""
        proc, self.process = self.process, None
        if proc is None or proc.poll() is not None:
            return
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)

    def kill(self) -> None:
        """SIGKILL: a power cut for the broker (nothing saved since the last autosave)."""
        proc, self.process = self.process, None
        if proc is not None and proc.poll() is None:
            proc.kill()
            proc.wait(timeout=10)

    def restart(self) -> None:
        """Start again on the same port with the same files (after stop() or kill(), or while running)."""
        if self.config_path is None:
            raise RuntimeError("start() first")
        self.stop()
        self._spawn()

    def kill_and_restart(self) -> None:
        """SIGKILL, then start again on the same port: a broker crash mid-burst."""
        self.kill()
        self.restart()

    def reload(self) -> None:
        """SIGHUP: re-read the password and ACL files, as ``motcua device add/revoke`` does."""
        if self.process is None or self.process.poll() is not None:
            raise RuntimeError("mosquitto is not running")
        reload_mosquitto(self.process.pid)

    def set_accounts(self, accounts: Sequence[BrokerAccount], *, reload: bool = True) -> None:
        """Rewrite the files for a new account list (same port) and, by default, reload."""
        self._write(accounts)
        if reload:
            self.reload()

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except FileNotFoundError:
            return "(no log)"

    # -- internals --------------------------------------------------------------------------------------------
    def _write(self, accounts: Sequence[BrokerAccount]) -> Path:
        if self._writer is not None:
            return self._writer(self.directory, self.port, accounts)
        return write_mosquitto_config(
            self.directory,
            office_id=self.office_id,
            port=self.port,
            accounts=accounts,
            run_as_root=os.geteuid() == 0,
        )

    def _spawn(self) -> None:
        assert self.config_path is not None
        with self.log_path.open("ab") as log:
            self.process = subprocess.Popen(
                [MOSQUITTO, "-c", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        proc = self.process
        if not wait_for_port(self.host, self.port, START_TIMEOUT, alive=lambda: proc.poll() is None):
            code = proc.poll()
            self.kill()
            raise BrokerStartError(
                f"mosquitto did not accept connections on {self.host}:{self.port} "
                f"(exit code {code}); log tail:\n{self.log_tail()}"
            )


MosquittoProcess = MosquittoBroker
