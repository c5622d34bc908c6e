"""The SMS a remote number's citizen receives after booking: "your turn is near" and "called", each once.

``RemoteNotices.tick`` runs every couple of seconds on a thread of its own (``ProjectionKeeper``'s loop): it
reads the events committed since its last look from the store (so a call is told only once it is durable, and
the ingest path never waits for it), sends "called" for every call of a remote number (``Mời số A023 đến quầy
2``), and, at most every ``near_every`` seconds, asks the forecast of each of today's remote numbers still to
be called whether the turn is near (``[remote] near_minutes`` or ``near_position``). Each message has its
``dedupe_key`` (the notifier sends a key once) and the phone store remembers a sent "near", so neither repeats
across restarts. ``WaitingRemotePhones`` gives the manager's broadcast the phones of those still waiting.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable
from datetime import timedelta

from queue_server.engine import events as ev
from queue_server.engine.decide import local_day
from queue_server.live import LiveOffice
from queue_server.notify.notifier import Notifier, OutgoingSms, Purpose, masked_phone
from queue_server.remote import texts
from queue_server.remote.phone_store import PhoneStore
from queue_server.remote.policy import RemotePolicy
from queue_server.store.event_store import EventStore

logger = logging.getLogger(__name__)
NEAR_EVERY_SECONDS = 30.0
"""The forecast moves with time alone: looked at this often even when nothing happened..."""
NEAR_AFTER_CHANGE_SECONDS = 2.0
"""... and this soon after the log changed (a booking, a call)."""
REPLAYED_AT_START = 2_000
"""Events looked at again after a restart: a call committed just before it still gets its SMS (once: its key)."""
STILL_TO_CALL = ("booked", "waiting")


class RemoteNotices:
    def __init__(
        self,
        *,
        store: EventStore,
        live: LiveOffice,
        phones: PhoneStore,
        notifier: Notifier,
        policy: RemotePolicy,
        near_every: float = NEAR_EVERY_SECONDS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store, self.live, self.phones, self.notifier, self.policy = store, live, phones, notifier, policy
        self._near_every, self._monotonic = near_every, monotonic
        self._seq = max(0, store.last_seq() - REPLAYED_AT_START)
        self._near_at = float("-inf")

    def tick(self) -> None:
        changed = False
        for stored in self.store.events(after_seq=self._seq):
            self._seq, changed = stored.seq, True
            if isinstance(stored.event, ev.TicketCalled):
                self._called(stored.event)
        since = self._monotonic() - self._near_at
        if since >= self._near_every or (changed and since >= min(self._near_every, NEAR_AFTER_CHANGE_SECONDS)):
            self._near_at = self._monotonic()
            self.check_near()

    def _called(self, event: ev.TicketCalled) -> None:
        phone = self.phones.phone_of(event.ticket_id)
        setup = self.live.snapshot().setup
        if phone is None or setup is None:
            return
        ticket = self.live.ticket(event.ticket_id)
        counter = setup.counter(event.counter_id)
        if ticket is None or counter is None:
            return
        key = f"called:{event.ticket_id}:{event.segment}"
        if self.notifier.enqueue(OutgoingSms(phone, texts.called(ticket.label, counter.number), Purpose.CALLED, key)):
            logger.info("remote %s called: SMS to %s", ticket.label, masked_phone(phone))

    def check_near(self) -> None:
        setup = self.live.snapshot().setup
        if setup is None:
            return
        now = self.live.now()
        day = local_day(now, setup.utc_offset_minutes)
        purged = self.phones.purge(now, day - timedelta(days=self.policy.retention_days))
        if purged:
            logger.info("remote numbers: %d phone numbers deleted (retention over)", purged)
        if not (self.policy.near_minutes or self.policy.near_position):
            return
        for ticket_id in self.phones.tickets_of(day):
            ticket = self.live.ticket(ticket_id)
            if ticket is None or ticket.status not in STILL_TO_CALL:
                continue
            minutes = None
            if ticket.forecast is not None:
                minutes = max(0, int((ticket.forecast.low - now).total_seconds() // 60))
            by_time = self.policy.near_minutes and minutes is not None and minutes <= self.policy.near_minutes
            by_place = self.policy.near_position and ticket.people_ahead <= self.policy.near_position
            if not (by_time or by_place) or not self.phones.first_near(ticket_id):
                continue
            phone = self.phones.phone_of(ticket_id)
            if phone is None:
                continue
            wording = texts.turn_near if ticket.status == "booked" else texts.turn_near_waiting
            text = wording(ticket.label, minutes, ticket.people_ahead)
            self.notifier.enqueue(OutgoingSms(phone, text, Purpose.TURN_NEAR, f"near:{ticket_id}"))
            logger.info("remote %s near: SMS to %s", ticket.label, masked_phone(phone))


class WaitingRemotePhones:
    """``notify.notifier.WaitingPhones`` for the manager's broadcast: today's remote numbers still to be called."""

    def __init__(self, phones: PhoneStore, live: LiveOffice) -> None:
        self.phones, self.live = phones, live

    def waiting_phones(self) -> Iterable[str]:
        setup = self.live.snapshot().setup
        if setup is None:
            return []
        day = local_day(self.live.now(), setup.utc_offset_minutes)
        ids = [t for t in self.phones.tickets_of(day) if (v := self.live.ticket(t)) and v.status in STILL_TO_CALL]
        return sorted(set(self.phones.phones_of(ids).values()))
