"""The managers' live page: who waits for what and for how long, what each counter does, which device is down.

``/live`` renders the page; ``/live/stream`` sends the same panel again as server-sent events whenever the
office changes (and every ``LIVE_REFRESH_SECONDS``, so waits keep counting); ``static/live.js`` swaps it in.
Without JavaScript a meta refresh reloads the page. ``event_stream`` also serves the staff console's stream.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

from flask import Blueprint, Response, abort, current_app, render_template, stream_with_context
from flask.typing import ResponseReturnValue
from flask_login import current_user  # type: ignore[import-untyped]

from queue_server.live import OfficeSnapshot
from queue_server.planner.office import MAX_EXTRA_COUNTERS, LevelForecast
from queue_server.simulate.ahead import DRAIN_SECONDS
from queue_server.store.web_users import Role
from queue_server.web import get_live, get_setup
from queue_server.web.auth import roles_required
from queue_server.web.i18n import _, current_locale

bp = Blueprint("live", __name__, url_prefix="/live")
RECONNECT_MS = 2_000
UPCOMING_SHOWN = 15
"""Waiting tickets listed with their forecast on /live, soonest first."""
"""Browsers reconnect this soon after a stream ends (each ends after ``LIVE_STREAM_SECONDS``)."""
BUSY_RETRY_MS = 20_000
"""Over the stream cap, a client gets one update and comes back this much later: polling, not starving."""
LEVEL_FRESH_SECONDS = 300
"""A predicted service level older than this is not shown (its refresh failed or the office is quiet)."""
logger = logging.getLogger(__name__)


class StreamGate:
    """At most ``limit`` streams at once: each holds a web worker thread while open."""

    def __init__(self, limit: int) -> None:
        self._slots = threading.BoundedSemaphore(limit)

    def enter(self) -> bool:
        return self._slots.acquire(blocking=False)

    def leave(self) -> None:
        self._slots.release()


def stream_gate() -> StreamGate:
    extensions = current_app.extensions
    with _gate_lock:
        if "motcua.streams" not in extensions:
            extensions["motcua.streams"] = StreamGate(current_app.config["LIVE_MAX_STREAMS"])
    gate: StreamGate = extensions["motcua.streams"]
    return gate


_gate_lock = threading.Lock()


def sse_event(text: str, retry_ms: int | None = None) -> str:
    """One server-sent event whose data is ``text`` (an HTML fragment; each line becomes a ``data:`` line)."""
    head = f"retry: {retry_ms}\n" if retry_ms is not None else ""
    return head + "".join(f"data: {line}\n" for line in (text.splitlines() or [""])) + "\n"


def event_stream(render: Callable[[OfficeSnapshot], str]) -> Response:
    """Render the snapshot now, then again after each change (or every refresh period), for a minute."""
    live = get_live()
    config = current_app.config
    gate = stream_gate()

    def generate() -> Iterator[str]:
        if not gate.enter():
            yield sse_event(render(live.snapshot()), retry_ms=BUSY_RETRY_MS)
            return
        try:
            deadline = time.monotonic() + config["LIVE_STREAM_SECONDS"]
            first = True
            while not live.closed:
                snapshot = live.snapshot()
                yield sse_event(render(snapshot), retry_ms=RECONNECT_MS if first else None)
                first = False
                left = deadline - time.monotonic()
                if left <= 0:
                    return
                if (
                    live.wait_for_change(snapshot.version, min(left, config["LIVE_REFRESH_SECONDS"]))
                    != snapshot.version
                ):
                    time.sleep(config["LIVE_MIN_INTERVAL_SECONDS"])  # a burst of calls becomes one update
        finally:
            gate.leave()

    headers = {"Cache-Control": "no-store", "X-Accel-Buffering": "no"}
    return Response(stream_with_context(generate()), mimetype="text/event-stream", headers=headers)


def _check_office() -> None:
    if not current_user.may_see_office(get_setup().office_id):
        abort(403)


def predicted_level(now: datetime) -> LevelForecast | None:
    """The coming hour's predicted service level if fresh (computed off the request path: ``web.plan``)."""
    from queue_server.web.plan import level_forecast

    try:
        level = level_forecast()
    except Exception:  # the live page must stay up whatever the planner's profile or store does
        logger.exception("predicted service level unavailable")
        return None
    if level is None or (now - level.computed_at).total_seconds() > LEVEL_FRESH_SECONDS:
        return None
    return level


def render_panel(snapshot: OfficeSnapshot) -> str:
    setup = snapshot.setup or get_setup()
    english = current_locale() == "en"
    now = get_live().now()
    threshold = current_app.config["WAIT_ALERT_SECONDS"]
    return render_template(
        "live_panel.html",
        level=predicted_level(now),
        max_extra=MAX_EXTRA_COUNTERS,
        drain_hours=round(DRAIN_SECONDS / 3600),
        snapshot=snapshot,
        now=now,
        longest=snapshot.longest_wait(now),
        overdue=snapshot.overdue(now, threshold),
        threshold_minutes=threshold // 60,
        troubled=snapshot.troubled_devices(),
        service_names={s.id: (s.name_en if english and s.name_en else s.name_vi) for s in setup.services},
        staff_names={s.id: s.name for s in setup.staff},
        local_time=lambda at: (at + timedelta(minutes=setup.utc_offset_minutes)).strftime("%H:%M"),
        upcoming=get_live().upcoming(UPCOMING_SHOWN),
    )


@bp.route("")
@roles_required(Role.MANAGER, Role.PROVINCE_MANAGER, Role.ADMIN)
def page() -> ResponseReturnValue:
    _check_office()
    return render_template("live.html", panel=render_panel(get_live().snapshot()), office_name=get_setup().name)


@bp.route("/panel")
@roles_required(Role.MANAGER, Role.PROVINCE_MANAGER, Role.ADMIN)
def panel() -> ResponseReturnValue:
    """The panel alone (for a browser without EventSource)."""
    _check_office()
    return Response(render_panel(get_live().snapshot()), headers={"Cache-Control": "no-store"})


@bp.route("/stream")
@roles_required(Role.MANAGER, Role.PROVINCE_MANAGER, Role.ADMIN)
def stream() -> ResponseReturnValue:
    _check_office()
    return event_stream(render_panel)


def labels() -> dict[str, dict[str, str]]:
    """Vietnamese-first names of device kinds, counter states and alarm codes (``AlarmCode``)."""
    return {
        "kinds": {
            "kiosk": _("Kiosk"),
            "counter": _("Counter unit"),
            "display": _("Hall display"),
            "console": _("Console device"),
        },
        "counter_states": {"open": _("Serving"), "paused": _("Paused"), "idle": _("Idle")},
        "alarms": {
            "printer_paper_out": _("Printer out of paper"),
            "printer_paper_near_end": _("Printer paper running low"),
            "printer_offline": _("Printer not responding"),
            "printer_error": _("Printer error"),
            "display_error": _("Display error"),
            "audio_error": _("Sound error"),
            "scanner_error": _("Scanner error"),
            "flooding": _("Sending too many requests"),
        },
    }


@bp.app_context_processor
def _labels() -> dict[str, object]:
    return {"live_labels": labels}
