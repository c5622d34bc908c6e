"""The forecast as the server uses it: service times kept current from committed events, the JSON of a
prediction (docs/protocol.md, "Wait forecast"), and the capacity cut-off's decision.

The forecast itself is pure (``queue_server.forecast``); this module adds what depends on the running office:
its history as it grows, its opening hours (``engine.hours``: closing, lunch), its time zone, its ``[forecast]``
settings.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from queue_server.engine import events as ev
from queue_server.engine.setup import OfficeSetup
from queue_server.engine.state import QueueState, Ticket
from queue_server.forecast.office_hours import closes_at, forecaster, next_opening, office_zone
from queue_server.forecast.predict import Prediction
from queue_server.forecast.service_times import ServiceTimes

NEW_TICKET_ID = "\0new"
"""The id of the ticket an issue would create, forecast before it is decided (the cut-off's question)."""


@dataclass(frozen=True)
class ForecastPolicy:
    cutoff: bool = False
    """Refuse ``issue_ticket`` (``after_closing``) when the new ticket's predicted call is after today's closing
    (the setup's opening hours), unless the request says ``accept_late``. Off by default."""


def forecast_json(prediction: Prediction, since: datetime, setup: OfficeSetup) -> dict[str, Any]:
    """docs/protocol.md, "Wait forecast": minutes from ``since`` (the issue), times in the office's zone."""
    zone = office_zone(setup)
    low = max(0.0, (prediction.low - since).total_seconds())
    high = max(low, (prediction.high - since).total_seconds())
    return {
        "position": prediction.position,
        "wait_minutes": {"low": math.floor(low / 60), "high": max(math.ceil(high / 60), math.floor(low / 60))},
        "call_at": _minute(prediction.median).astimezone(zone).isoformat(),
        "call_at_low": _minute(prediction.low).astimezone(zone).isoformat(),
        "call_at_high": _minute(prediction.high).astimezone(zone).isoformat(),
        "after_closing": prediction.after_closing,
    }


def _minute(at: datetime) -> datetime:
    return (at if at.tzinfo is not None else at.replace(tzinfo=UTC)).replace(second=0, microsecond=0)


class OfficeForecast:
    """The server's forecaster: learns from every committed event; forecasts new tickets on the issue path."""

    def __init__(self, policy: ForecastPolicy | None = None) -> None:
        self.policy = policy or ForecastPolicy()
        self.times = ServiceTimes()

    def learn(self, events: Iterable[ev.Event]) -> None:
        for event in events:
            self.times.observe(event)

    def new_ticket(self, state: QueueState, now: datetime, service_id: str, priority: str | None) -> Prediction | None:
        """The forecast of the ticket an ``issue_ticket`` would create now, before it is decided."""
        setup = state.setup
        if setup is None:
            return None
        extra = Ticket(NEW_TICKET_ID, service_id, 0, "", state.day or date.min, priority, now)
        extra.queue_key = (1, state.enqueue_seq + 1)
        return forecaster(state, self.times, now, extra).ticket(NEW_TICKET_ID)

    def ticket(self, state: QueueState, now: datetime, ticket_id: str) -> Prediction | None:
        if state.setup is None:
            return None
        return forecaster(state, self.times, now).ticket(ticket_id)

    def refuses(self, prediction: Prediction | None, accept_late: bool) -> bool:
        return self.policy.cutoff and not accept_late and prediction is not None and prediction.after_closing

    def refusal(self, prediction: Prediction, setup: OfficeSetup, now: datetime) -> dict[str, Any]:
        """The ``after_closing`` error's fields beside code and message (docs/protocol.md)."""
        zone = office_zone(setup)
        closing = closes_at(setup, now)
        reopening = next_opening(setup, now)
        return {
            "forecast": forecast_json(prediction, now, setup),
            "closing_at": closing.astimezone(zone).isoformat() if closing else None,
            "next_opening": reopening.astimezone(zone).isoformat() if reopening else None,
        }
