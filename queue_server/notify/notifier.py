"""The one interface the server uses to tell a citizen something by SMS, and the phones it may tell.

Why an interface: the remote-number and appointment code (one-time codes, "your turn is near", "called") and the
manager's broadcast must not know whether a GSM modem, a queue on disk or only a log line is behind it. A
``Notifier`` promises only that an accepted message is durable (it survives a restart) and is sent at most once
per ``dedupe_key``; delivery is best effort, reported back where the modem gives reports.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol

log = logging.getLogger(__name__)


class Purpose(StrEnum):
    """Why a message is sent: rate limits, retries and the statistics treat each apart."""

    ONE_TIME_CODE = "otp"
    TURN_NEAR = "near"
    CALLED = "called"
    APPOINTMENT = "appointment"
    BROADCAST = "broadcast"


@dataclass(frozen=True)
class OutgoingSms:
    """One text to one phone. ``phone`` is personal data: never log it whole (see ``masked_phone``)."""

    phone: str
    """National form, digits only after normalisation (``0912345678``)."""
    text: str
    purpose: Purpose
    dedupe_key: str
    """Same key, same message: a second ``enqueue`` with it is a no-op (e.g. ``near:A023:2026-12-02``)."""


class Notifier(Protocol):
    """Where the server hands a message for a phone."""

    def enqueue(self, message: OutgoingSms) -> bool:
        """Accept ``message`` durably; ``False`` if refused (rate limit, duplicate key, no modem configured)."""
        ...


class WaitingPhones(Protocol):
    """The phones of citizens who are waiting now (remote numbers and appointments), for a broadcast."""

    def waiting_phones(self) -> Iterable[str]: ...


def masked_phone(phone: str) -> str:
    """The most of a phone number a log line or a screen may show: its last three digits."""
    digits = "".join(ch for ch in phone if ch.isdigit())
    return "…" + digits[-3:] if digits else "…"


class LogNotifier:
    """The embedded default (``make demo``): no modem, each message is one log line with the number masked."""

    def __init__(self) -> None:
        self._seen: set[str] = set()

    def enqueue(self, message: OutgoingSms) -> bool:
        if message.dedupe_key in self._seen:
            return False
        self._seen.add(message.dedupe_key)
        log.info("sms (log only) to %s [%s]: %s", masked_phone(message.phone), message.purpose, message.text)
        return True
