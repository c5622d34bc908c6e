"""The forecast's payloads: what the server builds (``forecast_json``) is what ``Reply.forecast`` reads back,
in the office's zone; an ``after_closing`` refusal carries its forecast, closing and next opening."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from queue_server.contract.payloads import Reply, ReplyError
from queue_server.engine.setup import OfficeSetup
from queue_server.forecast.predict import Prediction
from queue_server.forecasting import ForecastPolicy, OfficeForecast, forecast_json

SETUP = OfficeSetup(office_id="o", name="Văn phòng thử")
NOW = datetime(2026, 11, 23, 9, 50, 30, tzinfo=UTC)  # Monday 16:50:30 in Hà Nội (default hours: closes at 17:00)
LATE = Prediction("t1", 12, NOW + timedelta(minutes=14), NOW + timedelta(minutes=22), NOW + timedelta(minutes=31), True)


def test_the_reply_forecast_reads_back_in_office_time() -> None:
    data = forecast_json(LATE, NOW, SETUP)
    assert data["wait_minutes"] == {"low": 14, "high": 31}
    reply = Reply.parse(Reply.accepted("kiosk-1-0001", {"ticket": {"ticket_id": "t1"}, "forecast": data}, "x").encode())
    forecast = reply.forecast()
    assert forecast is not None and forecast.position == 12 and forecast.after_closing
    assert forecast.call_at == "2026-11-23T17:12:00+07:00"  # the median, to the minute, on the office's clock


def test_an_after_closing_refusal_carries_forecast_closing_and_next_opening() -> None:
    office = OfficeForecast(ForecastPolicy(cutoff=True))
    assert office.refuses(LATE, accept_late=False) and not office.refuses(LATE, accept_late=True)
    error = ReplyError(code="after_closing", message="late", **office.refusal(LATE, SETUP, NOW))
    reply = Reply.parse(Reply(id="kiosk-1-0002", ok=False, error=error, at="x").encode())
    assert reply.code == "after_closing" and reply.error is not None
    assert reply.error.closing_at == "2026-11-23T17:00:00+07:00"
    assert reply.error.next_opening == "2026-11-24T07:30:00+07:00"
    forecast = reply.forecast()
    assert forecast is not None and forecast.wait_minutes.high == 31
    assert not OfficeForecast().refuses(LATE, accept_late=False)  # the cut-off is off by default
