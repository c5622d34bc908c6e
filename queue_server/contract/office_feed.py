"""The office a device runs on: its cached copy at start, the server's ``state/office`` once it arrives.

Every device (kiosk, counter unit, hall board) holds one ``OfficeFeed``: it subscribes to ``state/office`` and
``server/status``, hands each valid new copy to its listeners (they apply it live, no restart) and writes it to
the device's cache so the next start works with the server down. ``notice`` says what the screen must tell: the
device is on its cached copy while the server is offline, or the server has a copy the device could not take.

Thread-safe: the link's thread feeds it, the screen's thread reads it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import Any

from queue_server.contract import topics
from queue_server.contract.office import Office, OfficeCache, OfficeError, parse_data

logger = logging.getLogger(__name__)


class OfficeNotice(StrEnum):
    """What a device's screen says about its copy of the office (texts: ``NOTICE_VI``, kiosk i18n)."""

    CACHED_SERVER_OFFLINE = "cached_server_offline"
    """Running from the cached copy: the server has not been heard from (its copy may be newer)."""
    OLDER_THAN_SERVER = "older_than_server"
    """The server published a copy this device refused (invalid, another office): it keeps its older one."""
    NO_OFFICE = "no_office"
    """No copy at all yet: nothing cached and the server not heard from."""


NOTICE_VI = {
    OfficeNotice.CACHED_SERVER_OFFLINE: "Đang dùng cấu hình lưu sẵn (máy chủ chưa kết nối)",
    OfficeNotice.OLDER_THAN_SERVER: "Cấu hình đang dùng cũ hơn của máy chủ",
    OfficeNotice.NO_OFFICE: "Chưa có cấu hình văn phòng (máy chủ chưa kết nối)",
}
"""The Vietnamese texts, for the firmware's displays (the kiosk translates through its own catalogue)."""


def default_cache_path(device_id: str, outbox: Path | None) -> Path:
    """Where a device keeps its office copy unless told: beside its outbox (``/var/lib/motcua`` by default)."""
    folder = outbox.parent if outbox is not None else Path("/var/lib/motcua")
    return folder / f"office-{device_id}.json"


class OfficeFeed:
    def __init__(self, office_id: str, cache_path: Path | None = None) -> None:
        self.office_id = office_id
        self.topic = topics.office_state(office_id)
        self.server_topic = topics.server_status(office_id)
        self.cache = OfficeCache(cache_path) if cache_path is not None else None
        self._office: Office | None = None
        self._from_server = False
        self._refused = False
        self._server_online: bool | None = None
        self._listeners: list[Callable[[Office], None]] = []
        self._lock = threading.Lock()
        self.changed = threading.Event()
        """Set on every new copy (tests and runners wait on it instead of sleeping)."""

    def state_topics(self) -> tuple[str, ...]:
        return (self.topic, self.server_topic)

    def start(self) -> Office | None:
        """The cached copy (None without one, or when it is corrupt: logged): what the device starts with."""
        cached = self.cache.load() if self.cache is not None else None
        if cached is not None and cached.office_id != self.office_id:
            logger.warning(
                "office cache ignored: it is office %s, this device is in %s", cached.office_id, self.office_id
            )
            cached = None
        with self._lock:
            self._office = cached
        if cached is not None:
            logger.info("office from cache version=%s", cached.version)
        return cached

    def on_change(self, listener: Callable[[Office], None]) -> None:
        self._listeners.append(listener)

    @property
    def office(self) -> Office | None:
        with self._lock:
            return self._office

    @property
    def from_server(self) -> bool:
        """The copy in use came from the server in this run (not only from the cache)."""
        with self._lock:
            return self._from_server

    def on_state(self, topic: str, data: dict[str, Any]) -> bool:
        """Feed every state message; True if it was this feed's (``state/office`` or ``server/status``)."""
        if topic == self.server_topic:
            with self._lock:
                self._server_online = bool(data.get("online"))
            return True
        if topic != self.topic:
            return False
        if not data:
            return True  # the retained copy cleared: keep what we have
        try:
            office = parse_data(data)
            if office.office_id != self.office_id:
                raise OfficeError(f"office {office.office_id}, this device is in {self.office_id}")
        except OfficeError as exc:
            logger.error("state/office refused, keeping the copy in use: %s", exc)
            with self._lock:
                self._refused = True
            return True
        with self._lock:
            same = self._office is not None and self._office.version == office.version
            self._office, self._from_server, self._refused = office, True, False
        if same:
            return True
        logger.info("office applied version=%s published_at=%s", office.version, office.published_at)
        if self.cache is not None:
            self.cache.save(office)
        for listener in self._listeners:
            try:
                listener(office)
            except Exception:
                logger.exception("office listener failed")
        self.changed.set()
        return True

    def notice(self, connected: bool = True) -> OfficeNotice | None:
        """What to say on screen about the office copy; None when it is the server's current one."""
        with self._lock:
            if self._office is None:
                return OfficeNotice.NO_OFFICE
            if self._refused:
                return OfficeNotice.OLDER_THAN_SERVER
            if not connected or self._server_online is not True or not self._from_server:
                return OfficeNotice.CACHED_SERVER_OFFLINE
            return None
