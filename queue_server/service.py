"""The office's queue service: requests in, durable events, replies and retained state out.

Broker-agnostic (the MQTT adapter feeds it raw messages and publishes what it returns), so the same path serves
MQTT devices, the web console and tests. Requests are handled in batches: every decision of a batch is committed
in one transaction (one fsync) *before* any reply leaves. The state follows the store, never leads it: a batch is
decided through a ``Savepoint`` and a failed commit rolls it back exactly, without reading the database; the
batch is answered ``store_unavailable`` (the devices keep their requests and resend) and the service recovers by
itself when the store is back. A log that cannot be replayed starts the service read-only.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.exc import SQLAlchemyError

from queue_server.admission import request_id_of
from queue_server.admission_commands import to_command
from queue_server.audited import Audited
from queue_server.contract import messages as msg
from queue_server.contract import office as office_contract
from queue_server.contract import topics
from queue_server.contract.payloads import Reply, ReplyError
from queue_server.contract.permissions import BOUND_TO_A_COUNTER, may_send
from queue_server.engine import commands as cmd
from queue_server.engine import events as ev
from queue_server.engine.decide import decide, local_day
from queue_server.engine.errors import CommandRejected
from queue_server.engine.savepoint import Savepoint
from queue_server.engine.setup import OfficeSetup
from queue_server.engine.state import QueueState
from queue_server.forecast.predict import Prediction
from queue_server.forecasting import ForecastPolicy, OfficeForecast, forecast_json
from queue_server.live import LiveOffice
from queue_server.log_summary import PerMinuteSummary
from queue_server.private_views import CounterDevices, PrivateViews
from queue_server.service_store import WAL_CHECKPOINT_SECONDS, Publish, StoreUpkeep
from queue_server.store.event_store import Commit, EventStore, StoredEvent
from queue_server.store.health import ServerReadOnly, StoreHealth, StoreUnavailable
from queue_server.store.replay import ReplayError, ReplayProblem, replay_store
from queue_server.trusted_clock import TrustedClock
from queue_server.views import retained_views

__all__ = ["DeviceInfo", "OfficeService", "Publish"]
logger = logging.getLogger(__name__)
REFUSED_LINE = "device=%s requests refused (one line a minute at most)"
AFTER_CLOSING = "predicted call after closing"
FORECAST_BATCH_BUDGET_S = 0.05
"""Time a batch may spend forecasting its new tickets (``_forecast_allowed``)."""
LEARNED_EVENTS = 200_000
"""How far back into the log the forecast's service times are learned at start."""
REPLY_CACHE_SIZE = 2_000
"""Recent replies kept in memory; a retry older than that is answered from the store (one query a batch)."""


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


class OfficeService(StoreUpkeep):
    def __init__(
        self,
        *,
        setup: OfficeSetup,
        store: EventStore,
        devices: Callable[[str], DeviceInfo | None],
        clock: Callable[[], datetime],
        new_id: Callable[[], str],
        max_payload_bytes: int = 4096,
        counter_devices: Callable[[], CounterDevices] = CounterDevices,
        health: StoreHealth | None = None,
        wal_checkpoint_seconds: float = WAL_CHECKPOINT_SECONDS,
        forecast: ForecastPolicy | None = None,
        check_in_before_minutes: int | None = None,
    ) -> None:
        """``counter_devices``: the registry's counter units, for their private views (``private_views``);
        ``forecast``: the ``[forecast]`` settings (the capacity cut-off, off by default)."""
        self.setup, self.store, self.devices = setup, store, devices
        self.clock, self.new_id, self.max_payload_bytes = clock, new_id, max_payload_bytes
        self.office_id = setup.office_id
        self.state = QueueState()
        self.check_in_before_minutes = check_in_before_minutes
        """``[remote]``: a remote number's check-in is refused further than this before its call (None: never)."""
        self.forecast = OfficeForecast(forecast)
        """Service times learned from every committed event: the issue reply's and the pages' forecast."""
        self.live = LiveOffice(lambda: self.state, clock=clock, times=lambda: self.forecast.times)
        """What the web pages read; every change of ``state`` happens inside ``live.writing()``."""
        self.health = health if health is not None else StoreHealth()
        self.read_only: ReplayProblem | None = None
        """Set at start when the log cannot be replayed: every request is then answered ``read_only``."""
        self._replies: OrderedDict[tuple[str, str], dict[str, Any]] = OrderedDict()
        self._published: dict[str, dict[str, Any]] = {}
        self._last_now: datetime | None = None
        self.private = PrivateViews(self.office_id, counter_devices)
        self.on_retry: Callable[[str], None] = lambda device_id: None
        """Called for a request answered with its earlier reply (the admission gate gives its token back)."""
        self._refused = PerMinuteSummary(logger, REFUSED_LINE)
        self._seq = 0
        """The seq of the last stored event the state holds."""
        self._uncertain = False
        """A commit failed: it may have been stored all the same (connection lost after COMMIT); checked first."""
        self._status_sent: tuple[object, ...] | None = None
        self._probed = self._checkpointed = time.monotonic()
        self._checkpoint_every = wal_checkpoint_seconds
        self._forecast_until = 0.0
        self._last_event_at: datetime | None = None
        """The ``at`` of the newest event (stored, or decided in this run): the floor of every new stamp."""

    # -- start-up ---------------------------------------------------------------------------------------------
    def start(self) -> list[Publish]:
        """Rebuild the state from the store, record a changed office setup, and return the retained state."""
        with self.live.writing():
            return self._start()

    def _start(self) -> list[Publish]:
        try:
            replayed = replay_store(self.store)
        except ReplayError as exc:
            return self._start_read_only(exc)
        self.state, self._seq, recorded = replayed.state, replayed.last_seq, replayed.setups
        self._last_event_at = replayed.last_at  # no stamp of this run goes below it, whatever the clock
        self._last_now = self._last_event_at
        logger.info("replayed %d events", self.state.event_count)
        # The forecast keeps a few hundred durations per service: the log's recent part is all it needs.
        self.forecast.learn(s.event for s in self.store.events(after_seq=max(0, self._seq - LEARNED_EVENTS)))
        if self.state.setup is not None:
            self.forecast.times.use_offset(self.state.setup.utc_offset_minutes)
        self.health.check_space(force=True)
        self._show_health()
        out = self._status_publishes()
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
            payload = (
                self._office_payload(view, stamp) if topic == self._office_topic else msg.encode({**view, "at": stamp})
            )
            if payload is None:
                continue
            self._published[topic] = view
            out.append(Publish(topic, payload, retain=True))
        counters = None if touched is None else _counters_of(touched)
        if only_changed and touched is None:
            counters = set(self.state.counters)
        for topic, private in self.private.changes(self.state, counters):
            payload = b"" if private is None else msg.encode({**private, "at": stamp})
            out.append(Publish(topic, payload, retain=True))
        return out

    @property
    def _office_topic(self) -> str:
        return topics.office_state(self.office_id)

    def _office_payload(self, view: dict[str, Any], stamp: str) -> bytes | None:
        """``state/office`` stamped ``published_at``; None (logged, the devices keep their copy) if too large."""
        try:
            return office_contract.encode(office_contract.Office.model_validate({**view, "published_at": stamp}))
        except office_contract.OfficeError as exc:
            logger.error("state/office NOT published: %s", exc)
            return None

    def earlier_reply(self, device_id: str, request_id: str) -> dict[str, Any] | None:
        """The reply already given to this request, if still in memory (read from paho's thread: one dict get)."""
        return self._replies.get((device_id, request_id))

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
        if not admitted:
            return out + self._status_publishes()  # a registry read may have failed
        self.health.check_space()
        try:
            self._reconcile()
            self._load_replies([(device.device_id, envelope.id) for device, envelope, _ in admitted])
        except ServerReadOnly:
            pass
        except Exception as exc:
            self.health.failed(exc, writing=False, refused=len(admitted))
            out += [self._not_now(d.device_id, e.id) for d, e, _ in admitted]
            return out + self._status_publishes()
        if self.read_only is not None:
            for device, envelope, _ in admitted:  # a retry of a request answered before is still answered
                earlier = self._replies.get((device.device_id, envelope.id))
                if earlier is None:
                    out.append(self._not_now(device.device_id, envelope.id))
                else:
                    out.append(Publish(topics.reply(self.office_id, device.device_id), msg.encode(earlier)))
            return out + self._status_publishes()
        savepoint = Savepoint(self.state)
        self._forecast_until = time.perf_counter() + FORECAST_BATCH_BUDGET_S
        try:
            for device, envelope, command in admitted:
                key = (device.device_id, envelope.id)
                if key in in_batch:
                    duplicates.append((device.device_id, in_batch[key]))
                    self.on_retry(device.device_id)
                    continue
                earlier = self._replies.get(key)
                if earlier is not None:
                    self.on_retry(device.device_id)
                    out.append(Publish(topics.reply(self.office_id, device.device_id), msg.encode(earlier)))
                    continue
                if self._refused_for_space(command):
                    out.append(self._not_now(device.device_id, envelope.id))
                    continue
                pending = self._decide(device.device_id, envelope.id, command, savepoint)
                in_batch[key] = pending
                batch.append(pending)
        except BaseException:
            savepoint.rollback()  # a bug in a decision must not leave the rest of the batch in the state
            raise
        stored = self._commit(batch, savepoint)
        if stored is None:
            # Nothing new was stored: the batch is answered "not now" and its devices resend (same ids).
            out += [self._not_now(p.device_id, p.request_id) for p in batch]
            out += [self._not_now(device_id, p.request_id) for device_id, p in duplicates]
            return out + self._status_publishes()
        for pending in batch:
            self.forecast.learn(pending.events)
            self._remember((pending.device_id, pending.request_id), pending.reply)
            out.append(Publish(topics.reply(self.office_id, pending.device_id), msg.encode(pending.reply)))
        for device_id, pending in duplicates:
            out.append(Publish(topics.reply(self.office_id, device_id), msg.encode(pending.reply)))
        if batch:
            out.extend(self.event_publishes(stored))
            out.extend(self.retained_state(touched=[e for p in batch for e in p.events]))
        return out + self._status_publishes()

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
        """Raises ``ServerReadOnly`` or ``StoreUnavailable`` (both RuntimeErrors) when nothing could be stored."""
        audit = command.entry if isinstance(command, Audited) else None
        command = command.command if isinstance(command, Audited) else command
        if self.read_only is not None:
            raise ServerReadOnly(str(self.read_only))
        try:
            self._reconcile()
        except ServerReadOnly:
            raise
        except Exception as exc:
            self.health.failed(exc, writing=False, refused=1)
            self._show_health()
            raise StoreUnavailable(self.health.status) from exc
        if self._refused_for_space(command):
            raise StoreUnavailable(self.health.status)
        try:
            self._check_clock(command, None)
        except msg.ContractError as exc:
            logger.warning("%s refused: %s: %s", type(command).__name__, exc.code.value, exc.message)
            return Reply.refused(None, exc.code.value, exc.message, self._stamp()).payload(), []
        savepoint = Savepoint(self.state)
        self._forecast_until = time.perf_counter() + FORECAST_BATCH_BUDGET_S
        try:
            pending = self._decide(device_id, None, command, savepoint)
        except BaseException:
            savepoint.rollback()
            raise
        if pending.events:
            pending.audit = audit  # a refused change is not audited: nothing changed
        stored = self._commit([pending], savepoint)
        self._show_health()
        if stored is None:
            raise StoreUnavailable(self.health.status)
        self.forecast.learn(pending.events)
        return pending.reply, self.event_publishes(stored) + self.retained_state(touched=pending.events)

    def _admit(
        self, topic: str, payload: bytes, out: list[Publish]
    ) -> tuple[DeviceInfo, msg.RequestEnvelope, cmd.Command] | None:
        where = topics.parse_request_topic(topic)
        if where is None:
            self._refused.add("(no device: unexpected topic)")
            logger.debug("ignored message on unexpected topic %r", topic[:200])
            return None
        office, device_id = where
        try:
            if office != self.office_id:
                raise msg.ContractError(msg.ErrorCode.WRONG_OFFICE, f"this server is office {self.office_id}")
            device = self._device(device_id, payload)
            if device is None:
                raise msg.ContractError(msg.ErrorCode.UNKNOWN_DEVICE, "device not registered or revoked")
            envelope, body = msg.parse_request(payload, self.max_payload_bytes)
            self._authorise(device, envelope, body)
            command = to_command(envelope, body, device_id)
            self._check_clock(command, envelope.id)
            return device, envelope, command
        except msg.ContractError as exc:
            if exc.code.value not in msg.TRANSIENT_CODES:  # those are logged once a minute by the store's health
                # Summarised, never a line per message: a hostile device could write the journal full.
                self._refused.add(f"{_printable(device_id)} code={exc.code.value}")
            logger.debug("device=%s rejected request: %s: %s", device_id[:40], exc.code.value, exc.message)
            error = exc
        except Exception:
            # One unreadable message must never cost the rest of its batch.
            if self._refused.add(f"{_printable(device_id)} code={msg.ErrorCode.INTERNAL.value}"):
                logger.exception("device=%s request could not be read", device_id[:40])
            error = msg.ContractError(msg.ErrorCode.INTERNAL, "the server could not read this request")
        request_id = error.request_id
        if request_id is None and error.code in (msg.ErrorCode.UNKNOWN_DEVICE, msg.ErrorCode.WRONG_OFFICE):
            # Refused before the payload was read: its id still goes back, or the device cannot tell which of
            # its requests this answers and drops the reply (a revoked device saw no unknown_device at all).
            request_id = request_id_of(payload)
        reply = Reply.refused(request_id, error.code.value, error.message, self._stamp()).payload()
        if topics.valid_id(device_id):
            out.append(Publish(topics.reply(self.office_id, device_id), msg.encode(reply)))
        return None

    def _device(self, device_id: str, payload: bytes) -> DeviceInfo | None:
        """The device registry is in the store too: while it cannot be read the request is "not now", never an
        error that would make the device drop it."""
        try:
            return self.devices(device_id)
        except Exception as exc:
            self.health.failed(exc, writing=False, refused=1)
            try:
                request_id: str | None = msg.parse_request(payload, self.max_payload_bytes)[0].id
            except msg.ContractError as bad:
                request_id = bad.request_id
            reason = self.health.status.reason or "the store is unavailable"
            raise msg.ContractError(msg.ErrorCode.STORE_UNAVAILABLE, reason, request_id) from exc

    @staticmethod
    def _authorise(device: DeviceInfo, envelope: msg.RequestEnvelope, body: Any) -> None:
        if not may_send(device.kind, envelope.type):
            raise msg.ContractError(
                msg.ErrorCode.FORBIDDEN, f"a {device.kind} may not send {envelope.type}", envelope.id
            )
        counter = msg.counter_of(body)
        if device.kind in BOUND_TO_A_COUNTER and counter is not None and counter != device.counter_id:
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

    def _decide(
        self, device_id: str | None, request_id: str | None, command: cmd.Command, savepoint: Savepoint
    ) -> _Pending:
        now = self._now()
        prediction = None
        if isinstance(command, cmd.IssueTicket) and self.state.setup is not None:
            prediction = self._new_ticket_forecast(command, now)
            if self.forecast.refuses(prediction, command.accept_late):
                assert prediction is not None
                logger.info("device=%s IssueTicket refused: predicted call after closing", device_id)
                error = ReplyError(
                    code=msg.ErrorCode.AFTER_CLOSING.value,
                    message=AFTER_CLOSING,
                    **self.forecast.refusal(prediction, self.state.setup, now),
                )
                reply = Reply(id=request_id, ok=False, error=error, at=now.isoformat()).payload()
                return _Pending(device_id or "", request_id or "", reply, [])
        if isinstance(command, cmd.CheckIn) and self.check_in_before_minutes is not None:
            early = self._check_in_early(command, now, device_id, request_id)
            if early is not None:
                return early
        try:
            events = decide(self.state, command, now, self.new_id)
        except CommandRejected as exc:
            # A refused setup change leaves the office on its old setup (or none): an error, never routine.
            level = logging.ERROR if isinstance(command, cmd.ConfigureOffice) else logging.INFO
            logger.log(level, "device=%s %s rejected: %s", device_id, type(command).__name__, exc)
            reply = Reply.refused(request_id, exc.reason.value, exc.detail, now.isoformat()).payload()
            return _Pending(device_id or "", request_id or "", reply, [])
        for event in events:
            savepoint.apply(event)
            self._last_event_at = event.at
        reply = Reply.accepted(request_id or "", self._result(events, prediction, now), now.isoformat()).payload()
        return _Pending(device_id or "", request_id or "", reply, events)

    def _check_in_early(
        self, command: cmd.CheckIn, now: datetime, device_id: str | None, request_id: str | None
    ) -> _Pending | None:
        """A remote number's check-in before its window (``remote/window.py``): refused, nothing stored."""
        from queue_server.remote import window

        assert self.check_in_before_minutes is not None and self.state.setup is not None
        before = self.check_in_before_minutes
        prediction = window.too_early(self.state, self.forecast.times, now, command.check_in_code, before)
        if prediction is None:
            return None
        logger.info("device=%s CheckIn refused: too early", device_id)
        fields = window.refusal_fields(prediction, self.state.setup, now, before)
        error = ReplyError(code=msg.ErrorCode.CHECK_IN_EARLY.value, message=window.EARLY, **fields)
        reply = Reply(id=request_id, ok=False, error=error, at=now.isoformat()).payload()
        return _Pending(device_id or "", request_id or "", reply, [])

    def _new_ticket_forecast(self, command: cmd.IssueTicket, now: datetime) -> Prediction | None:
        """The forecast of the ticket this issue would create, before deciding it (so the cut-off can refuse
        with nothing stored). The day's first ticket is forecast after it is decided (``_result``): a new day
        expires the waiting tickets the state still holds."""
        assert self.state.setup is not None
        if self.state.day != local_day(now, self.state.setup.utc_offset_minutes) or not self._forecast_allowed():
            return None
        return self.forecast.new_ticket(self.state, now, command.service_id, command.priority)

    def _forecast_allowed(self) -> bool:
        """Within the batch's forecast budget: a burst of hundreds of issues in one batch (a flood, a bench)
        must not hold every reply for hundreds of forecasts; past the budget a reply goes without one (and the
        cut-off does not apply to it), the pages still forecast every ticket."""
        return time.perf_counter() <= self._forecast_until

    def _commit(self, batch: list[_Pending], savepoint: Savepoint) -> list[list[StoredEvent]] | None:
        """Store the batch; on failure undo its decisions (``savepoint``) and return None: nothing happened."""
        if not batch:
            return []
        commits = [Commit(p.device_id or None, p.request_id or None, p.events, p.reply, p.audit) for p in batch]
        try:
            stored = self.store.commit(commits)
        except Exception as exc:
            savepoint.rollback()
            self._uncertain = True
            self.health.failed(exc, writing=True, refused=len(batch))
            return None
        self._seq = max((e.seq for group in stored for e in group), default=self._seq)
        self.health.succeeded(wrote=True)
        return stored

    def event_publishes(self, stored: Iterable[list[StoredEvent]]) -> list[Publish]:
        """Committed events for the province bridge, in the JSON Lines schema of docs/events.md."""
        from queue_server.store.jsonl import province_record

        topic = topics.event_stream(self.office_id)
        return [Publish(topic, msg.encode(province_record(e))) for group in stored for e in group]

    def _result(self, events: list[ev.Event], prediction: Prediction | None, now: datetime) -> dict[str, Any]:
        result: dict[str, Any] = {"events": [type(e).__name__ for e in events]}
        for event in events:
            if isinstance(event, ev.TicketIssued):
                new_day = any(isinstance(e, ev.DayStarted) for e in events)
                if prediction is None and new_day and self._forecast_allowed():
                    prediction = self.forecast.ticket(self.state, now, event.ticket_id)
                assert self.state.setup is not None
                if prediction is not None:
                    result["forecast"] = forecast_json(prediction, now, self.state.setup)
                result["ticket"] = {
                    "ticket_id": event.ticket_id,
                    "label": event.label,
                    "number": event.number,
                    "service_id": event.service_id,
                    "priority": event.priority,
                    "day": event.day.isoformat(),
                    # In the engine's calling order across counters (priority policy included), not the line's.
                    "people_ahead": prediction.position if prediction else self.state.people_ahead(event.ticket_id),
                }
            elif isinstance(event, ev.RemoteBooked | ev.RemoteCheckedIn):  # remote numbers (issue 14)
                ticket = self.state.tickets.get(event.ticket_id)
                result["ticket"] = {"ticket_id": event.ticket_id, "label": ticket.label if ticket else None}
            elif isinstance(event, ev.TicketCalled | ev.TicketRecalled | ev.TicketRated | ev.TicketSkipped):
                ticket = self.state.tickets.get(event.ticket_id)
                result["ticket"] = {"ticket_id": event.ticket_id, "label": ticket.label if ticket else None}
                result["counter_id"] = event.counter_id
        return result

    def chores(self) -> list[Publish]:
        """Every few seconds from the ingest worker: log the refusal counts of the minute that ended, and clear
        the private view of a counter unit revoked meanwhile (or send one to a unit added meanwhile)."""
        self._refused.flush()
        stamp = self._stamp()
        try:
            changes = self.private.changes(self.state, set())
        except (SQLAlchemyError, OSError) as exc:
            # The registry is in the database: while it is down the store's health already says so (once a
            # minute); the views are brought up to date at the first tick after it is back.
            self.health.failed(exc, writing=False)
            return []
        return [
            Publish(topic, b"" if view is None else msg.encode({**view, "at": stamp}), retain=True)
            for topic, view in changes
        ]

    def _check_clock(self, command: cmd.Command, request_id: str | None) -> None:
        """Refuse (``clock_not_synced``, not remembered) a ticket or a new day the clock cannot be trusted for."""
        if not isinstance(self.clock, TrustedClock) or self.state.setup is None:
            return
        if isinstance(command, cmd.ConfigureOffice | cmd.UploadCatalogue):
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


def _counters_of(events: Iterable[ev.Event]) -> set[str] | None:
    """The counters these events can have changed; None for all of them (a new setup, a new day)."""
    events = list(events)
    if any(isinstance(e, ev.OfficeConfigured | ev.DayStarted) for e in events):
        return None
    return {c for e in events for c in (getattr(e, "counter_id", None), getattr(e, "from_counter_id", None)) if c}


def _printable(device_id: str) -> str:
    """A device id fit for a log line (the topic level may hold anything the broker let through)."""
    return device_id if topics.valid_id(device_id) else "(invalid id)"
