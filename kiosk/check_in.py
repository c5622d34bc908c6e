"""Checking a remote number in at the kiosk: the citizen scans the ticket page's QR or types its six digits.

The kiosk sends ``check_in`` with the code only (``queue_server.contract.messages.CheckInBody``) and shows the
number the server answers; it never sees or asks for a phone number. Runs on the app's worker thread like a
ticket request (one request in flight), so the screen stays alive.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from queue_server.contract.messages import ContractError, check_in_code_of
from queue_server.contract.payloads import Reply

if TYPE_CHECKING:
    from kiosk.app import KioskApp

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckInResult:
    label: str | None = None
    """The checked-in number (``A006``); None when refused."""
    error: str | None = None
    """``unknown_check_in_code``, ``check_in_closed``, ``check_in_early``, ``timeout``, ...; None when done."""
    opens_at: str | None = None
    """``check_in_early``: from when (``HH:MM``, office time)."""


def is_check_in_scan(payload: bytes) -> bool:
    """A scan of a ticket page's QR (not an ID card's): ``MOTCUA-CHECKIN:123456``."""
    return payload[:15].upper() == b"MOTCUA-CHECKIN:"


def code_of_scan(payload: bytes) -> str | None:
    try:
        return check_in_code_of(payload.decode("ascii"))
    except UnicodeDecodeError:
        return None


def send_check_in(app: KioskApp, code: str) -> CheckInResult:
    ttl = app.config.timing.request_timeout_s
    reply = app.link.request("check_in", {"check_in_code": code}, timeout=ttl + 1.0, ttl=ttl)
    if reply is None:
        return CheckInResult(error="timeout")
    try:
        answer = Reply.parse(reply)
    except ContractError as exc:
        logger.error("check_in: unreadable reply: %s", exc.message)
        return CheckInResult(error="malformed")
    if answer.ok and answer.result is not None:
        ticket = answer.result.get("ticket")
        label = ticket.get("label") if isinstance(ticket, dict) else None
        logger.info("check_in: %s checked in", label)
        return CheckInResult(label=str(label) if label else "?")
    opens = None
    if answer.error is not None and answer.error.opens_at:
        try:
            opens = f"{datetime.fromisoformat(answer.error.opens_at):%H:%M}"
        except ValueError:
            opens = None
    logger.info("check_in refused: %s", answer.code)
    return CheckInResult(error=answer.code or "malformed", opens_at=opens)
