"""A throw-away PostgreSQL server from Debian's ``postgresql`` package, for benchmarks and tests.

It runs from a temporary data directory on a free loopback port with trust authentication (never for an
office's data). ``initdb`` refuses to run as root, so under root the server runs as the ``postgres`` user
(``runuser``). tests/fixtures/postgres.py wraps it in pytest fixtures.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from types import TracebackType

import psycopg

from queue_server.brokers.process import free_port
from queue_server.contract.errors import MotcuaError

PG_GLOB = "/usr/lib/postgresql/*/bin"


class PostgresUnavailable(MotcuaError, RuntimeError):
    """No server binaries, or root with no ``postgres`` user to run them as."""


def pg_bin_dir() -> Path | None:
    candidates = [Path(p) for p in glob.glob(PG_GLOB) if (Path(p) / "pg_ctl").exists()]
    if not candidates:
        return None
    return max(candidates, key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0)


class TemporaryPostgres:
    """``with TemporaryPostgres() as server: url = server.create_database("x")``; removed on exit."""

    def __init__(self, bin_dir: Path | None = None, options: tuple[str, ...] = ()) -> None:
        found = bin_dir or pg_bin_dir()
        if found is None:
            raise PostgresUnavailable(f"PostgreSQL server binaries not found under {PG_GLOB}")
        self.bin_dir = found
        self.options = options
        self.as_postgres = os.geteuid() == 0
        self.owner: tuple[int, int] | None = None
        if self.as_postgres:
            try:
                entry = pwd.getpwnam("postgres")
            except KeyError as exc:
                raise PostgresUnavailable("running as root and there is no 'postgres' user") from exc
            self.owner = (entry.pw_uid, entry.pw_gid)
        self.root = Path(tempfile.mkdtemp(prefix="motcua-pg-"))
        self.data = self.root / "data"
        self.log = self.root / "server.log"
        self.port = free_port()
        if self.owner is not None:
            os.chown(self.root, *self.owner)
            self.root.chmod(0o700)

    def run(self, tool: str, *args: str) -> subprocess.CompletedProcess[str]:
        argv = [str(self.bin_dir / tool), *args]
        if self.as_postgres:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        return subprocess.run(argv, capture_output=True, text=True, check=False, timeout=120)

    def start(self) -> None:
        init = self.run("initdb", "-D", str(self.data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-locale")
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed: {init.stderr or init.stdout}")
        self.resume()

    def resume(self) -> None:
        """Start the (initialised) server again, e.g. after ``halt`` in an outage drill."""
        extra = "".join(f" -c {o}" for o in self.options)
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -c unix_socket_directories={self.root}{extra}"
        started = self.run(
            "pg_ctl", "start", "-w", "-t", "60", "-D", str(self.data), "-l", str(self.log), "-o", options
        )
        if started.returncode != 0:
            tail = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"PostgreSQL did not start: {started.stderr}\n{tail}")

    def halt(self) -> None:
        """Stop the server as an outage would (fast shutdown: sessions cut, transactions rolled back), data kept."""
        self.run("pg_ctl", "stop", "-m", "fast", "-w", "-D", str(self.data))

    def stop(self) -> None:
        try:
            self.run("pg_ctl", "stop", "-m", "fast", "-w", "-D", str(self.data))
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def admin(self, sql: str) -> None:
        """Run one statement outside a transaction (CREATE/DROP DATABASE need that)."""
        dsn = f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(sql)

    def url(self, database: str) -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        self.admin(f"CREATE DATABASE {name}")
        return self.url(name)

    def __enter__(self) -> TemporaryPostgres:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, traceback: TracebackType | None
    ) -> None:
        self.stop()
