"""A live, thread-safe view of the office for the web pages: the queue as the server holds it, and device health.

The ingest thread changes the queue state only inside ``LiveOffice.writing()``; the web threads read it only
through ``snapshot()`` / ``ticket()``, under the same lock, so a page never sees a half-applied batch (nor a
decision whose commit failed: the service rolls its state back before the lock is released). Every change bumps
``version`` and wakes the server-sent-event streams waiting in ``wait_for_change``. Snapshots are built lazily,
once per version, from whoever asks first: the engine stays pure and the ingest thread pays nothing when nobody
watches. A web process without a server (``flask run``, tests) uses ``LiveOffice.following(store)``, which
applies the store's new events on each read instead of replaying them all per request.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime

from queue_server.contract.messages import ContractError
from queue_server.contract.payloads import DeviceStatus
from queue_server.engine.calling import serves
from queue_server.engine.setup import OfficeSetup
from queue_server.engine.state import QueueState, Ticket, TicketStatus
from queue_server.forecast.office_hours import forecaster
from queue_server.forecast.predict import Prediction
from queue_server.forecast.service_times import ServiceTimes
from queue_server.queue_order import QueuedTicket, call_order
from queue_server.store.event_store import EventStore
from queue_server.store.health import StoreStatus

logger = logging.getLogger(__name__)
STORE_OK = StoreStatus()
FOLLOW_POLL_SECONDS = 1.0
FORECAST_REFRESH_S = 15.0
"""How long the pages' all-tickets forecast is reused while the office changes (``_all_forecasts``)."""
"""How often a store-following view looks for new events while a stream waits."""


@dataclass(frozen=True)
class WaitingLine:
    service_id: str
    count: int
    oldest_label: str | None = None
    oldest_since: datetime | None = None
    """When the longest-waiting ticket joined the line (issued, or put back after a no-show)."""


@dataclass(frozen=True)
class CounterView:
    counter_id: str
    number: int
    name: str
    status: str
    """``open`` (serving a ticket), ``paused``, or ``idle`` (open for the next ticket, none in service)."""
    staff_id: str | None
    ticket_label: str | None
    service_id: str | None
    since: datetime | None
    display_name: str | None = None
    """The serving citizen's masked name, for the staff console only (the public pages never show it)."""


@dataclass(frozen=True)
class DeviceHealth:
    device_id: str
    kind: str
    online: bool
    alarms: tuple[str, ...]
    since: datetime
    """Server time when this device's online flag or alarms last changed (or when the server first heard it)."""


@dataclass(frozen=True)
class TicketView:
    """What the public ticket page shows: nothing personal."""

    ticket_id: str
    label: str
    service_id: str
    status: str
    counter_id: str | None
    people_ahead: int
    forecast: Prediction | None = None
    """When it will be called (while it waits and an open counter serves it)."""
    check_in_code: str | None = None
    """A remote number not checked in yet: the code its citizen gives the kiosk (nothing personal)."""
    remote: bool = False


@dataclass(frozen=True)
class OfficeSnapshot:
    version: int
    setup: OfficeSetup | None
    """The office setup the queue runs on now (the last ``OfficeConfigured`` event)."""
    day: date | None
    waiting: tuple[WaitingLine, ...]
    counters: tuple[CounterView, ...]
    devices: tuple[DeviceHealth, ...]
    store: StoreStatus = STORE_OK
    """The database's health: a problem here is the alarm at the top of ``/live`` and the console."""

    def longest_wait(self, now: datetime) -> tuple[WaitingLine, float] | None:
        """The line whose first ticket has waited longest, and that wait in seconds."""
        lines = [line for line in self.waiting if line.oldest_since is not None]
        if not lines:
            return None
        line = min(lines, key=lambda w: w.oldest_since or now)
        return line, max(0.0, (now - (line.oldest_since or now)).total_seconds())

    def overdue(self, now: datetime, threshold_seconds: float) -> list[tuple[WaitingLine, float]]:
        """Lines whose first ticket has waited longer than ``threshold_seconds``, longest first."""
        waits = [(w, (now - w.oldest_since).total_seconds()) for w in self.waiting if w.oldest_since is not None]
        return sorted((pair for pair in waits if pair[1] > threshold_seconds), key=lambda p: -p[1])

    def troubled_devices(self) -> tuple[DeviceHealth, ...]:
        return tuple(d for d in self.devices if not d.online or d.alarms)


class LiveOffice:
    def __init__(
        self,
        state: Callable[[], QueueState],
        *,
        refresh: Callable[[], bool] | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        times: Callable[[], ServiceTimes] | None = None,
    ) -> None:
        """``times``: the service times the forecasts draw from (learned by whoever applies the events)."""
        self._state = state
        self._times = times or (lambda: ServiceTimes())
        self._forecasts: tuple[tuple[int, int, datetime], dict[str, Prediction]] | None = None
        """((state id, event count, computed at), forecasts): the pages' last all-tickets forecast."""
        self.now = clock
        """Server time, for waits counted up to now (the service's clock)."""
        self._refresh = refresh
        self._changed = threading.Condition(threading.RLock())
        self._version = 0
        self._snapshot: OfficeSnapshot | None = None
        self._devices: dict[str, DeviceHealth] = {}
        self._bad_status: dict[str, str] = {}
        self._server_alarms: dict[str, set[str]] = {}
        self._reported: dict[str, tuple[str, ...]] = {}
        """Alarms the server raises about a device (``flooding``), beside the ones the device reports."""
        self._store = STORE_OK
        self._closed = False

    @classmethod
    def following(cls, store: EventStore) -> LiveOffice:
        """A view that catches up with ``store`` on each read (a web process running beside, not in, the server)."""
        follower = _StoreFollower(store)
        return cls(lambda: follower.state, refresh=follower.catch_up, times=lambda: follower.times)

    @property
    def version(self) -> int:
        return self._version

    @property
    def closed(self) -> bool:
        return self._closed

    # -- writers ----------------------------------------------------------------------------------------------
    @contextmanager
    def writing(self) -> Iterator[None]:
        """Hold the view while the queue state changes; readers see it before or after, and are woken."""
        with self._changed:
            before = self._state()
            count = before.event_count
            try:
                yield
            finally:
                after = self._state()
                if after is not before or after.event_count != count:
                    self._bump()

    def device_status(self, device_id: str, kind: str, payload: bytes, now: datetime) -> None:
        """A device's retained status arrived; a malformed one is logged once and the previous one kept."""
        try:
            status = DeviceStatus.parse(payload)
        except ContractError as exc:
            with self._changed:
                first = self._bad_status.get(device_id) != exc.message
                self._bad_status[device_id] = exc.message
            if first:
                logger.warning("device=%s sent a malformed status, previous one kept: %s", device_id, exc.message)
            return
        with self._changed:
            self._bad_status.pop(device_id, None)
            self._reported[device_id] = tuple(sorted(a.value for a in status.alarms))
            self._set_health(device_id, kind, status.online, now)

    def server_alarm(self, device_id: str, kind: str, code: str, active: bool, now: datetime | None = None) -> None:
        """Raise or clear an alarm the server itself sees about a registered device (e.g. ``flooding``)."""
        with self._changed:
            codes = self._server_alarms.setdefault(device_id, set())
            if active:
                codes.add(code)
            else:
                codes.discard(code)
            old = self._devices.get(device_id)
            # A device sending requests is connected, whatever status it published (or did not).
            self._set_health(device_id, kind, old.online if old is not None else True, now or self.now())

    def _set_health(self, device_id: str, kind: str, online: bool, now: datetime) -> None:
        alarms = tuple(sorted({*self._reported.get(device_id, ()), *self._server_alarms.get(device_id, ())}))
        old = self._devices.get(device_id)
        if old is not None and (old.online, old.alarms, old.kind) == (online, alarms, kind):
            return
        self._devices[device_id] = DeviceHealth(device_id, kind, online, alarms, now)
        self._bump()

    def store_status(self, status: StoreStatus) -> None:
        """The service's view of the database changed (down, full, back); shown on the next snapshot."""
        with self._changed:
            if status.shown() == self._store.shown():
                self._store = status
                return
            self._store = status
            self._bump()

    def close(self) -> None:
        """Wake every waiting stream for good (the server is stopping)."""
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def _bump(self) -> None:
        self._version += 1
        self._changed.notify_all()

    # -- readers ----------------------------------------------------------------------------------------------
    def snapshot(self) -> OfficeSnapshot:
        with self._changed:
            self._catch_up()
            if self._snapshot is None or self._snapshot.version != self._version:
                self._snapshot = _build(self._state(), self._version, self._devices, self._store)
            return self._snapshot

    def state_copy(self) -> QueueState:
        """A deep copy of the queue state, for a simulation of what comes next (``simulate.ahead``)."""
        with self._changed:
            self._catch_up()
            return copy.deepcopy(self._state())

    def ticket(self, ticket_id: str) -> TicketView | None:
        with self._changed:
            self._catch_up()
            state = self._state()
            ticket = state.tickets.get(ticket_id)
            if ticket is None:
                return None
            if ticket.status is TicketStatus.BOOKED:  # a remote number: its call if its citizen checked in now
                forecast = self._booked_forecast(state, ticket)
            else:
                forecast = self._all_forecasts(state, ticket_id).get(ticket_id)
            ahead = forecast.position if forecast else state.people_ahead(ticket_id)
            code = next((c for c, t in state.check_in_codes.items() if t == ticket_id), None)
            return TicketView(
                ticket.id, ticket.label, ticket.service_id, ticket.status.value, ticket.counter_id, ahead, forecast,
                code, ticket.remote,
            )  # fmt: skip

    def booking_forecast(self, ticket_id: str | None, service_id: str) -> Prediction | None:
        """A remote number's forecast as if it waited now: a booked one (``ticket_id``) at its kept place, or
        one booked now (``ticket_id`` None) at the end of its line (the booking cut-off, the check-in window)."""
        with self._changed:
            self._catch_up()
            state = self._state()
            if state.setup is None:
                return None
            ticket = state.booked.get(ticket_id) if ticket_id else None
            if ticket is None:
                ticket = Ticket("\0booking", service_id, 0, "", state.day or date.min, None, self.now())
                ticket.queue_key = (1, state.enqueue_seq + 1)
            return self._booked_forecast(state, ticket)

    def mean_service_seconds(self) -> float | None:
        """The mean of the learned service times, all services (the remote caps' day capacity)."""
        setup = self._state().setup
        if setup is None:
            return None
        times = self._times()
        seen = [x for service in setup.services for x in times.observations(service.id)]
        return sum(seen) / len(seen) if seen else None

    def _booked_forecast(self, state: QueueState, ticket: Ticket) -> Prediction | None:
        if state.setup is None:
            return None
        stand_in = copy.copy(ticket)
        stand_in.status = TicketStatus.WAITING
        return forecaster(state, self._times(), self.now(), stand_in).ticket(ticket.id)

    def forecasts(self) -> dict[str, Prediction]:
        """Every waiting ticket's forecast (``/live``, the console), computed once per state and minute."""
        with self._changed:
            self._catch_up()
            return self._all_forecasts(self._state())

    def upcoming(self, limit: int) -> list[tuple[str, str, bool, Prediction]]:
        """(label, service id, priority?, forecast) of the next ``limit`` calls the forecast sees, soonest first:
        what ``/live`` lists (nothing personal)."""
        with self._changed:
            self._catch_up()
            state = self._state()
            found = self._all_forecasts(state)
            rows = [
                (ticket.label, ticket.service_id, ticket.priority is not None, prediction)
                for ticket_id, prediction in found.items()
                if (ticket := state.tickets.get(ticket_id)) is not None
            ]
        return sorted(rows, key=lambda r: (r[3].median, r[3].position))[:limit]

    def _all_forecasts(self, state: QueueState, need: str | None = None) -> dict[str, Prediction]:
        """The console and ``/live`` (``need`` None) reuse it for ``FORECAST_REFRESH_S`` while the office changes
        (each console re-renders on every event, and the runs hold the view's lock); a ticket page (``need``, its
        ticket) gets one as of the latest event, so its place is never stale."""
        if state.setup is None or not state.waiting:
            return {}
        now = self.now()
        if self._forecasts is not None:
            (state_id, version, at), found = self._forecasts
            fresh = state_id == id(state) and 0 <= (now - at).total_seconds() < FORECAST_REFRESH_S
            if fresh and (version == state.event_count or need is None):
                return found
        found = forecaster(state, self._times(), now).all()
        self._forecasts = ((id(state), state.event_count, now), found)
        return found

    def queue(self, counter_id: str) -> tuple[QueuedTicket, ...]:
        """The tickets waiting for this counter, in the order its next calls would take them (``call_order``)."""
        with self._changed:
            self._catch_up()
            state = self._state()
            setup = state.setup
            counter = setup.counter(counter_id) if setup else None
            live = state.counters.get(counter_id)
            if setup is None or counter is None or live is None:
                return ()
            mine = [t for t in state.waiting.values() if serves(counter, t.service_id, t.target_counter_id)]
            ordered = call_order(mine, setup, live.normals_since_priority)
            forecasts = self._all_forecasts(state)
            return tuple(
                QueuedTicket(
                    t.id,
                    t.label,
                    t.service_id,
                    t.priority is not None,
                    t.status_since or t.issued_at,
                    forecasts.get(t.id),
                )
                for t in ordered
            )

    def wait_for_change(self, seen_version: int, timeout: float) -> int:
        """Block until the version differs from ``seen_version``, the view closes, or ``timeout`` passes."""
        with self._changed:
            if self._refresh is None:
                self._changed.wait_for(lambda: self._version != seen_version or self._closed, timeout)
                return self._version
        waited = 0.0
        while waited < timeout and not self._closed:
            with self._changed:
                self._catch_up()
                if self._version != seen_version:
                    break
                self._changed.wait(min(FOLLOW_POLL_SECONDS, timeout - waited))
            waited += FOLLOW_POLL_SECONDS
        return self._version

    def _catch_up(self) -> None:
        if self._refresh is not None and self._refresh():
            self._bump()


class _StoreFollower:
    def __init__(self, store: EventStore) -> None:
        self.store = store
        self.state = QueueState()
        self.times = ServiceTimes()
        self.seq = 0

    def catch_up(self) -> bool:
        """Apply the events committed since the last look; True if there were any."""
        if self.store.last_seq() == self.seq:
            return False
        for stored in self.store.events(after_seq=self.seq):
            self.state.apply(stored.event)
            self.times.observe(stored.event)
            self.seq = stored.seq
        return True


def _build(
    state: QueueState, version: int, devices: dict[str, DeviceHealth], store: StoreStatus = STORE_OK
) -> OfficeSnapshot:
    setup = state.setup
    oldest: dict[str, tuple[str, datetime]] = {}
    for waiting_ticket in state.waiting.values():
        since = waiting_ticket.status_since or waiting_ticket.issued_at
        known = oldest.get(waiting_ticket.service_id)
        if known is None or since < known[1]:
            oldest[waiting_ticket.service_id] = (waiting_ticket.label, since)
    counts = state.waiting_counts()
    waiting = tuple(
        WaitingLine(sid, n, *oldest[sid]) if sid in oldest else WaitingLine(sid, n) for sid, n in counts.items()
    )
    counters = []
    for counter in setup.counters if setup else ():
        live = state.counters.get(counter.id)
        ticket = state.tickets.get(live.serving_ticket_id or "") if live else None
        status = "paused" if live and live.paused else "open" if ticket is not None else "idle"
        counters.append(
            CounterView(
                counter.id,
                counter.number,
                counter.name,
                status,
                live.staff_id if live else None,
                ticket.label if ticket else None,
                ticket.service_id if ticket else None,
                ticket.status_since if ticket and ticket.status is TicketStatus.SERVING else None,
                ticket.display_name if ticket else None,
            )
        )
    health = tuple(sorted(devices.values(), key=lambda d: d.device_id))
    return OfficeSnapshot(version, setup, state.day, waiting, tuple(counters), health, store)
