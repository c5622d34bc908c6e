"""The capacity cut-off as the kiosk reads it: an ``issue_ticket`` refused with ``after_closing``.

When a new ticket's predicted call time falls after closing, the server refuses the request (issue 13, "Using the
forecast"; docs/protocol.md, "after_closing") and says why in the error::

    {"code": "after_closing", "message": "...",
     "forecast": {"position": 31, "wait_minutes": {"low": 95, "high": 130}, "call_at": "2026-11-23T10:05:00Z"},
     "next_opening": "2026-11-24T07:30:00+07:00", "closing_at": "2026-11-23T17:00:00+07:00"}

The kiosk never refuses silently: it shows the prediction and offers the ticket anyway (the same request again
with ``accept_late: true``) or the next opening (nothing printed). Whatever part of the error is missing or
malformed is left out of the message, never guessed; all times are shown on the office's clock.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from kiosk.config import in_office_time

logger = logging.getLogger(__name__)
AFTER_CLOSING = "after_closing"


@dataclass(frozen=True)
class IssueRequest:
    """What the citizen asked for, kept so "take the number anyway" resends exactly that."""

    service_id: str
    priority: str | None
    display_name: str | None = None

    def body(self, *, accept_late: bool = False) -> dict[str, Any]:
        body: dict[str, Any] = {"service_id": self.service_id, "priority": self.priority}
        if self.display_name is not None:
            body["display_name"] = self.display_name  # docs/kiosk.md: the masked name, for the counter's screen
        if accept_late:
            body["accept_late"] = True
        return body


@dataclass(frozen=True)
class LateNotice:
    """The refusal's figures, in office time; None where the server sent nothing usable."""

    wait_low_min: int | None = None
    wait_high_min: int | None = None
    call_at: datetime | None = None
    closing_at: datetime | None = None
    next_opening: datetime | None = None


def late_notice(error: dict[str, Any], utc_offset_minutes: int) -> LateNotice:
    """Read an ``after_closing`` error; its figures may sit in the error itself or in its ``details``."""
    places = [error, *(d for d in (error.get("details"), error.get("data")) if isinstance(d, dict))]

    def find(key: str) -> Any:
        return next((p[key] for p in places if key in p), None)

    forecast = find("forecast")
    forecast = forecast if isinstance(forecast, dict) else {}
    wait = forecast.get("wait_minutes")
    wait = wait if isinstance(wait, dict) else {}
    low, high = _minutes(wait.get("low")), _minutes(wait.get("high"))
    if low is not None and high is not None and low > high:
        low, high = high, low
    return LateNotice(
        wait_low_min=low,
        wait_high_min=high,
        call_at=_moment(forecast.get("call_at"), utc_offset_minutes),
        closing_at=_moment(find("closing_at"), utc_offset_minutes),
        next_opening=_moment(find("next_opening"), utc_offset_minutes),
    )


def _minutes(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 24 * 60 * 7:
        return None
    return round(value)


def _moment(value: Any, utc_offset_minutes: int) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        logger.warning("after_closing: unreadable time %r ignored", value[:40])
        return None
    return in_office_time(moment, utc_offset_minutes)
