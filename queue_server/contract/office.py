"""The office as devices need it (``state/office``, retained): one typed payload, one ``encode`` / ``parse``.

The server builds it from the replayed setup (the event log, never its TOML file) and republishes it at start
and after every setup or catalogue change; kiosks, counter units and the hall board take their services,
counters and catalogue from it and keep the last copy on disk (``OfficeCache``) so they start when the server
is down. ``version`` is a hash of the content: two copies with the same version are the same office, so a
device can tell its cached copy from the server's current one without comparing clocks.

Self-contained on purpose (pydantic and the standard library only): a device imports this, not the server.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tempfile
import unicodedata
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from queue_server.contract.limits import MAX_PAYLOAD_BYTES

OFFICE_SCHEMA_VERSION = 1
logger = logging.getLogger(__name__)


class OfficeError(ValueError):
    """A ``state/office`` payload (or a cached copy) that is not a valid office: the device keeps its own."""


class _Model(BaseModel):
    # Fields a newer server adds are ignored, not refused: an older kiosk keeps working on what it knows
    # (the version is checked on the payload as sent, so nothing is lost in the check).
    model_config = ConfigDict(extra="ignore", frozen=True)


class OfficeService(_Model):
    id: str
    prefix: str
    name_vi: str
    name_en: str = ""


class OfficeCounter(_Model):
    id: str
    number: int
    name: str = ""
    services: tuple[str, ...] = ()
    """The services it serves, in the office's order of preference (its transfer list starts from these)."""


class OfficeRatingLevel(_Model):
    code: str
    label_vi: str
    label_en: str
    satisfied: bool


class OfficeSession(_Model):
    weekday: int
    """0 Monday … 6 Sunday."""
    start: str
    """``HH:MM``, office time."""
    end: str


class OfficeHours(_Model):
    """When the office serves (the server decides; a device may show it): weekly sessions, holidays, make-up days."""

    sessions: tuple[OfficeSession, ...] = ()
    holidays: tuple[str, ...] = ()
    """ISO dates (``2026-09-02``)."""
    make_up_days: tuple[str, ...] = ()


class Office(_Model):
    """``state/office``: what every device may know of the office (nothing personal: no staff names)."""

    v: int = OFFICE_SCHEMA_VERSION
    office_id: str
    name: str
    utc_offset_minutes: int = 420
    number_width: int = 3
    services: tuple[OfficeService, ...] = ()
    counters: tuple[OfficeCounter, ...] = ()
    priority_categories: tuple[str, ...] = ()
    priority_policy: str = "interleave"
    rating_scale: tuple[OfficeRatingLevel, ...] = ()
    rating_window_seconds: int = 120
    hours: OfficeHours = OfficeHours()
    catalogue: dict[str, Any] | None = None
    """The procedure catalogue uploaded in the admin pages (``{"version": 1, "procedures": [...]}``), or None."""
    catalogue_sha256: str | None = None
    version: str = ""
    """A hash of everything above: equal versions, equal offices."""
    published_at: str = ""
    """When the server published this copy (ISO 8601, UTC); not part of ``version``."""

    def service(self, service_id: str) -> OfficeService | None:
        return next((s for s in self.services if s.id == service_id), None)

    def counter(self, counter_id: str) -> OfficeCounter | None:
        return next((c for c in self.counters if c.id == counter_id), None)

    def service_name(self, service_id: str, lang: str = "vi") -> str:
        service = self.service(service_id)
        if service is None:
            return service_id
        return (service.name_en or service.name_vi) if lang == "en" else service.name_vi

    def versioned(self, published_at: str) -> Office:
        """This office with its ``version`` (content hash) and ``published_at`` filled in."""
        return self.model_copy(update={"version": content_version(self), "published_at": published_at})


def content_version(office: Office) -> str:
    return _hash(office.model_dump(mode="json"))


def _hash(body: dict[str, Any]) -> str:
    content = {k: v for k, v in body.items() if k not in ("version", "published_at")}
    canonical = json.dumps(content, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


def encode(office: Office) -> bytes:
    """The payload, refused (``OfficeError``) if larger than the brokers accept: better no update than a cut one."""
    data = json.dumps(office.model_dump(mode="json"), ensure_ascii=False, separators=(",", ":")).encode()
    if len(data) > MAX_PAYLOAD_BYTES:
        raise OfficeError(f"office payload is {len(data)} bytes, over the {MAX_PAYLOAD_BYTES}-byte limit")
    return data


def parse(payload: bytes) -> Office:
    """The office in a payload; ``OfficeError`` for anything else (too large, not JSON, wrong shape, bad version).

    A copy whose ``version`` does not match its content was altered or cut: refused too.
    """
    if len(payload) > MAX_PAYLOAD_BYTES:
        raise OfficeError("office payload over the size limit")
    try:
        data = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise OfficeError(f"office payload is not JSON: {exc}") from None
    return parse_data(data)


def parse_data(data: Any) -> Office:
    """``parse`` for a payload already decoded from JSON (what ``DeviceLink`` hands its ``on_state``)."""
    if not isinstance(data, dict) or data.get("v") != OFFICE_SCHEMA_VERSION:
        raise OfficeError("office payload: unknown schema version")
    data = _nfc(data)
    try:
        office = Office.model_validate(data)
    except ValidationError as exc:
        raise OfficeError(f"office payload: {exc.error_count()} invalid fields") from None
    if office.version != _hash(data):
        raise OfficeError("office payload: version does not match its content")
    return office


def _nfc(value: Any) -> Any:
    if isinstance(value, str):
        return unicodedata.normalize("NFC", value)
    if isinstance(value, list):
        return [_nfc(v) for v in value]
    if isinstance(value, dict):
        return {k: _nfc(v) for k, v in value.items()}
    return value


class OfficeCache:
    """The last office a device received, on disk: written whole then renamed (a power cut leaves the old copy),
    read back at start; a corrupt or unreadable file is logged and ignored (the device waits for the server)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def load(self) -> Office | None:
        try:
            payload = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            logger.warning("office cache unreadable path=%s error=%s", self.path, exc)
            return None
        try:
            return parse(payload)
        except OfficeError as exc:
            logger.warning("office cache ignored path=%s problem=%s", self.path, exc)
            return None

    def save(self, office: Office) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, temporary = tempfile.mkstemp(dir=self.path.parent, prefix=f".{self.path.name}.")
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(encode(office))
                    out.flush()
                    os.fsync(out.fileno())
                os.replace(temporary, self.path)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
        except (OSError, OfficeError) as exc:
            logger.warning("office cache not written path=%s error=%s", self.path, exc)
