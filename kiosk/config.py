"""The kiosk's configuration: one TOML file of what is the kiosk's own, unknown keys rejected ("did you mean").

Example ``/etc/motcua/kiosk.toml`` (``motcua device add kiosk-01 --kind kiosk --out kiosk.toml`` writes one)::

    office_cache = "/var/lib/motcua/office-kiosk-01.json"   # optional; default: beside the outbox
    [link]                                      # the shared device link (queue_server.contract.link_config.LinkConfig)
    office_id = "tuan-giao"
    device_id = "kiosk-01"
    password_file = "/etc/motcua/kiosk-01.password"   # printed once by `motcua device add`
    host = "192.168.1.10"                       # a name or address in the broker's certificate
    port = 8883                                 # the broker's TLS port
    ca_file = "/etc/motcua/kiosk-01.ca.pem"     # the office CA, written by `motcua device add`
    outbox = "/var/lib/motcua/outbox-kiosk-01.db"
    [display]
    orientation = "portrait"    # or "landscape" (the default): the layout follows
    fullscreen = true
    [timing]
    idle_timeout_s = 60
    [printer]
    kind = "usb"                # usb | serial | network | file | dummy | none
    options = { vendor_id = 0x0483, product_id = 0x5743 }
    [scanner]
    kind = "serial"             # serial | none
    port = "/dev/ttyACM0"
    show_masked_name = false    # the office may enable "Nguyễn V. A." on the kiosk screen

The office (name, fields, counters, priority categories, the procedure catalogue) is not in this file: it comes
from the server's retained ``state/office`` topic (docs/protocol.md), cached in ``office_cache`` so the kiosk
starts with the server down. A config that still has the retired ``office_config`` key is refused with a message
saying so.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from kiosk.text import nfc
from queue_server.contract.config_keys import config_problems
from queue_server.contract.errors import MotcuaError
from queue_server.contract.link_config import LinkConfig
from queue_server.contract.office import Office

DEFAULT_PRIORITY_CATEGORIES: tuple[str, ...] = ("elderly_60", "pregnant", "disabled", "merit")


class KioskConfigError(MotcuaError):
    """The kiosk config file is unreadable or invalid; the message says where and why."""


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DisplaySection(_Strict):
    width: int = Field(default=1280, ge=640)
    height: int = Field(default=800, ge=480)
    orientation: Literal["landscape", "portrait"] = "landscape"
    fullscreen: bool = False
    fps: int = Field(default=30, ge=5, le=60)

    @property
    def size(self) -> tuple[int, int]:
        """(width, height) as the layout sees it: the long side horizontal in landscape, vertical in portrait."""
        long, short = max(self.width, self.height), min(self.width, self.height)
        return (long, short) if self.orientation == "landscape" else (short, long)


class TimingSection(_Strict):
    idle_timeout_s: float = Field(default=60.0, gt=0)
    """Any screen returns home (in Vietnamese) after this long without a touch."""
    ticket_screen_s: float = Field(default=10.0, gt=0)
    """How long the ticket stays on screen after printing (twice as long when printing failed)."""
    avg_service_min: float = Field(default=8.0, gt=0)
    """No longer read: the ticket's wait is the server's forecast (``kiosk/wait_forecast.py``); kept so that
    existing kiosk config files still load."""
    request_timeout_s: float = Field(default=8.0, gt=0)
    """How long a citizen waits for a ticket before "Hệ thống đang kết nối lại..."; also the request's time to
    live: after it the kiosk never sends it again (see docs/kiosk.md, "Late replies")."""
    printer_check_s: float = Field(default=30.0, gt=0)
    """How often the printer's status is queried while the kiosk is idle (paper out is alarmed before the next
    citizen finds out)."""


class PrinterSection(_Strict):
    kind: Literal["usb", "serial", "network", "file", "dummy", "none"] = "dummy"
    width: int = 576
    options: dict[str, Any] = {}
    base_url: str = "http://motcua.local"


class ScannerSection(_Strict):
    kind: Literal["serial", "none"] = "none"
    port: str = "/dev/ttyACM0"
    baudrate: int = Field(default=9600, gt=0)
    show_masked_name: bool = False
    """Show "Nguyễn V. A." after an ID-card scan (off by default; the office decides, see cccd.py)."""


class RemoteSection(_Strict):
    check_in: bool = False
    """The home screen's "Đã lấy số trực tuyến" button (check-in of remote numbers, issue 14): on where the
    office takes numbers from the public web. A check-in QR is read from the scanner either way."""


class KioskConfig(_Strict):
    office_cache: Path | None = None
    """The last ``state/office`` copy; default ``office-<device id>.json`` beside the outbox."""
    link: LinkConfig | None = None
    """None: no server (the offline screenshot tour); the live kiosk requires it."""
    display: DisplaySection = DisplaySection()
    timing: TimingSection = TimingSection()
    printer: PrinterSection = PrinterSection()
    scanner: ScannerSection = ScannerSection()
    remote: RemoteSection = RemoteSection()

    def office_cache_path(self) -> Path | None:
        from queue_server.contract.office_feed import default_cache_path

        if self.office_cache is not None or self.link is None:
            return self.office_cache
        return default_cache_path(self.link.device_id, self.link.outbox)


def load_kiosk_config(path: Path | None) -> KioskConfig:
    if path is None:
        return KioskConfig()
    try:
        with path.open("rb") as fp:
            data = tomllib.load(fp)
        return KioskConfig(**data)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise KioskConfigError(f"{path}: {exc}") from None
    except ValidationError as exc:
        problems = [f"  {line}" for line in config_problems(exc, KioskConfig)]
        raise KioskConfigError(f"{path}: invalid kiosk configuration\n" + "\n".join(problems)) from None


@dataclass(frozen=True)
class ServiceInfo:
    id: str
    name_vi: str
    name_en: str = ""

    def name(self, language: str) -> str:
        return self.name_en if language == "en" and self.name_en else self.name_vi


@dataclass(frozen=True)
class CounterInfo:
    """A counter as the kiosk shows it: which counters serve a field, "Quầy 3" on the ticket."""

    id: str
    number: int
    service_ids: tuple[str, ...]
    name: str = ""


@dataclass(frozen=True)
class OfficeInfo:
    """What the kiosk shows of its office; built from the server's ``state/office`` (:func:`office_from_state`)."""

    name: str
    services: tuple[ServiceInfo, ...]
    counters: tuple[CounterInfo, ...]
    priority_categories: tuple[str, ...] = DEFAULT_PRIORITY_CATEGORIES
    utc_offset_minutes: int = 420
    """The office's time zone (UTC+7 in Vietnam): the ticket's printed time, whatever the Pi's own zone is."""

    def service(self, service_id: str) -> ServiceInfo | None:
        return next((s for s in self.services if s.id == service_id), None)

    def counters_for(self, service_id: str) -> tuple[CounterInfo, ...]:
        return tuple(c for c in self.counters if service_id in c.service_ids)


NO_OFFICE = OfficeInfo(name="", services=(), counters=())
"""Before any copy arrived (nothing cached, server down): no field to offer, and the screen says why."""


def office_from_state(office: Office) -> OfficeInfo:
    """From the server's ``state/office`` (or the kiosk's cached copy of it)."""
    return OfficeInfo(
        name=nfc(office.name),
        services=tuple(ServiceInfo(s.id, nfc(s.name_vi), s.name_en) for s in office.services),
        counters=tuple(CounterInfo(c.id, c.number, tuple(c.services), c.name) for c in office.counters),
        priority_categories=tuple(office.priority_categories),
        utc_offset_minutes=office.utc_offset_minutes,
    )


def office_from_settings(settings: Any) -> OfficeInfo:
    """From a ``queue_server.config.Settings`` (duck-typed): the rigs' in-memory office (tour, bench), not the
    live kiosk, which takes its office from the server."""
    return OfficeInfo(
        name=nfc(settings.office.name),
        services=tuple(ServiceInfo(s.id, nfc(s.name_vi), s.name_en) for s in settings.services),
        counters=tuple(CounterInfo(c.id, c.number, tuple(c.services), c.name) for c in settings.counters),
        priority_categories=tuple(settings.queue.priority_categories),
        utc_offset_minutes=int(settings.office.utc_offset_minutes),
    )


def in_office_time(moment: datetime, utc_offset_minutes: int) -> datetime:
    """``moment`` on the office's clock face: a Pi left on UTC must not print a ticket 7 hours off.

    A naive time is taken as already in office time (a test's fixed clock)."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(timezone(timedelta(minutes=utc_offset_minutes)))
