"""Request and reply payloads (JSON, ``"v": 1``): what a request's body may hold, and how replies look.

A request::

    {"v": 1, "id": "k01-000042", "type": "issue_ticket", "body": {"service_id": "ho-tich"}}

Its reply on the device's ``res`` topic carries the same ``id``; a retried request gets the same reply. What a
request does to the office (its engine command) is the server's business: ``queue_server/admission_commands.py``.
"""

from __future__ import annotations

import json
import re
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError

from queue_server.contract.errors import MotcuaError
from queue_server.contract.masked_name import MASKED_NAME_MAX_LENGTH, REFUSED, is_masked_name
from queue_server.contract.permissions import RequestType

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
    CHECK_IN_EARLY = "check_in_early"
    """A remote number's check-in while its predicted call is further away than the office's window; nothing
    stored; the error carries ``forecast`` and ``opens_at`` (docs/remote.md)."""
    AFTER_CLOSING = "after_closing"
    """Capacity cut-off: the new ticket's predicted call is after closing; nothing stored; resend with
    ``accept_late`` to take it anyway (docs/protocol.md)."""


TRANSIENT_CODES = frozenset({ErrorCode.STORE_UNAVAILABLE.value, ErrorCode.READ_ONLY.value})
"""Error replies after which a device keeps the request and resends it (same id): nothing was decided or stored."""


class ContractError(MotcuaError):
    def __init__(self, code: ErrorCode, message: str, request_id: str | None = None) -> None:
        super().__init__(message)
        self.code, self.message, self.request_id = code, message, request_id


class Outcome(StrEnum):
    """How a service at a counter ended (``finish``'s ``outcome``): the engine's ``engine.setup.Outcome``, copied
    so that devices need no engine (a unit test keeps the two equal)."""

    DOSSIER_RECEIVED = "dossier_received"
    RESULT_RETURNED = "result_returned"
    GUIDANCE_ONLY = "guidance_only"
    REFUSED = "refused"


class RequestBody(BaseModel):
    """The base of every request's body model: unknown fields refused, short strings."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_max_length=64)


def _masked(value: str) -> str:
    if not is_masked_name(value):
        raise ValueError(REFUSED)  # fixed text: a refused name is never echoed into replies or logs
    return value


MaskedName = Annotated[str, Field(max_length=MASKED_NAME_MAX_LENGTH), AfterValidator(_masked)]


class IssueBody(RequestBody):
    service_id: str
    priority: str | None = None
    display_name: MaskedName | None = None
    """The masked name read from an ID card ("Nguyễn V. A."), sent only if the office enables it."""
    accept_late: bool = False
    """The citizen takes the number although its predicted call is after closing (the capacity cut-off)."""


class CounterBody(RequestBody):
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


class RequeueBody(RequestBody):
    ticket_id: str


class SignInBody(CounterBody):
    staff_id: str


CHECK_IN_CODE_PATTERN = r"^[0-9]{6}$"


class CheckInBody(RequestBody):
    """A remote number's check-in at the kiosk: the six digits typed, or read from the ticket page's QR
    (``MOTCUA-CHECKIN:123456``, ``check_in_code_of``)."""

    check_in_code: str = Field(pattern=CHECK_IN_CODE_PATTERN)


CHECK_IN_QR_PREFIX = "MOTCUA-CHECKIN:"


def check_in_code_of(scanned: str) -> str | None:
    """The code in a scanned QR or typed text (spaces allowed), or None if it holds none."""
    text = scanned.strip()
    if text.upper().startswith(CHECK_IN_QR_PREFIX):
        text = text[len(CHECK_IN_QR_PREFIX) :]
    digits = text.replace(" ", "")
    return digits if re.fullmatch(CHECK_IN_CODE_PATTERN, digits) else None


REQUEST_BODIES: dict[RequestType, type[RequestBody]] = {
    "issue_ticket": IssueBody,
    "call_next": CounterBody,
    "recall": CounterBody,
    "skip": CounterBody,
    "requeue": RequeueBody,
    "transfer": TransferBody,
    "finish": FinishBody,
    "rate": RateBody,
    "pause": CounterBody,
    "resume": CounterBody,
    "sign_in": SignInBody,
    "sign_out": CounterBody,
    "check_in": CheckInBody,
}


class RequestEnvelope(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    v: int
    id: str = Field(pattern=REQUEST_ID_PATTERN)
    type: RequestType
    body: dict[str, Any] = {}
    sent_at: str | None = Field(None, max_length=40)
    """The device's own clock, for its logs only: never used for statistics (Pis have no RTC)."""


def parse_request(payload: bytes, max_bytes: int) -> tuple[RequestEnvelope, RequestBody]:
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
        body = REQUEST_BODIES[envelope.type].model_validate(envelope.body)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "payload"
        raise ContractError(ErrorCode.INVALID_REQUEST, f"{where}: {first['msg']}", request_id) from None
    return envelope, body


def encode_request(request_id: str, request_type: str, body: dict[str, Any], sent_at: str | None = None) -> bytes:
    """A request's payload, as ``parse_request`` reads it back. Not validated here: what to refuse is the
    server's to say (a test may send what a broken device would)."""
    envelope: dict[str, Any] = {"v": SCHEMA_VERSION, "id": request_id, "type": request_type, "body": body}
    if sent_at is not None:
        envelope["sent_at"] = sent_at
    return encode(envelope)


def counter_of(body: RequestBody) -> str | None:
    """The counter a request acts on, for the per-device permission check."""
    return body.counter_id if isinstance(body, CounterBody) else None


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
