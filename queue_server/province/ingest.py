"""The province ingest: every office's events from the province broker into one database, exactly once.

Exactly once = at-least-once delivery + idempotent import + gap fill:

* the office broker's bridge and this client's persistent session deliver each event at least once, and this
  client acknowledges a message (manual PUBACK) only after its event is committed;
* ``EventStore.import_events`` skips an ``event_id`` it already has, so a duplicate changes nothing;
* a per-office seq watermark (``gaps.OfficeSeqs``) spots events that never came (an office broker restarted
  and lost its bridge queue) and asks that office to resend them (``mqtt.event_replayer.EventReplayer`` answers), at
  most once per ``resend_timeout`` and again until a replay report comes back (``asking.Asking``).

The statistics fold each office in its own seq order up to this watermark (``office_order``), so the order in
which this ingest imports never shows in the figures.

paho's network thread only enqueues; one worker thread imports in batches, acknowledges, and sends requests.
"""

from __future__ import annotations

import json
import logging
import queue
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt
from sqlalchemy.exc import InterfaceError, OperationalError

from queue_server.brokers.bridge import PROVINCE_USERNAME
from queue_server.contract import topics
from queue_server.contract.mqtt_client import make_client
from queue_server.mqtt.queued_client import STOP, QueuedClient
from queue_server.province import messages, office_order
from queue_server.province.asking import Asking
from queue_server.province.cursors import CursorStore
from queue_server.province.cursors import migrate as migrate_cursors
from queue_server.province.gaps import OfficeSeqs
from queue_server.store import db
from queue_server.store.event_store import EventStore, StoredEvent
from queue_server.store.jsonl import record_from_dict

logger = logging.getLogger(__name__)
DB_RETRY_SECONDS = 2.0


@dataclass(frozen=True)
class IngestOptions:
    offices: frozenset[str]
    """Offices this province accepts; events on any other office's topic are refused (and logged)."""
    resend_timeout: float = 10.0
    """Seconds before asking an office again for the same missing events."""
    heartbeat: float = 300.0
    """Every office is asked for its events after the watermark this often: catches a lost *last* event."""
    client_id: str = "motcua-province-ingest"
    max_batch: int = 500
    tick: float = 0.5


@dataclass
class _Office:
    seqs: OfficeSeqs
    store: EventStore
    asking: Asking
    """When to ask this office to resend (at most once per ``resend_timeout``; asked once right after start)."""
    saved_through: int = 0
    bridge_up: bool = True
    """False while the office's bridge is down (its will said "0"): requests would only pile up for it."""


class ProvinceIngest(QueuedClient):
    lost_broker_message = "province ingest lost the broker (%s); reconnecting"

    def __init__(
        self, url: str, *, host: str, port: int, password: str, options: IngestOptions, username: str = ""
    ) -> None:
        self.options = options
        self._url = url
        self._engine = db.make_engine(url)
        self._cursors = CursorStore(self._engine)
        self._offices: dict[str, _Office] = {}
        client = make_client(options.client_id, username or PROVINCE_USERNAME, password, clean_session=False)
        super().__init__(client, host=host, port=port, worker_name="motcua-province-ingest", log=logger)
        client.manual_ack_set(True)
        client.on_connect = self._on_connect
        client.on_message = lambda _c, _u, m: self._inbox.put((m.topic, bytes(m.payload), m.mid, m.qos))

    # -- lifecycle --------------------------------------------------------------------------------------------
    def start(self) -> ProvinceIngest:
        """Migrate the database, load the watermarks, connect and start importing."""
        EventStore(self._url, "-", engine=self._engine).migrate()
        migrate_cursors(self._engine)
        saved = self._cursors.load()
        for office_id in sorted(self.options.offices):
            through = saved.get(office_id, 0)
            store = EventStore(self._url, office_id, engine=self._engine)
            asking = Asking(self.options.resend_timeout, self.options.heartbeat)
            self._offices[office_id] = _Office(OfficeSeqs(through), store, asking, saved_through=through)
        self._run(keepalive=30)
        return self

    def stop(self) -> None:
        if not self._stop_worker(timeout=15):
            return
        self._disconnect()
        self._engine.dispose()

    def through(self, office_id: str) -> int:
        """The office's watermark: every seq up to it has been imported (or never existed)."""
        return self._offices[office_id].seqs.through

    # -- paho callbacks ---------------------------------------------------------------------------------------
    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            logger.error("province broker refused the ingest: %s", reason)
            return
        filters = [topics.event_stream("+"), topics.replay_report("+"), topics.bridge_state("+")]
        client.subscribe([(f, 1) for f in filters])
        self._connected.set()
        logger.info("province ingest connected to %s:%s", self._host, self._port)

    # -- worker -----------------------------------------------------------------------------------------------
    def _work(self) -> None:
        while True:
            try:
                first = self._inbox.get(timeout=self.options.tick)
            except queue.Empty:
                first = None
            items = [] if first is None else [first]
            while len(items) < self.options.max_batch:
                try:
                    items.append(self._inbox.get_nowait())
                except queue.Empty:
                    break
            stop = STOP in items
            try:
                self._handle([item for item in items if item is not STOP])
                self._timers()
            except Exception:
                logger.exception("province ingest batch failed")
            if stop:
                return

    def _handle(self, items: list[tuple[str, bytes, int, int]]) -> None:
        records: dict[str, list[StoredEvent]] = {}
        reports: list[tuple[str, messages.ReplayReport]] = []
        for topic, payload, _mid, _qos in items:
            if (office := topics.office_of(topic, "events")) is not None:
                record = self._record(office, payload)
                if record is not None:
                    records.setdefault(office, []).append(record)
            elif (office := topics.office_of(topic, "events/replayed")) is not None:
                report = self._report(office, payload)
                if report is not None:
                    reports.append((office, report))
            elif (office := topics.office_of(topic, "bridge/state")) is not None:
                self._bridge_state(office, payload)
        for office, batch in records.items():
            self._import(office, batch)
        for _topic, _payload, mid, qos in items:
            if qos > 0:
                self._client.ack(mid, qos)
        for office, report in reports:
            self._apply_report(office, report)
        self._save_cursors()

    def _bridge_state(self, office: str, payload: bytes) -> None:
        """An office's bridge (re)connected: what its broker lost meanwhile is asked for at once."""
        if office not in self._offices or payload not in (b"0", b"1"):
            return
        self._offices[office].bridge_up = payload == b"1"
        if payload == b"1":
            logger.info("office=%s bridge is up: asking for events after seq %d", office, self.through(office))
            self._offices[office].asking.want()
            self._ask(office, now=time.monotonic())
        else:
            logger.warning("office=%s bridge is down", office)

    def _record(self, office: str, payload: bytes) -> StoredEvent | None:
        if office not in self._offices:
            logger.warning("refused an event on the topic of office %r: not an office of this province", office)
            return None
        try:
            record = record_from_dict(json.loads(payload))
        except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
            logger.warning("office=%s refused a malformed event: %s", office, str(exc)[:300])
            return None
        if record.office_id != office:
            logger.warning(
                "office=%s refused event %s: it belongs to office %r", office, record.event_id, record.office_id[:64]
            )
            return None
        return record

    def _report(self, office: str, payload: bytes) -> messages.ReplayReport | None:
        if office not in self._offices:
            logger.warning("refused a replay report on the topic of office %r: not an office of this province", office)
            return None
        try:
            return messages.parse_report(payload)
        except messages.PayloadError as exc:
            logger.warning("office=%s refused a malformed replay report: %s", office, exc)
            return None

    def _import(self, office_id: str, batch: list[StoredEvent]) -> None:
        """Import, then note the seqs; the batch stays unacknowledged until this returns.

        While the database is unreachable the same batch is retried (nothing is lost or acknowledged). A batch
        the database refuses for another reason is imported event by event, so one bad event cannot block an
        office: it is logged as an error and counted as handled (else gap fill would ask for it forever).
        """
        office = self._offices[office_id]
        while True:
            try:
                late = office_order.new_at_or_below(self._engine, office_id, batch, office.seqs.through)
                added = office.store.import_events(batch)
                if late:
                    office_order.refold_if_passed(self._engine, office_id, late)
                break
            except (OperationalError, InterfaceError):
                logger.exception("office=%s import of %d events failed; retrying", office_id, len(batch))
                if not self._started:
                    raise
                time.sleep(DB_RETRY_SECONDS)
            except Exception:
                logger.exception("office=%s batch of %d events refused; importing one by one", office_id, len(batch))
                added = sum(self._import_one(office_id, record) for record in batch)
                break
        for record in batch:
            office.seqs.imported(record.seq)
        logger.debug(
            "office=%s %d events received, %d new, through seq %d", office_id, len(batch), added, office.seqs.through
        )

    def _import_one(self, office_id: str, record: StoredEvent) -> int:
        try:
            return self._offices[office_id].store.import_events([record])
        except (OperationalError, InterfaceError):
            raise
        except Exception:
            logger.exception(
                "office=%s event %s (seq %d) cannot be imported; dropped", office_id, record.event_id, record.seq
            )
            return 0

    def _apply_report(self, office_id: str, report: messages.ReplayReport) -> None:
        office = self._offices[office_id]
        now = time.monotonic()
        office.asking.answered()
        disowned = office.seqs.disown(report)
        if disowned:
            logger.warning(
                "office=%s %d events came with seqs the office does not have (%s, its log ends at %d): "
                "not asking for the seqs before them",
                office_id,
                len(disowned),
                _sample(disowned),
                report.through_seq,
            )
        before = office.seqs.through
        if office.seqs.apply_report(report):
            if report.more and office.seqs.through > before:
                self._ask(office_id, now=now, backfill=True)  # the next batch of a long backlog, at once
        elif report.after_seq <= office.seqs.through:
            logger.warning("office=%s resent events were lost again; asking once more", office_id)
            office.asking.want()

    def _timers(self) -> None:
        now = time.monotonic()
        for office_id in self._offices:
            self._ask(office_id, now=now)

    def _ask(self, office_id: str, *, now: float, backfill: bool = False) -> None:
        """Send a resend request if one is called for and allowed now (``Asking``); ``backfill`` skips the
        rate limit for the next batch of a replay that moved the watermark."""
        office = self._offices[office_id]
        if not self._connected.is_set() or not office.bridge_up:
            return
        if not backfill and not office.asking.should_ask(now, gap=office.seqs.has_gap()):
            return
        if office.asking.outstanding and office.asking.repeats == 0:
            logger.info(
                "office=%s no replay report yet (its server may still be reconnecting): "
                "asking again every %.0f s until one comes",
                office_id,
                office.asking.interval,
            )
        office.asking.sent(now)
        after = office.seqs.asked()
        if office.seqs.has_gap():
            logger.info(
                "office=%s gap after seq %d (have %s): asking for a resend",
                office_id,
                after,
                _sample(office.seqs.ahead),
            )
        request = messages.encode_request(messages.ResendRequest(after))
        self._client.publish(topics.resend_request(office_id), request, qos=1)

    def _save_cursors(self) -> None:
        for office_id, office in self._offices.items():
            if office.seqs.through > office.saved_through:
                self._cursors.save(office_id, office.seqs.through)
                office.saved_through = office.seqs.through


def _sample(seqs: Iterable[int]) -> str:
    ordered = sorted(seqs)
    return f"{ordered[:3]}…" if len(ordered) > 3 else str(ordered)
