"""The office's queue service: requests in, durable events, replies and retained state out.

Broker-agnostic (the MQTT adapter feeds it raw messages and publishes what it returns), so the same path serves
MQTT devices, the web console and tests. Requests are handled in batches: every decision of a batch is committed
in one transaction (one fsync) *before* any reply leaves; a failed commit answers nobody, and devices resend.
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from queue_server.audited import Audited
from queue_server.contract import messages as msg
from queue_server.contract import topics
from queue_server.engine import commands as cmd
from queue_server.engine import events as ev
from queue_server.engine.decide import decide, local_day
from queue_server.engine.errors import CommandRejected
from queue_server.engine.setup import OfficeSetup
from queue_server.engine.state import QueueState
from queue_server.live import LiveOffice
from queue_server.store.event_store import Commit, EventStore, StoredEvent
from queue_server.trusted_clock import TrustedClock
from queue_server.views import retained_views

logger = logging.getLogger(__name__)
REPLY_CACHE_SIZE = 2_000
"""Recent replies kept in memory; a retry older than that is answered from the store (one query a batch)."""


@dataclass(frozen=True)
class Publish:
    topic: str
    payload: bytes
    retain: bool = False
    qos: int = msg.QOS


@dataclass(frozen=True)
class DeviceInfo:
    """What the server knows of a device: its kind bounds what it may ask (a kiosk only issues tickets)."""

    device_id: str
    kind: str
    counter_id: str | None = None


@dataclass
class _Pending:
    device_id: str
    request_id: str
    reply: dict[str, Any]
    events: list[ev.Event]
    audit: Mapping[str, Any] | None = None


class OfficeService:
    def __init__(
        self,
        *,
        setup: OfficeSetup,
        store: EventStore,
        devices: Callable[[str], DeviceInfo | None],
        clock: Callable[[], datetime],
        new_id: Callable[[], str],
        max_payload_bytes: int = 4096,
    ) -> None:
        self.setup, self.store, self.devices = setup, store, devices
        self.clock, self.new_id, self.max_payload_bytes = clock, new_id, max_payload_bytes
        self.office_id = setup.office_id
        self.state = QueueState()
        self.live = LiveOffice(lambda: self.state, clock=clock)
        """What the web pages read; every change of ``state`` happens inside ``live.writing()``."""
        self._replies: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        self._published: dict[str, dict[str, Any]] = {}
        self._last_now: datetime | None = None
        self._last_event_at: datetime | None = None
        """The ``at`` of the newest event (stored, or decided in this run): the floor of every new stamp."""

    # -- start-up ---------------------------------------------------------------------------------------------
    def start(self) -> list[Publish]:
        """Rebuild the state from the store, record a changed office setup, and return the retained state."""
        with self.live.writing():
            return self._start()

    def _start(self) -> list[Publish]:
        recorded: set[OfficeSetup] = set()

        def events() -> Iterator[ev.Event]:
            for stored in self.store.events():
                if isinstance(stored.event, ev.OfficeConfigured):
                    recorded.add(stored.event.setup)
                self._last_event_at = stored.event.at  # no stamp of this run goes below it, whatever the clock
                yield stored.event

        self.state = QueueState.replay(events())
        self._last_now = self._last_event_at
        logger.info("replayed %d events", self.state.event_count)
        out = [Publish(topics.server_status(self.office_id), msg.encode({"v": 1, "online": True}), retain=True)]
        # The config file seeds the setup; admin pages change it later through ConfigureOffice events. The file's
        # setup is recorded only when it was never recorded (first start, or the file was edited since), so a
        # restart does not silently undo a change made in the admin pages.
        if self.setup not in recorded:
            reply, published = self.execute(cmd.ConfigureOffice(self.setup))
            out += published
            if reply.get("ok"):
                logger.info("office setup recorded (%s)", "changed" if recorded else "first start")
            else:
                error = reply.get("error") or {}
                logger.error("office setup NOT recorded, refused by the engine: %s", error.get("message"))
        elif self.state.setup != self.setup:
            logger.warning("office setup: the admin pages' change is kept (the config file's was recorded before)")
        return out

    def retained_state(self, only_changed: bool = True, touched: list[ev.Event] | None = None) -> list[Publish]:
        out = []
        stamp = self._stamp()
        for topic, view in retained_views(self.state, self.office_id, touched).items():
            if only_changed and self._published.get(topic) == view:
                continue
            self._published[topic] = view
            out.append(Publish(topic, msg.encode({**view, "at": stamp}), retain=True))
        return out

    # -- requests ---------------------------------------------------------------------------------------------
    def handle(self, messages: Sequence[tuple[str, bytes]]) -> list[Publish]:
        """Handle a batch of raw request messages; returns replies, events and retained state to publish."""
        with self.live.writing():
            return self._handle(messages)

    def _handle(self, messages: Sequence[tuple[str, bytes]]) -> list[Publish]:
        out: list[Publish] = []
        batch: list[_Pending] = []
        in_batch: dict[tuple[str, str], _Pending] = {}
        duplicates: list[tuple[str, _Pending]] = []
        admitted = [p for p in (self._admit(topic, payload, out) for topic, payload in messages) if p is not None]
        self._load_replies([(device.device_id, envelope.id) for device, envelope, _ in admitted])
        for device, envelope, command in admitted:
            key = (device.device_id, envelope.id)
            if key in in_batch:
                duplicates.append((device.device_id, in_batch[key]))
                continue
            earlier = self._replies.get(key)
            if earlier is not None:
                out.append(Publish(topics.reply(self.office_id, device.device_id), msg.encode(earlier)))
                continue
            pending = self._decide(device.device_id, envelope.id, command)
            in_batch[key] = pending
            batch.append(pending)
        stored = self._commit(batch) if batch else []
        if stored is None:
            return out  # only refusals and earlier replies: nothing new was committed, so nobody else is answered
        for pending in batch:
            self._remember((pending.device_id, pending.request_id), pending.reply)
            out.append(Publish(topics.reply(self.office_id, pending.device_id), msg.encode(pending.reply)))
        for device_id, pending in duplicates:
            out.append(Publish(topics.reply(self.office_id, device_id), msg.encode(pending.reply)))
        if batch:
            out.extend(self.event_publishes(stored))
            out.extend(self.retained_state(touched=[e for p in batch for e in p.events]))
        return out

    def execute(
        self, command: cmd.Command | Audited, device_id: str | None = None
    ) -> tuple[dict[str, Any], list[Publish]]:
        """One command from inside the server (web console, start-up): same engine, same durable commit.

        An ``Audited`` command's audit entry is committed with its events, in the same transaction.

        Returns the reply and what to publish (events stream, retained state). Not thread-safe: in a running
        server, call ``ServerLink.execute``, which runs it on the ingest thread between batches.
        """
        with self.live.writing():
            return self._execute(command, device_id)

    def _execute(self, command: cmd.Command | Audited, device_id: str | None) -> tuple[dict[str, Any], list[Publish]]:
        audit = command.entry if isinstance(command, Audited) else None
        command = command.command if isinstance(command, Audited) else command
        try:
            self._check_clock(command, None)
        except msg.ContractError as exc:
            logger.warning("%s refused: %s: %s", type(command).__name__, exc.code.value, exc.message)
            return msg.error_reply(None, exc.code.value, exc.message, self._stamp()), []
        pending = self._decide(device_id, None, command)
        if pending.events:
            pending.audit = audit  # a refused change is not audited: nothing changed
        stored = self._commit([pending])
        if stored is None:
            raise RuntimeError("the event store did not commit; nothing was changed")
        return pending.reply, self.event_publishes(stored) + self.retained_state(touched=pending.events)

    def _admit(
        self, topic: str, payload: bytes, out: list[Publish]
    ) -> tuple[DeviceInfo, msg.RequestEnvelope, cmd.Command] | None:
        where = topics.parse_request_topic(topic)
        if where is None:
            logger.warning("ignored message on unexpected topic %r", topic[:200])
            return None
        office, device_id = where
        try:
            if office != self.office_id:
                raise msg.ContractError(msg.ErrorCode.WRONG_OFFICE, f"this server is office {self.office_id}")
            device = self.devices(device_id)
            if device is None:
                raise msg.ContractError(msg.ErrorCode.UNKNOWN_DEVICE, "device not registered or revoked")
            envelope, body = msg.parse_request(payload, self.max_payload_bytes)
            self._authorise(device, envelope, body)
            command = msg.to_command(envelope, body, device_id)
            self._check_clock(command, envelope.id)
            return device, envelope, command
        except msg.ContractError as exc:
            logger.warning("device=%s rejected request: %s: %s", device_id, exc.code.value, exc.message)
            error = exc
        except Exception:
            # One unreadable message must never cost the rest of its batch.
            logger.exception("device=%s request could not be read", device_id)
            error = msg.ContractError(msg.ErrorCode.INTERNAL, "the server could not read this request")
        reply = msg.error_reply(error.request_id, error.code.value, error.message, self._stamp())
        if topics.valid_id(device_id):
            out.append(Publish(topics.reply(self.office_id, device_id), msg.encode(reply)))
        return None

    @staticmethod
    def _authorise(device: DeviceInfo, envelope: msg.RequestEnvelope, body: Any) -> None:
        allowed = {"kiosk": msg.KIOSK_TYPES, "counter": msg.COUNTER_TYPES, "console": msg.ALL_TYPES}
        if envelope.type not in allowed.get(device.kind, frozenset()):
            raise msg.ContractError(
                msg.ErrorCode.FORBIDDEN, f"a {device.kind} may not send {envelope.type}", envelope.id
            )
        counter = msg.counter_of(body)
        if device.kind == "counter" and counter is not None and counter != device.counter_id:
            raise msg.ContractError(
                msg.ErrorCode.FORBIDDEN, f"this device belongs to counter {device.counter_id}", envelope.id
            )

    def _load_replies(self, keys: list[tuple[str, str]]) -> None:
        """Bring earlier replies for this batch's requests into the cache: one query for the whole batch."""
        missing = [key for key in keys if key not in self._replies]
        if missing:
            for key, reply in self.store.find_replies(missing).items():
                self._remember(key, reply)

    def _remember(self, key: tuple[str, str], reply: dict[str, Any]) -> None:
        self._replies[key] = reply
        if len(self._replies) > REPLY_CACHE_SIZE:
            self._replies.popitem(last=False)

    def _decide(self, device_id: str | None, request_id: str | None, command: cmd.Command) -> _Pending:
        now = self._now()
        try:
            events = decide(self.state, command, now, self.new_id)
        except CommandRejected as exc:
            # A refused setup change leaves the office on its old setup (or none): an error, never routine.
            level = logging.ERROR if isinstance(command, cmd.ConfigureOffice) else logging.INFO
            logger.log(level, "device=%s %s rejected: %s", device_id, type(command).__name__, exc)
            reply = msg.error_reply(request_id, exc.reason.value, exc.detail, now.isoformat())
            return _Pending(device_id or "", request_id or "", reply, [])
        for event in events:
            self.state.apply(event)
            self._last_event_at = event.at
        reply = msg.ok_reply(request_id or "", self._result(events), now.isoformat())
        return _Pending(device_id or "", request_id or "", reply, events)

    def _commit(self, batch: list[_Pending]) -> list[list[StoredEvent]] | None:
        commits = [Commit(p.device_id or None, p.request_id or None, p.events, p.reply, p.audit) for p in batch]
        try:
            return self.store.commit(commits)
        except Exception:
            logger.exception("commit of %d requests failed; nobody is answered, state rebuilt from store", len(batch))
            self.state = QueueState.replay(stored.event for stored in self.store.events())
            return None

    def event_publishes(self, stored: Iterable[list[StoredEvent]]) -> list[Publish]:
        """Committed events for the province bridge, in the JSON Lines schema of docs/events.md."""
        from queue_server.store.jsonl import province_record

        topic = topics.event_stream(self.office_id)
        return [Publish(topic, msg.encode(province_record(e))) for group in stored for e in group]

    def _result(self, events: list[ev.Event]) -> dict[str, Any]:
        result: dict[str, Any] = {"events": [type(e).__name__ for e in events]}
        for event in events:
            if isinstance(event, ev.TicketIssued):
                result["ticket"] = {
                    "ticket_id": event.ticket_id,
                    "label": event.label,
                    "number": event.number,
                    "service_id": event.service_id,
                    "priority": event.priority,
                    "day": event.day.isoformat(),
                    "people_ahead": self.state.people_ahead(event.ticket_id),
                }
            elif isinstance(event, ev.TicketCalled | ev.TicketRecalled | ev.TicketRated | ev.TicketSkipped):
                ticket = self.state.tickets.get(event.ticket_id)
                result["ticket"] = {"ticket_id": event.ticket_id, "label": ticket.label if ticket else None}
                result["counter_id"] = event.counter_id
        return result

    def _check_clock(self, command: cmd.Command, request_id: str | None) -> None:
        """Refuse (``clock_not_synced``, not remembered) a ticket or a new day the clock cannot be trusted for."""
        if not isinstance(self.clock, TrustedClock) or self.state.setup is None:
            return
        if isinstance(command, cmd.ConfigureOffice):
            return
        raw = self.clock()
        day = local_day(self._floored(raw), self.state.setup.utc_offset_minutes)
        starts_day = self.state.day is None or day > self.state.day
        if not starts_day and not isinstance(command, cmd.IssueTicket):
            return
        doubt = self.clock.doubt(raw, self._last_event_at, starts_day)
        if doubt is not None:
            raise msg.ContractError(msg.ErrorCode.CLOCK_NOT_SYNCED, str(doubt), request_id)

    def _now(self) -> datetime:
        """Server time, never earlier than the last stored event, across restarts too (statistics rely on it)."""
        return self._floored(self.clock())

    def _floored(self, now: datetime) -> datetime:
        if self._last_now is not None and now < self._last_now:
            now = self._last_now
        self._last_now = now
        return now

    def _stamp(self) -> str:
        return self._now().isoformat()
