"""The public ticket page behind the QR code: number, people ahead, the counter calling it. No login.

Ticket ids are the server's 16-character random tokens, so a page cannot be found by counting; requests are
rate-limited per client address all the same. Nothing personal is shown (not even a priority category).
"""

from __future__ import annotations

import re
import threading
import time

from flask import Blueprint, abort, current_app, render_template, request
from flask.typing import ResponseReturnValue

from queue_server.web import get_setup, get_state

bp = Blueprint("ticket", __name__, url_prefix="/t")
TICKET_ID = re.compile(r"^[A-Za-z0-9_-]{16}$")
_lock = threading.Lock()


def allowed(client: str, per_minute: int) -> bool:
    """At most ``per_minute`` pages a minute per client address (in memory, per process)."""
    now = time.monotonic()
    hits: dict[str, list[float]] = current_app.extensions.setdefault("motcua.ticket_hits", {})
    with _lock:
        recent = [t for t in hits.get(client, []) if now - t < 60]
        if len(recent) >= per_minute:
            hits[client] = recent
            return False
        hits[client] = [*recent, now]
        return True


@bp.route("/<ticket_id>")
def show(ticket_id: str) -> ResponseReturnValue:
    if not allowed(request.remote_addr or "?", current_app.config["TICKET_PAGE_PER_MINUTE"]):
        abort(429)
    if not TICKET_ID.match(ticket_id):
        abort(404)
    state = get_state()
    ticket = state.tickets.get(ticket_id)
    if ticket is None:
        abort(404)
    setup = get_setup()
    counter = next((c for c in setup.counters if c.id == ticket.counter_id), None)
    return render_template(
        "ticket.html",
        ticket=ticket,
        ahead=state.people_ahead(ticket_id),
        counter=counter,
        service=next((s for s in setup.services if s.id == ticket.service_id), None),
        office_name=setup.name,
    )
