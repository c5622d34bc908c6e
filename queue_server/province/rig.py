"""A province and an office bridged to it, all on this machine: for tests, benchmarks and fault drills.

Real parts only: two Mosquitto processes (the office's with its bridge section, the province's with its ACL),
the office's SQLite ``EventStore`` with a ``motcua-server`` client publishing each committed event exactly as
the office server does after a commit, the office's ``EventReplayer``, and ``ProvinceIngest`` on the given
database. Brokers keep port and files across ``stop``/``kill``/``restart`` for fault drills.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from queue_server.brokers.bridge import ProvinceBridge, bridge_lines, write_province_config
from queue_server.brokers.credentials import hash_password, new_password
from queue_server.brokers.mosquitto import BrokerAccount, write_mosquitto_config
from queue_server.brokers.process import MosquittoBroker
from queue_server.contract import topics
from queue_server.contract.mqtt_client import make_client
from queue_server.engine.events import CounterPaused, Event
from queue_server.mqtt.event_replayer import EventReplayer
from queue_server.province.ingest import IngestOptions, ProvinceIngest
from queue_server.store.event_store import Commit, EventStore, StoredEvent
from queue_server.store.jsonl import record_to_dict

TIMEOUT = 15.0
_ROOT = os.geteuid() == 0


def wait_until(condition: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    """Poll ``condition`` every 0.1 s; AssertionError naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


class OfficeRig:
    """One office: its broker bridged to the province, its store, its server's publisher and replayer."""

    def __init__(self, office_id: str, directory: Path, province_port: int, bridge_password: str) -> None:
        self.office_id = office_id
        self.server_password = new_password()
        self.replayer_password = new_password()
        self.monitor_password = new_password()
        """The read-only monitor account: a test listening in must not take the server's connection."""
        bridge = ProvinceBridge(office_id, "127.0.0.1", province_port, bridge_password, restart_timeout=(1, 1))

        def write(d: Path, port: int, accounts: Sequence[BrokerAccount]) -> Path:
            return write_mosquitto_config(
                d,
                office_id=office_id,
                port=port,
                accounts=accounts,
                run_as_root=_ROOT,
                extra_lines=bridge_lines(bridge),
            )

        directory.mkdir(parents=True)
        self.broker = MosquittoBroker(directory / "mosquitto", writer=write)
        self.broker.directory.mkdir()
        server = BrokerAccount(topics.SERVER_USERNAME, hash_password(self.server_password))
        replayer = BrokerAccount(topics.REPLAYER_USERNAME, hash_password(self.replayer_password))
        monitor = BrokerAccount(topics.MONITOR_USERNAME, hash_password(self.monitor_password))
        self.broker.start([server, replayer, monitor], office_id=office_id)
        self.store = EventStore(f"sqlite:///{directory / 'office.db'}", office_id)
        self.store.migrate()
        self.publisher = make_client(f"server-{office_id}", topics.SERVER_USERNAME, self.server_password)
        self.publisher.connect(self.broker.host, self.broker.port)
        self.publisher.loop_start()
        self.replayer = self.start_replayer()
        if not self.replayer.subscribed.wait(TIMEOUT):
            raise RuntimeError(f"the replayer did not subscribe; broker log:\n{self.broker.log_tail()}")

    def start_replayer(self) -> EventReplayer:
        """The office server's event replayer on its own connection (started; not waited for)."""
        return EventReplayer.connect(
            self.store,
            host=self.broker.host,
            port=self.broker.port,
            username=topics.REPLAYER_USERNAME,
            password=self.replayer_password,
        )

    def commit(self, count: int, *, publish: bool = True) -> list[StoredEvent]:
        """Commit ``count`` events (one transaction) and, like the office server, publish them after the commit."""
        now = datetime.now(UTC)
        batch = [Commit(None, None, [CounterPaused(at=now, counter_id="quay-1")], {}) for _ in range(count)]
        stored = [group[0] for group in self.store.commit(batch)]
        if publish:
            self.publish([json.dumps(record_to_dict(s)).encode() for s in stored])
        return stored

    def commit_events(self, events: Sequence[Event], *, per_transaction: int = 10) -> list[StoredEvent]:
        """Commit ``events`` (one request each, ``per_transaction`` to a transaction) and publish each batch
        after its commit, as the office server does."""
        stored: list[StoredEvent] = []
        for start in range(0, len(events), per_transaction):
            batch = [Commit(None, None, [e], {}) for e in events[start : start + per_transaction]]
            done = [group[0] for group in self.store.commit(batch)]
            self.publish([json.dumps(record_to_dict(s)).encode() for s in done])
            stored += done
        return stored

    def publish(self, payloads: Sequence[bytes]) -> None:
        """Publish raw payloads on the office's events topic; returns once the office broker has them all."""
        infos = [self.publisher.publish(topics.event_stream(self.office_id), p, qos=1) for p in payloads]
        for info in infos:
            info.wait_for_publish(TIMEOUT)

    def connected(self) -> bool:
        return bool(self.publisher.is_connected() and self.replayer.client.is_connected())

    def event_ids(self) -> list[str]:
        return [s.event_id for s in self.store.events()]

    def close(self) -> None:
        self.replayer.stop()
        self.publisher.disconnect()
        self.publisher.loop_stop()
        self.store.close()
        self.broker.stop()


class ProvinceRig:
    """The province broker (one bridge account per office) and the ingest on ``db_url``."""

    def __init__(self, directory: Path, db_url: str, offices: Sequence[str], *, resend_timeout: float = 1.0) -> None:
        self.db_url = db_url
        self.ingest_password = new_password()
        self.bridge_passwords = {office: new_password() for office in offices}
        self.options = IngestOptions(
            offices=frozenset(offices), resend_timeout=resend_timeout, heartbeat=60.0, tick=0.2
        )
        ingest_hash = hash_password(self.ingest_password)

        def write(d: Path, port: int, accounts: Sequence[BrokerAccount]) -> Path:
            return write_province_config(
                d, port=port, office_accounts=accounts, ingest_password_hash=ingest_hash, run_as_root=_ROOT
            )

        directory.mkdir(parents=True)
        self.broker = MosquittoBroker(directory / "mosquitto", writer=write)
        self.broker.directory.mkdir()
        self.broker.start([BrokerAccount(o, hash_password(p)) for o, p in self.bridge_passwords.items()])
        self.ingest = self.start_ingest()

    def start_ingest(self) -> ProvinceIngest:
        ingest = ProvinceIngest(
            self.db_url,
            host=self.broker.host,
            port=self.broker.port,
            password=self.ingest_password,
            options=self.options,
        ).start()
        if not ingest.wait_connected(TIMEOUT):
            raise RuntimeError(f"the ingest did not connect; broker log:\n{self.broker.log_tail()}")
        return ingest

    def office(self, office_id: str, directory: Path) -> OfficeRig:
        return OfficeRig(office_id, directory, self.broker.port, self.bridge_passwords[office_id])

    def event_ids(self, office_id: str) -> list[str]:
        """The office's events in the province database, in import order."""
        store = EventStore(self.db_url, office_id)
        try:
            return [s.event_id for s in store.events()]
        finally:
            store.close()

    def wait_for(self, office: OfficeRig, timeout: float = TIMEOUT) -> list[str]:
        """Wait until the province holds every event of ``office`` and its watermark reached the office's."""
        expected = set(office.event_ids())
        last = office.store.last_seq()
        wait_until(
            lambda: self.ingest.through(office.office_id) >= last and set(self.event_ids(office.office_id)) >= expected,
            f"{len(expected)} events of {office.office_id} at the province\n{self.broker.log_tail()}",
            timeout,
        )
        return self.event_ids(office.office_id)

    def close(self) -> None:
        self.ingest.stop()
        self.broker.stop()
