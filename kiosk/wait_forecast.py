"""The server's wait forecast as the kiosk shows and prints it: "khoảng 25–35 phút (dự kiến gọi lúc 09:40)".

The figures come from the ``issue_ticket`` reply's ``result.forecast`` (docs/protocol.md, "Wait forecast"): the
server runs the engine's own calling rule forward over the counters open now, so the kiosk no longer guesses from
people ahead × a constant. The call time is shown on the office's clock (``in_office_time``) whatever the Pi's zone.
A forecast that is missing or malformed (an older server) is left out, never guessed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import ValidationError

from kiosk.config import in_office_time
from queue_server.contract import payloads

MAX_MINUTES = 24 * 60


@dataclass(frozen=True)
class WaitForecast:
    low_min: int
    high_min: int
    call_at: datetime
    """The predicted call (median), in office time."""

    def minutes(self) -> str:
        """ "25–35" (an en dash), or "25" when the range is one minute wide."""
        return str(self.low_min) if self.low_min == self.high_min else f"{self.low_min}–{self.high_min}"


def wait_forecast(data: Any, utc_offset_minutes: int) -> WaitForecast | None:
    """The forecast of a reply (``payloads.WaitForecast``, the contract's one parser), or None if absent or bad."""
    try:
        parsed = payloads.WaitForecast.model_validate(data, strict=True)  # no "25" or True for a number
        call_at = datetime.fromisoformat(parsed.call_at)
    except (ValidationError, ValueError):
        return None
    low, high = parsed.wait_minutes.low, parsed.wait_minutes.high
    if not all(0 <= v <= MAX_MINUTES for v in (low, high)):
        return None
    return WaitForecast(min(low, high), max(low, high), in_office_time(call_at, utc_offset_minutes))


def printed_line(forecast: WaitForecast) -> str:
    """The ticket's line (the printed ticket is in Vietnamese: it is the office's paper)."""
    return f"Thời gian chờ dự kiến: khoảng {forecast.minutes()} phút (dự kiến gọi lúc {forecast.call_at:%H:%M})"
