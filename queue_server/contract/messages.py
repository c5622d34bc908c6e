"""Request and reply payloads (JSON, ``"v": 1``), and their mapping to engine commands.

A request::

    {"v": 1, "id": "k01-000042", "type": "issue_ticket", "body": {"service_id": "ho-tich"}}

Its reply on the device's ``res`` topic carries the same ``id``; a retried request gets the same reply.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from queue_server.contract.masked_name import MASKED_NAME_MAX_LENGTH, REFUSED, is_masked_name
from queue_server.engine import commands as cmd
from queue_server.engine.setup import Outcome

SCHEMA_VERSION = 1
QOS = 1
"""Every message is QoS 1; delivery is guaranteed by the device outbox, not by QoS."""
REQUEST_ID_PATTERN = r"^[A-Za-z0-9_.:-]{8,64}$"
_REQUEST_ID = re.compile(REQUEST_ID_PATTERN)
UTF8_BOM = b"\xef\xbb\xbf"


def valid_request_id(value: object) -> bool:
    """An id a reply may echo: anything else is answered with ``"id": null`` (never reflected back)."""
    return isinstance(value, str) and _REQUEST_ID.fullmatch(value) is not None


class ErrorCode(StrEnum):
    """Errors found before the engine sees a request (the engine's own are ``engine.errors.Reason``)."""

    MALFORMED = "malformed"
    TOO_LARGE = "too_large"
    SCHEMA_VERSION = "schema_version"
    INVALID_REQUEST = "invalid_request"
    UNKNOWN_DEVICE = "unknown_device"
    FORBIDDEN = "forbidden"
    WRONG_OFFICE = "wrong_office"
    INTERNAL = "internal"
    RATE_LIMITED = "rate_limited"
    """The device sent more than its kind's budget (``[limits]``); the request was neither decided nor stored."""
    STORE_UNAVAILABLE = "store_unavailable"
    """The database is down, full or under its free-space floor: nothing was decided; resend later."""
    READ_ONLY = "read_only"
    """The server started read-only (its log holds an event it cannot replay): nothing was decided."""
    CLOCK_NOT_SYNCED = "clock_not_synced"
    """The server's clock is in doubt (before NTP, behind the last event, jumped): no ticket, no new day."""
    AFTER_CLOSING = "after_closing"
    """Capacity cut-off: the new ticket's predicted call is after closing; nothing stored; resend with
    ``accept_late`` to take it anyway (docs/protocol.md)."""


TRANSIENT_CODES = frozenset({ErrorCode.STORE_UNAVAILABLE.value, ErrorCode.READ_ONLY.value})
"""Error replies after which a device keeps the request and resends it (same id): nothing was decided or stored."""


class ContractError(Exception):
    def __init__(self, code: ErrorCode, message: str, request_id: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.request_id = code, message, request_id


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, str_max_length=64)


def _masked(value: str) -> str:
    if not is_masked_name(value):
        raise ValueError(REFUSED)  # fixed text: a refused name is never echoed into replies or logs
    return value


MaskedName = Annotated[str, Field(max_length=MASKED_NAME_MAX_LENGTH), AfterValidator(_masked)]


class IssueBody(_Body):
    service_id: str
    priority: str | None = None
    display_name: MaskedName | None = None
    """The masked name read from an ID card ("Nguyễn V. A."), sent only if the office enables it."""
    accept_late: bool = False
    """The citizen takes the number although its predicted call is after closing (the capacity cut-off)."""


class CounterBody(_Body):
    counter_id: str


class TransferBody(CounterBody):
    to_service_id: str | None = None
    to_counter_id: str | None = None
    to_front: bool = False


class FinishBody(CounterBody):
    outcome: Outcome | None = None
    dossier_code: str | None = None


class RateBody(CounterBody):
    level: str
    ticket_id: str | None = None


class RequeueBody(_Body):
    ticket_id: str


class SignInBody(CounterBody):
    staff_id: str


RequestType = Literal[
    "issue_ticket", "call_next", "recall", "skip", "requeue", "transfer", "finish", "rate",
    "pause", "resume", "sign_in", "sign_out",
]  # fmt: skip

_BODIES: dict[str, tuple[type[_Body], Callable[[Any, str], cmd.Command]]] = {
    "issue_ticket": (
        IssueBody,
        lambda b, d: cmd.IssueTicket(b.service_id, b.priority, d, b.display_name, b.accept_late),
    ),
    "call_next": (CounterBody, lambda b, d: cmd.CallNext(b.counter_id)),
    "recall": (CounterBody, lambda b, d: cmd.Recall(b.counter_id)),
    "skip": (CounterBody, lambda b, d: cmd.SkipTicket(b.counter_id)),
    "requeue": (RequeueBody, lambda b, d: cmd.Requeue(b.ticket_id)),
    "transfer": (
        TransferBody,
        lambda b, d: cmd.Transfer(b.counter_id, b.to_service_id, b.to_counter_id, b.to_front),
    ),
    "finish": (FinishBody, lambda b, d: cmd.FinishService(b.counter_id, b.outcome, b.dossier_code)),
    "rate": (RateBody, lambda b, d: cmd.RateService(b.counter_id, b.level, b.ticket_id)),
    "pause": (CounterBody, lambda b, d: cmd.PauseCounter(b.counter_id)),
    "resume": (CounterBody, lambda b, d: cmd.ResumeCounter(b.counter_id)),
    "sign_in": (SignInBody, lambda b, d: cmd.SignIn(b.counter_id, b.staff_id)),
    "sign_out": (CounterBody, lambda b, d: cmd.SignOut(b.counter_id)),
}
KIOSK_TYPES = frozenset({"issue_ticket"})
COUNTER_TYPES = frozenset(_BODIES) - KIOSK_TYPES
ALL_TYPES = frozenset(_BODIES)


class RequestEnvelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    v: int
    id: str = Field(pattern=REQUEST_ID_PATTERN)
    type: RequestType
    body: dict[str, Any] = {}
    sent_at: str | None = Field(None, max_length=40)
    """The device's own clock, for its logs only: never used for statistics (Pis have no RTC)."""


def parse_request(payload: bytes, max_bytes: int) -> tuple[RequestEnvelope, _Body]:
    """Validate a request payload; raises ``ContractError`` with the request id when it could be read."""
    if len(payload) > max_bytes:
        raise ContractError(ErrorCode.TOO_LARGE, f"payload of {len(payload)} bytes exceeds {max_bytes}")
    if payload.startswith(UTF8_BOM):
        raise ContractError(ErrorCode.MALFORMED, "not JSON: UTF-8 without a byte-order mark expected")
    try:
        # Decoded here, strictly: json.loads(bytes) would also take UTF-16 and UTF-32 (the contract says UTF-8).
        raw = json.loads(payload.decode("utf-8"))
    except UnicodeDecodeError:
        raise ContractError(ErrorCode.MALFORMED, "not JSON: payload is not UTF-8") from None
    except json.JSONDecodeError as exc:
        raise ContractError(ErrorCode.MALFORMED, f"not JSON: {exc}") from None
    except RecursionError:
        raise ContractError(ErrorCode.MALFORMED, "JSON nested too deeply") from None
    if not isinstance(raw, dict):
        raise ContractError(ErrorCode.MALFORMED, "payload must be a JSON object")
    request_id = raw["id"] if valid_request_id(raw.get("id")) else None
    if type(raw.get("v")) is not int or raw["v"] != SCHEMA_VERSION:  # true and 1.0 equal 1 in Python
        raise ContractError(
            ErrorCode.SCHEMA_VERSION,
            f"schema version {raw.get('v')!r} unsupported; use {SCHEMA_VERSION}",
            request_id,
        )
    try:
        envelope = RequestEnvelope.model_validate(raw)
        body_type, _ = _BODIES[envelope.type]
        body = body_type.model_validate(envelope.body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "payload"
        raise ContractError(ErrorCode.INVALID_REQUEST, f"{where}: {first['msg']}", request_id) from None
    return envelope, body


def to_command(envelope: RequestEnvelope, body: _Body, device_id: str) -> cmd.Command:
    return _BODIES[envelope.type][1](body, device_id)


def counter_of(body: _Body) -> str | None:
    """The counter a request acts on, for the per-device permission check."""
    return body.counter_id if isinstance(body, CounterBody) else None


def ok_reply(request_id: str, result: dict[str, Any], at: str) -> dict[str, Any]:
    return {"v": SCHEMA_VERSION, "id": request_id, "ok": True, "result": result, "at": at}


def error_reply(request_id: str | None, code: str, message: str, at: str) -> dict[str, Any]:
    return {
        "v": SCHEMA_VERSION,
        "id": request_id,
        "ok": False,
        "error": {"code": code, "message": message},
        "at": at,
    }


def encode(message: dict[str, Any]) -> bytes:
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()


class AlarmCode(StrEnum):
    """What a device can report as wrong on its ``dev/{device}/status`` topic (shown on the manager's dashboard)."""

    PRINTER_PAPER_OUT = "printer_paper_out"
    PRINTER_PAPER_NEAR_END = "printer_paper_near_end"
    PRINTER_OFFLINE = "printer_offline"
    PRINTER_ERROR = "printer_error"
    DISPLAY_ERROR = "display_error"
    AUDIO_ERROR = "audio_error"
    SCANNER_ERROR = "scanner_error"


class DeviceStatus(BaseModel):
    """A device's retained status: online or not, and its current alarms (empty when all is well)."""

    model_config = ConfigDict(extra="ignore")
    v: int = SCHEMA_VERSION
    online: bool
    alarms: list[AlarmCode] = []


def device_status_payload(online: bool, alarms: Iterable[AlarmCode | str] = ()) -> bytes:
    codes = sorted({AlarmCode(a).value for a in alarms})
    return json.dumps({"v": SCHEMA_VERSION, "online": online, "alarms": codes}).encode()


def parse_device_status(payload: bytes) -> DeviceStatus:
    """The status a device published; raises ``ContractError`` on anything malformed (unknown alarm codes too)."""
    if len(payload) > 4096:
        raise ContractError(ErrorCode.TOO_LARGE, "status payload too large")
    try:
        return DeviceStatus.model_validate_json(payload)
    except ValidationError as exc:
        raise ContractError(ErrorCode.MALFORMED, f"bad device status: {exc.errors()[0]['msg']}") from None
