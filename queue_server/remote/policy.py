"""The ``[remote]`` settings: caps, abuse limits, the check-in window and the notices (docs/remote.md)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class RemotePolicy(BaseModel):
    """Every cap counts numbers booked today, checked in or not (a number never used still took a place)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    enabled: bool = False
    """The public booking page (``/r``) answers only when enabled: an office opts in."""
    per_phone_per_day: int = Field(default=2, ge=1, le=20)
    per_service_per_day: int = Field(default=40, ge=1, le=10_000)
    capacity_share: float = Field(default=0.3, gt=0, le=1)
    """Remote numbers of a day at most this share of the day's capacity (the counters' open minutes over the
    learned mean service time), all services together."""
    cutoff: bool = True
    """Refuse a booking whose predicted call is after today's closing (the forecast's cut-off)."""
    code_minutes: int = Field(default=5, ge=1, le=30)
    """A one-time code expires this long after it was sent."""
    codes_per_phone_per_day: int = Field(default=5, ge=1, le=50)
    codes_per_address_per_hour: int = Field(default=10, ge=1, le=1000)
    wrong_codes_lock: int = Field(default=5, ge=1, le=20)
    """This many wrong codes lock the number for the rest of the day."""
    form_per_address_per_minute: int = Field(default=6, ge=1, le=600)
    check_in_before_minutes: int = Field(default=60, ge=0, le=24 * 60)
    """A check-in is refused while the forecast puts the call further away than this."""
    near_minutes: int = Field(default=20, ge=0, le=240)
    """"Your turn is near" SMS when the forecast says the call is this close (0: never by time)..."""
    near_position: int = Field(default=3, ge=0, le=100)
    """... or when this many people or fewer are ahead (0: never by position)."""
    retention_days: int = Field(default=1, ge=0, le=30)
    """A phone number is deleted this many days after its ticket's day (Nghị định 13/2023: no longer than
    needed); 0: at the end of the ticket's day."""
