"""The public ticket page behind the QR code: number, people ahead, the counter calling it. No login.

Ticket ids are the server's 16-character random tokens, so a page cannot be found by counting; requests are
rate-limited per client address all the same. Nothing personal is shown (not even a priority category).

The page keeps itself current by polling ``/t/<id>/part`` every ``POLL_SECONDS`` (a few lines of ES5 in
``static/live.js``; a meta refresh without JavaScript), not by a held-open stream: a hall full of phones must not
hold the web server's threads, cheap phones drop long connections, and the polls stay under the rate limit.
Polling stops once the visit is over.
"""

from __future__ import annotations

import math
import re
import threading
import time
from datetime import timedelta

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue

from queue_server.live import TicketView
from queue_server.web import get_live, get_setup
from queue_server.web.login_limits import Window, address_key
from queue_server.web.remote_ticket import remote_card

bp = Blueprint("ticket", __name__, url_prefix="/t")
TICKET_ID = re.compile(r"^[A-Za-z0-9_-]{16}$")
_lock = threading.Lock()
POLL_SECONDS = 20
FINAL = frozenset({"done", "expired"})


def allowed(client: str, per_minute: int) -> bool:
    """At most ``per_minute`` pages a minute per client address (in memory, per process; bounded in size however
    many addresses ask: ``login_limits.Window``)."""
    now = time.monotonic()
    hits = current_app.extensions.get("motcua.ticket_hits")
    if hits is None:
        hits = current_app.extensions.setdefault("motcua.ticket_hits", Window(per_minute, 60.0))
    key = address_key(client)
    with _lock:
        if hits.full(key, now):
            return False
        hits.add(key, now)
        return True


def _ticket(ticket_id: str) -> TicketView:
    if not allowed(request.remote_addr or "?", current_app.config["TICKET_PAGE_PER_MINUTE"]):
        abort(429)
    if not TICKET_ID.match(ticket_id):
        abort(404)
    ticket = get_live().ticket(ticket_id)
    if ticket is None:
        abort(404)
    return ticket


def _part(ticket: TicketView) -> str:
    setup = get_setup()
    forecast = _forecast(ticket, setup.utc_offset_minutes)
    return render_template(
        "ticket_part.html",
        ticket=ticket,
        forecast=forecast,
        remote=remote_card(ticket, forecast, setup.utc_offset_minutes),
        final=ticket.status in FINAL,
        counter=next((c for c in setup.counters if c.id == ticket.counter_id), None),
        service=next((s for s in setup.services if s.id == ticket.service_id), None),
    )


def _forecast(ticket: TicketView, utc_offset_minutes: int) -> dict[str, object] | None:
    """The forecast as the page words it: minutes from now, the expected call on the office's clock."""
    prediction = ticket.forecast
    if prediction is None or ticket.status not in ("waiting", "booked"):
        return None
    now = get_live().now()
    low = max(0, math.floor((prediction.low - now).total_seconds() / 60))
    high = max(low, math.ceil((prediction.high - now).total_seconds() / 60))
    at = prediction.median + timedelta(minutes=utc_offset_minutes)
    return {"low": low, "high": high, "at": f"{at:%H:%M}", "after_closing": prediction.after_closing}


@bp.route("/<ticket_id>")
def show(ticket_id: str) -> ResponseReturnValue:
    ticket = _ticket(ticket_id)
    return render_template(
        "ticket.html",
        ticket=ticket,
        part=_part(ticket),
        final=ticket.status in FINAL,
        poll_seconds=POLL_SECONDS,
        office_name=get_setup().name,
    )


@bp.route("/<ticket_id>/part")
def part(ticket_id: str) -> ResponseReturnValue:
    """The ticket's card alone, for the page's poll."""
    return Response(_part(_ticket(ticket_id)), headers={"Cache-Control": "no-store"})
