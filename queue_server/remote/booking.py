"""Booking a remote number: the phone, the one-time code by SMS, the caps, then ``BookRemote`` in the engine.

Two steps, as the public page has them: ``start`` (service and phone: checks the limits, sends a code, returns
a token for the confirmation form) and ``confirm`` (token and code: books). Every refusal is a ``Refusal``
whose ``code`` the page words in Vietnamese and English; nothing here echoes a phone number (the log shows its
last three digits at most).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from queue_server.engine import commands as cmd
from queue_server.engine import hours as opening
from queue_server.engine.decide import local_day
from queue_server.engine.errors import Reason
from queue_server.engine.setup import OfficeSetup
from queue_server.live import LiveOffice
from queue_server.notify.notifier import Notifier, OutgoingSms, Purpose, masked_phone
from queue_server.remote import texts
from queue_server.remote.capacity import day_capacity
from queue_server.remote.phone_store import Pending, PhoneStore
from queue_server.remote.phones import BadPhone, normalised, phone_key
from queue_server.remote.policy import RemotePolicy
from queue_server.web.login_limits import Window, address_key

logger = logging.getLogger(__name__)
CODE_DRAWS = 8
"""Check-in codes drawn before giving up on a free one (a million codes, a few hundred numbers a day)."""


@dataclass(frozen=True)
class Refusal:
    code: str
    """``disabled``, ``unknown_service``, ``bad_phone``, ``closed``, ``after_closing``, ``locked``, ``too_many_codes``,
    ``address_limit``, ``phone_cap``, ``service_cap``, ``day_cap``, ``sms_unavailable``, ``expired``,
    ``wrong_code``, ``unavailable``."""
    left: int = 0
    """Attempts left after a wrong code."""


@dataclass(frozen=True)
class CodeSent:
    token: str
    masked: str
    minutes: int


@dataclass(frozen=True)
class Booked:
    ticket_id: str
    label: str


Execute = Callable[[cmd.Command], Mapping[str, Any]]


class RemoteDesk:
    """The public booking's logic, apart from Flask so that the simulator and the tests drive it directly."""

    def __init__(
        self,
        *,
        policy: RemotePolicy,
        phones: PhoneStore,
        notifier: Notifier,
        execute: Execute,
        live: LiveOffice,
        secret: str,
    ) -> None:
        self.policy, self.phones, self.notifier, self.execute, self.live = policy, phones, notifier, execute, live
        self._secret = secret
        self._lock = threading.Lock()
        self._addresses = Window(policy.codes_per_address_per_hour, 3600.0)

    # -- step 1: service and phone ----------------------------------------------------------------------------
    def start(self, service_id: str, phone_text: str, address: str) -> CodeSent | Refusal:
        setup = self._setup()
        if not self.policy.enabled or setup is None:
            return Refusal("disabled")
        if setup.service(service_id) is None:
            return Refusal("unknown_service")
        try:
            phone = normalised(phone_text)
        except BadPhone:
            return Refusal("bad_phone")
        now = self.live.now()
        day = local_day(now, setup.utc_offset_minutes)
        key = phone_key(self._secret, phone)
        with self._lock:
            self.phones.purge(now, day - timedelta(days=self.policy.retention_days))
            refused = self._hours(setup, now) or self._locks(key, day) or self._caps(setup, key, service_id, day)
            if refused is None and self._address_full(address):
                refused = Refusal("address_limit")
            if refused is None and self.policy.cutoff:
                prediction = self.live.booking_forecast(None, service_id)
                if prediction is not None and prediction.after_closing:
                    refused = Refusal("after_closing")
            if refused is not None:
                logger.info("remote booking for %s refused: %s", masked_phone(phone), refused.code)
                return refused
            token = secrets.token_urlsafe(24)
            code = f"{secrets.randbelow(1_000_000):06d}"
            expires = now + timedelta(minutes=self.policy.code_minutes)
            self.phones.add_pending(Pending(token, phone, key, service_id, self._code_hash(token, code), expires))
            self.phones.count(key, day, sent=1)
        text = texts.one_time_code(setup.name, code, self.policy.code_minutes)
        if not self.notifier.enqueue(OutgoingSms(phone, text, Purpose.ONE_TIME_CODE, f"otp:{token}")):
            self.phones.drop_pending(token)
            return Refusal("sms_unavailable")
        return CodeSent(token, masked_phone(phone), self.policy.code_minutes)

    # -- step 2: the code -------------------------------------------------------------------------------------
    def confirm(self, token: str, code: str) -> Booked | Refusal:
        setup = self._setup()
        if not self.policy.enabled or setup is None:
            return Refusal("disabled")
        now = self.live.now()
        day = local_day(now, setup.utc_offset_minutes)
        with self._lock:
            entry = self.phones.pending(token)
            if entry is None or entry.expires_at <= now:
                return Refusal("expired")
            locked = self._locks(entry.phone_key, day, sending=False)
            if locked is not None:
                self.phones.drop_pending(token)
                return locked
            if not hmac.compare_digest(entry.code_hash, self._code_hash(token, code.strip())):
                self.phones.count(entry.phone_key, day, wrong=1)
                wrong = self.phones.day_counts(entry.phone_key, day)[1]
                left = max(0, self.policy.wrong_codes_lock - wrong)
                logger.info("remote booking for %s: wrong code (%d left)", masked_phone(entry.phone), left)
                if left == 0:
                    self.phones.drop_pending(token)
                    return Refusal("locked")
                return Refusal("wrong_code", left)
            refused = self._hours(setup, now) or self._caps(setup, entry.phone_key, entry.service_id, day)
            if refused is not None:
                self.phones.drop_pending(token)
                return refused
            booked = self._book(entry.service_id)
            if booked is None:
                return Refusal("unavailable")
            purge_after = _end_of(day, setup) + timedelta(days=self.policy.retention_days)
            self.phones.add_phone(booked.ticket_id, entry.phone, entry.phone_key, entry.service_id, day, purge_after)
            self.phones.drop_pending(token)
        logger.info("remote number %s booked for %s", booked.label, masked_phone(entry.phone))
        return booked

    # -- the rules ----------------------------------------------------------------------------------------------
    def _setup(self) -> OfficeSetup | None:
        return self.live.snapshot().setup

    def _hours(self, setup: OfficeSetup, now: datetime) -> Refusal | None:
        """Today only, while the office has a session still to come or going on."""
        local = opening.to_local(now, setup.utc_offset_minutes)
        closing = opening.closing_datetime(setup.hours, local.date())
        if closing is None or local.replace(tzinfo=None) >= closing:
            return Refusal("closed")
        return None

    def _locks(self, key: str, day: date, sending: bool = True) -> Refusal | None:
        sent, wrong = self.phones.day_counts(key, day)
        if wrong >= self.policy.wrong_codes_lock:
            return Refusal("locked")
        if sending and sent >= self.policy.codes_per_phone_per_day:
            return Refusal("too_many_codes")
        return None

    def _caps(self, setup: OfficeSetup, key: str, service_id: str, day: date) -> Refusal | None:
        if self.phones.booked_count(day, phone_key=key) >= self.policy.per_phone_per_day:
            return Refusal("phone_cap")
        if self.phones.booked_count(day, service_id=service_id) >= self.policy.per_service_per_day:
            return Refusal("service_cap")
        capacity = day_capacity(setup, day, self.live.mean_service_seconds())
        if self.phones.booked_count(day) >= int(self.policy.capacity_share * capacity):
            return Refusal("day_cap")
        return None

    def _address_full(self, address: str) -> bool:
        key, now = address_key(address), time.monotonic()
        if self._addresses.full(key, now):
            return True
        self._addresses.add(key, now)
        return False

    def _code_hash(self, token: str, code: str) -> str:
        return hmac.new(self._secret.encode(), f"{token}:{code}".encode(), hashlib.sha256).hexdigest()

    def _book(self, service_id: str) -> Booked | None:
        for _ in range(CODE_DRAWS):
            reply = self.execute(cmd.BookRemote(service_id, f"{secrets.randbelow(1_000_000):06d}"))
            if reply.get("ok"):
                ticket = reply["result"]["ticket"]
                return Booked(ticket["ticket_id"], ticket["label"])
            if (reply.get("error") or {}).get("code") != Reason.CHECK_IN_CODE_IN_USE.value:
                logger.warning("BookRemote refused: %s", (reply.get("error") or {}).get("code"))
                return None
        return None


def _end_of(day: date, setup: OfficeSetup) -> datetime:
    """The end of the office's local ``day`` as a UTC instant."""
    midnight = datetime.combine(day + timedelta(days=1), datetime.min.time())
    return (midnight - timedelta(minutes=setup.utc_offset_minutes)).replace(tzinfo=UTC)
