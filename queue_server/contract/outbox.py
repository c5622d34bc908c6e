"""A device's persistent outbox: a request is on disk before it is sent, and leaves only when answered.

paho keeps unsent messages in memory and a broker may lose session state in a crash, so QoS 1 alone can lose a
ticket or a rating; this small SQLite table cannot. The server de-duplicates resends by request id.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path


class Outbox:
    def __init__(self, path: Path | str, *, durable: bool = True) -> None:
        self._lock = threading.Lock()
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._add_sync = "FULL" if durable else "NORMAL"
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS outbox ("
            " seq INTEGER PRIMARY KEY AUTOINCREMENT, request_id TEXT UNIQUE NOT NULL, payload BLOB NOT NULL)"
        )
        self._closed = False

    def add(self, request_id: str, payload: bytes) -> None:
        """On disk (fsync) before it returns: a power cut right after still leaves it to resend."""
        with self._lock:
            self._db.execute(f"PRAGMA synchronous={self._add_sync}")
            self._db.execute("INSERT INTO outbox (request_id, payload) VALUES (?, ?)", (request_id, payload))

    def remove(self, request_id: str) -> bool:
        """Without fsync: if a power cut undoes the delete, the request is resent and the server, which
        de-duplicates by request id, answers it again with the same reply. Nothing is lost either way."""
        with self._lock:
            self._db.execute("PRAGMA synchronous=NORMAL")
            return self._db.execute("DELETE FROM outbox WHERE request_id = ?", (request_id,)).rowcount > 0

    def pending(self) -> list[tuple[str, bytes]]:
        """Unanswered requests, oldest first."""
        with self._lock:
            return list(self._db.execute("SELECT request_id, payload FROM outbox ORDER BY seq"))

    def count(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT COUNT(*) FROM outbox").fetchone()[0])

    def close(self) -> None:
        with self._lock:
            if not self._closed:
                self._closed = True
                self._db.close()
