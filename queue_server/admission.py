"""The first look at every request, on the MQTT client's own thread: over its device's budget, it goes no further.

A flood from one device must not make the others wait: the ingest worker drains one queue, so whatever is put
on it delays everything behind. Here, before any JSON is read or any row looked up (the device's kind comes from
the registry cache), each request takes a token from its device's bucket (``admission_limits``). A request over
the budget is dropped: a few a minute are answered ``rate_limited`` (their id is read for that, and a retry of a
request already answered gets that answer again instead), the rest are only counted, in one log line per device
per minute. A device being limited shows the server-side alarm ``flooding`` on the manager's live page until it
has been quiet for a minute.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from queue_server.admission_limits import UNKNOWN_KIND, DeviceLimits, Rate
from queue_server.contract import messages as msg
from queue_server.contract import topics
from queue_server.contract.payloads import Reply
from queue_server.log_summary import PERIOD_SECONDS, PerMinuteSummary

if TYPE_CHECKING:
    from queue_server.config import LimitsSection
    from queue_server.live import LiveOffice
    from queue_server.service import DeviceInfo, Publish

logger = logging.getLogger(__name__)
FLOODING = "flooding"
"""The server's own device alarm (not one a device reports): requests over the device's budget."""
STATUS_RATE = Rate(per_minute=60, burst=20)
"""Statuses a device may publish: at connect and when an alarm changes; a flood of them is dropped too."""
OVER_RATE_LINE = "device=%s requests refused over its rate (one line a minute at most)"


def limits_from(section: LimitsSection) -> DeviceLimits:
    rates = {kind: Rate(getattr(section, kind).per_minute, getattr(section, kind).burst) for kind in KINDS}
    return DeviceLimits(rates, default=rates["other"], max_devices=section.max_devices)


KINDS = ("kiosk", "counter", "console", "other")


class AdmissionGate:
    """``screen`` runs on paho's thread for each request; ``tick`` on the ingest worker every few seconds."""

    def __init__(
        self,
        office_id: str,
        *,
        limits: DeviceLimits,
        devices: Callable[[str], DeviceInfo | None],
        earlier_reply: Callable[[str, str], dict[str, Any] | None],
        live: LiveOffice | None = None,
        refusals_per_minute: float = 30,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.office_id, self.limits, self.devices = office_id, limits, devices
        self.earlier_reply, self.live, self.clock = earlier_reply, live, clock
        refusal = Rate(refusals_per_minute, max(1, int(refusals_per_minute // 10)))
        self._replies = DeviceLimits({}, default=refusal, max_devices=limits.max_devices)
        self._statuses = DeviceLimits({}, default=STATUS_RATE, max_devices=limits.max_devices)
        self._flooding: dict[str, tuple[str, float]] = {}  # device -> (kind, last refused at)
        self._lock = threading.Lock()
        self._dropped = PerMinuteSummary(logger, OVER_RATE_LINE, clock=clock)

    def screen(self, topic: str, payload: bytes) -> tuple[bool, list[Publish]]:
        """(admitted, what to publish now): an admitted request goes on to the ingest queue."""
        where = topics.parse_request_topic(topic)
        if where is None or where[0] != self.office_id or not topics.valid_id(where[1]):
            return True, []  # the service refuses it (and summarises the log)
        device_id = where[1]
        info = self.devices(device_id)
        kind = info.kind if info is not None else UNKNOWN_KIND
        now = self.clock()
        if self.limits.take(device_id, kind, now):
            return True, []
        self._dropped.add(device_id)
        if info is not None:
            self._flag(device_id, kind, now)
        if not self._replies.take(device_id, UNKNOWN_KIND, now):
            return False, []
        return False, self._refusal(device_id, payload)

    def screen_status(self, device_id: str) -> bool:
        """May this device's status (``dev/{device}/status``) be read now? Over its budget it is dropped."""
        now = self.clock()
        if self._statuses.take(device_id, UNKNOWN_KIND, now):
            return True
        self._dropped.add(f"{device_id} (statuses)" if topics.valid_id(device_id) else "(invalid id) (statuses)")
        info = self.devices(device_id)
        if info is not None:
            self._flag(device_id, info.kind, now)
        return False

    def give_back(self, device_id: str) -> None:
        """A retry answered with its earlier reply costs the device nothing."""
        self.limits.give_back(device_id)

    def tick(self) -> None:
        """Clear the alarm of devices quiet for a minute; log the counts of floods that stopped."""
        self._dropped.flush()
        now = self.clock()
        with self._lock:
            quiet = [(d, k) for d, (k, at) in self._flooding.items() if now - at >= PERIOD_SECONDS]
            for device_id, _ in quiet:
                del self._flooding[device_id]
        for device_id, kind in quiet:
            logger.info("device=%s no longer over its rate", device_id)
            if self.live is not None:
                self.live.server_alarm(device_id, kind, FLOODING, False)

    def flooding(self) -> set[str]:
        with self._lock:
            return set(self._flooding)

    def _flag(self, device_id: str, kind: str, now: float) -> None:
        with self._lock:
            new = device_id not in self._flooding
            self._flooding[device_id] = (kind, now)
        if new and self.live is not None:
            self.live.server_alarm(device_id, kind, FLOODING, True)

    def _refusal(self, device_id: str, payload: bytes) -> list[Publish]:
        from queue_server.service import Publish

        request_id = request_id_of(payload)
        earlier = self.earlier_reply(device_id, request_id) if request_id is not None else None
        if earlier is None:
            stamp = datetime.now(UTC).isoformat()
            message = "too many requests from this device; try again in a minute"
            earlier = Reply.refused(request_id, msg.ErrorCode.RATE_LIMITED.value, message, stamp).payload()
        return [Publish(topics.reply(self.office_id, device_id), msg.encode(earlier))]


def request_id_of(payload: bytes) -> str | None:
    """The request's id if it is a valid one (only for a refusal: a few a minute per device)."""
    if len(payload) > 4096:
        return None
    try:
        raw = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None
    value = raw.get("id") if isinstance(raw, dict) else None
    return value if isinstance(value, str) and msg.valid_request_id(value) else None
