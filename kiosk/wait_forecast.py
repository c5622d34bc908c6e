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

from kiosk.config import in_office_time

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
    if not isinstance(data, dict):
        return None
    wait = data.get("wait_minutes")
    if not isinstance(wait, dict):
        return None
    low, high = wait.get("low"), wait.get("high")
    if not all(isinstance(v, int) and not isinstance(v, bool) and 0 <= v <= MAX_MINUTES for v in (low, high)):
        return None
    assert isinstance(low, int) and isinstance(high, int)
    try:
        call_at = datetime.fromisoformat(str(data.get("call_at")))
    except ValueError:
        return None
    return WaitForecast(min(low, high), max(low, high), in_office_time(call_at, utc_offset_minutes))


def printed_line(forecast: WaitForecast) -> str:
    """The ticket's line (the printed ticket is in Vietnamese: it is the office's paper)."""
    return f"Thời gian chờ dự kiến: khoảng {forecast.minutes()} phút (dự kiến gọi lúc {forecast.call_at:%H:%M})"
