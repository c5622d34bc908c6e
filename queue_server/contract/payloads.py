"""Typed payloads for every message on the contract but requests (``messages.py``) and the office (its own
module): replies and their results, server status, counter, board, waiting and device status.

Each model has one ``encode`` (the bytes the server or device publishes) and one ``parse`` (bytes, or the JSON
object a ``DeviceLink`` already decoded). The server's views build them, devices read them: neither spells a
payload's keys by hand. Unknown keys are ignored when parsing, so a newer server does not break an older device;
a payload that does not fit raises ``ContractError`` (``malformed`` or ``too_large``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from queue_server.contract.messages import SCHEMA_VERSION, AlarmCode, ContractError, ErrorCode, encode


def _absent_if_none(value: object) -> bool:
    return value is None


def _omitted_if_none() -> Any:
    """A key left out of the payload when it has no value (not written as ``null``)."""
    return Field(None, exclude_if=_absent_if_none)


class Payload(BaseModel):
    """One message's JSON object, ``"v": 1`` first."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    MAX_BYTES: ClassVar[int] = 256 * 1024
    """Larger payloads are refused before parsing (retained state stays well under it)."""

    v: int = SCHEMA_VERSION

    def payload(self) -> dict[str, Any]:
        """The JSON object, as published."""
        return self.model_dump(mode="json")

    def encode(self) -> bytes:
        return encode(self.payload())

    @classmethod
    def parse(cls, data: bytes | str | Mapping[str, Any]) -> Self:
        """The model of a received payload; raises ``ContractError`` if it is too large or does not fit."""
        try:
            if isinstance(data, bytes | str):
                if len(data) > cls.MAX_BYTES:
                    raise ContractError(ErrorCode.TOO_LARGE, f"{cls.__name__} payload too large")
                return cls.model_validate_json(data)
            return cls.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"]) or "payload"
            raise ContractError(ErrorCode.MALFORMED, f"bad {cls.__name__}: {where}: {first['msg']}") from None


class _Part(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


EXPIRED = "expired"
"""The error code of a ``DeviceLink``'s own reply to a request whose time to live ended unanswered."""


# -- replies -------------------------------------------------------------------------------------------------
class WaitRange(_Part):
    low: int
    high: int


class WaitForecast(_Part):
    """``result.forecast`` of ``issue_ticket`` (and ``error.forecast`` of ``after_closing``): docs/protocol.md,
    "Wait forecast". Times are ISO 8601 with the office's UTC offset."""

    position: int
    wait_minutes: WaitRange
    call_at: str
    call_at_low: str
    call_at_high: str
    after_closing: bool = False


class ReplyError(_Part):
    code: str
    message: str = ""
    forecast: dict[str, Any] | None = _omitted_if_none()
    """``after_closing`` only: the refused ticket's forecast (``WaitForecast``'s shape; kept raw so that a
    partial one never makes the whole reply unreadable: ``Reply.forecast`` validates it)."""
    closing_at: str | None = _omitted_if_none()
    next_opening: str | None = _omitted_if_none()
    opens_at: str | None = _omitted_if_none()
    """``check_in_early`` only: from when (office time) the remote number may check in."""


class TicketResult(_Part):
    """``result.ticket``: all of it for ``issue_ticket``, the id and label for calls, recalls, skips and ratings."""

    ticket_id: str
    label: str | None = None
    number: int | None = _omitted_if_none()
    service_id: str | None = _omitted_if_none()
    priority: str | None = _omitted_if_none()
    day: str | None = _omitted_if_none()
    people_ahead: int | None = _omitted_if_none()


class Reply(Payload):
    """The server's answer on ``dev/{device}/res`` (or a ``DeviceLink``'s local ``expired``)."""

    id: str | None = None
    ok: bool
    result: dict[str, Any] | None = _omitted_if_none()
    error: ReplyError | None = _omitted_if_none()
    at: str | None = _omitted_if_none()

    @classmethod
    def accepted(cls, request_id: str, result: Mapping[str, Any], at: str) -> Reply:
        return cls(id=request_id, ok=True, result=dict(result), at=at)

    @classmethod
    def refused(cls, request_id: str | None, code: str, message: str, at: str | None) -> Reply:
        return cls(id=request_id, ok=False, error=ReplyError(code=code, message=message), at=at)

    @property
    def code(self) -> str | None:
        """The error code of a refusal, None for an accepted request."""
        return None if self.error is None else self.error.code

    def forecast(self) -> WaitForecast | None:
        """The issued ticket's forecast, or a refusal's (``after_closing``); None if none or unreadable."""
        raw = (self.result or {}).get("forecast") if self.ok else None
        if raw is None and self.error is not None:
            raw = self.error.forecast
        if raw is None:
            return None
        try:
            return WaitForecast.model_validate(raw)
        except ValidationError:
            return None

    def ticket(self) -> TicketResult | None:
        """The ticket an accepted request issued, called, recalled, skipped or rated; None otherwise."""
        raw = (self.result or {}).get("ticket") if self.ok else None
        if raw is None:
            return None
        try:
            return TicketResult.model_validate(raw)
        except ValidationError:
            raise ContractError(ErrorCode.MALFORMED, "bad Reply: result.ticket") from None


# -- status topics -------------------------------------------------------------------------------------------
class ServerStatus(Payload):
    """``server/status``, retained: online (its last will says offline), and the store's trouble if any."""

    online: bool
    store: str | None = _omitted_if_none()
    reason: str | None = _omitted_if_none()
    at: str | None = _omitted_if_none()

    @classmethod
    def says_online(cls, data: bytes | Mapping[str, Any]) -> bool:
        """What a device shows: online only if a readable status says so (nothing is vouched for otherwise)."""
        try:
            return cls.parse(data).online
        except ContractError:
            return False


class DeviceStatus(Payload):
    """A device's retained ``dev/{device}/status``: online or not, and its current alarms (empty when all is
    well). The server parses it from a hostile hall: 4 KB at most, unknown alarm codes refused."""

    MAX_BYTES: ClassVar[int] = 4096
    online: bool
    alarms: list[AlarmCode] = []

    @classmethod
    def of(cls, online: bool, alarms: Iterable[AlarmCode | str] = ()) -> DeviceStatus:
        """The alarms sorted and once each, so that equal states publish equal bytes."""
        return cls(online=online, alarms=sorted({AlarmCode(a) for a in alarms}))


# -- retained state ------------------------------------------------------------------------------------------
class ServingTicket(_Part):
    """Shown to the whole hall: no name, and no priority category beyond "ưu tiên" (yes/no)."""

    ticket_id: str
    label: str
    service_id: str
    priority: bool
    since: str | None = None


class CounterState(Payload):
    """``state/counters/{id}``: what a counter serves now."""

    counter_id: str
    number: int | None = None
    services: list[str] = []
    paused: bool = False
    staff_id: str | None = None
    serving: ServingTicket | None = None
    at: str | None = _omitted_if_none()


class PrivateServing(_Part):
    ticket_id: str
    label: str
    display_name: str | None = _omitted_if_none()


class CounterView(Payload):
    """``dev/{device}/view``: what only the counter's own unit(s) may see, the masked name of whom it serves."""

    counter_id: str
    serving: PrivateServing | None = None
    at: str | None = _omitted_if_none()


class BoardCall(_Part):
    label: str
    counter_id: str
    counter_number: int | None = None
    at: str | None = None
    serving: bool = False


class BoardState(Payload):
    """``state/board``: the latest calls, newest first."""

    recent: list[BoardCall] = []
    at: str | None = _omitted_if_none()


class WaitingState(Payload):
    """``state/waiting``: how many wait per service (lĩnh vực) today."""

    day: str | None = None
    waiting: dict[str, int] = {}
    at: str | None = _omitted_if_none()
