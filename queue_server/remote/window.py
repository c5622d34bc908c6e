"""The early side of a remote number's check-in window, decided by the server before the engine (like the
capacity cut-off: the forecast is the server's, the engine has no clock of its own).

A check-in is refused (``check_in_early``, nothing stored) while the forecast, taking the number at its booked
place as if it checked in now, puts the call's earliest time (p10) more than ``check_in_before_minutes`` away:
a citizen who came far too early would only sit in the hall, and the walk-ins' forecast would count them.
"""

from __future__ import annotations

import copy
from datetime import datetime, timedelta
from typing import Any

from queue_server.engine.setup import OfficeSetup
from queue_server.engine.state import QueueState, TicketStatus
from queue_server.forecast.office_hours import forecaster, office_zone
from queue_server.forecast.predict import Prediction
from queue_server.forecast.service_times import ServiceTimes
from queue_server.forecasting import forecast_json

EARLY = "check-in opens later: the call is predicted further away than the check-in window"


def too_early(
    state: QueueState, times: ServiceTimes, now: datetime, check_in_code: str, before_minutes: int
) -> Prediction | None:
    """The forecast that makes this check-in too early, or None (allowed, or not a booked number: the engine
    then refuses it with its own reason)."""
    ticket_id = state.check_in_codes.get(check_in_code)
    ticket = state.booked.get(ticket_id) if ticket_id else None
    if ticket is None or state.setup is None:
        return None
    stand_in = copy.copy(ticket)
    stand_in.status = TicketStatus.WAITING
    prediction = forecaster(state, times, now, stand_in).ticket(ticket.id)
    if prediction is None or prediction.low - now <= timedelta(minutes=before_minutes):
        return None
    return prediction


def refusal_fields(prediction: Prediction, setup: OfficeSetup, now: datetime, before_minutes: int) -> dict[str, Any]:
    opens = (prediction.low - timedelta(minutes=before_minutes)).astimezone(office_zone(setup))
    return {
        "forecast": forecast_json(prediction, now, setup),
        "opens_at": opens.replace(second=0, microsecond=0).isoformat(),
    }
