"""Why a command was refused: a stable code for machines and a sentence for people."""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    OFFICE_NOT_CONFIGURED = "office_not_configured"
    INVALID_SETUP = "invalid_setup"
    UNKNOWN_SERVICE = "unknown_service"
    UNKNOWN_COUNTER = "unknown_counter"
    UNKNOWN_TICKET = "unknown_ticket"
    UNKNOWN_STAFF = "unknown_staff"
    UNKNOWN_PRIORITY = "unknown_priority"
    UNKNOWN_RATING_LEVEL = "unknown_rating_level"
    COUNTER_PAUSED = "counter_paused"
    COUNTER_NOT_PAUSED = "counter_not_paused"
    NOTHING_WAITING = "nothing_waiting"
    NOT_SERVING = "not_serving"
    NOT_NO_SHOW = "not_no_show"
    GRACE_EXPIRED = "grace_expired"
    SAME_DESTINATION = "same_destination"
    NOTHING_TO_RATE = "nothing_to_rate"
    ALREADY_RATED = "already_rated"
    RATING_WINDOW_CLOSED = "rating_window_closed"
    # remote numbers (issue 14)
    CHECK_IN_CODE_IN_USE = "check_in_code_in_use"
    UNKNOWN_CHECK_IN_CODE = "unknown_check_in_code"
    CHECK_IN_CLOSED = "check_in_closed"


class CommandRejected(Exception):
    """The engine refused a command; nothing changed."""

    def __init__(self, reason: Reason, detail: str = "") -> None:
        super().__init__(f"{reason.value}: {detail}" if detail else reason.value)
        self.reason = reason
        self.detail = detail
