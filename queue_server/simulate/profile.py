"""A day profile: what an office's day is made of, for the simulator and the planner (format: docs/simulate.md).

The office part (``[office]``, ``[queue]``, ``[[services]]``, ``[[counters]]``, ``[[staff]]``) is the very
schema of ``motcua.toml`` (the same pydantic sections), so an office's configuration file can be turned into a
profile by adding the demand: arrivals per service by local hour (Poisson rates), service-time distributions,
transfers, and per counter its open hours. ``[visitors]`` holds the shares (priority, no-show, ratings).
"""

from __future__ import annotations

import datetime as dt
import tomllib
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, model_validator

from queue_server.config import (
    CounterEntry,
    OfficeSection,
    QueueSection,
    ServiceEntry,
    StaffEntry,
    Strict,
    office_setup_of,
)
from queue_server.engine.hours import sessions_on
from queue_server.engine.setup import OfficeSetup, Outcome, setup_problems
from queue_server.hours_config import HoursSection
from queue_server.simulate.distributions import ServiceTime, Shape

SAMPLE_PROFILE = Path(__file__).with_name("profiles") / "commune.toml"
DEFAULT_DAY = date(2026, 3, 2)
"""A Monday: the first simulated day when the profile names none."""

Period = tuple[int, int]
"""Open period of a counter: (start, end) in seconds after local midnight."""


@dataclass(frozen=True)
class Demand:
    """The citizens who come for one service: Poisson arrivals per local hour and how long they take."""

    service_id: str
    arrivals_per_hour: tuple[float, ...]
    """24 rates (citizens per hour), index = local hour."""
    service_time: ServiceTime
    transfer_probability: float = 0.0
    transfer_to: tuple[str, ...] = ()
    transfer_to_front: bool = True

    def load(self, hour: int) -> float:
        """Offered load in Erlangs (busy counters needed on average) in ``hour``."""
        return self.arrivals_per_hour[hour] * self.service_time.mean() / 3600.0


@dataclass(frozen=True)
class Visitors:
    priority_share: float = 0.0
    priority_weights: tuple[tuple[str, float], ...] = (("elderly_60", 1.0),)
    no_show_rate: float = 0.0
    no_show_returns: float = 0.0
    """Share of no-shows who come back within the grace period and are re-queued."""
    no_show_wait_seconds: float = 120.0
    """How long a counter waits (one recall half-way) before it skips a citizen who does not come."""
    rating_share: float = 0.0
    rating_weights: tuple[tuple[str, float], ...] = (
        ("very_satisfied", 0.5),
        ("satisfied", 0.45),
        ("dissatisfied", 0.05),
    )
    outcome_weights: tuple[tuple[str, float], ...] = (("dossier_received", 1.0),)
    overtime_minutes: float = 30.0
    """After an open period ends a counter still calls whoever waits, for at most this long."""


@dataclass(frozen=True)
class DayProfile:
    setup: OfficeSetup
    demands: tuple[Demand, ...]
    hours: dict[str, tuple[Period, ...]]
    """Counter id -> its open periods of the day (a counter absent from it stays closed)."""
    staff_at: dict[str, str] = field(default_factory=dict)
    """Counter id -> staff id signed in while it is open (none: calls carry no staff)."""
    visitors: Visitors = Visitors()
    day: date = DEFAULT_DAY
    reconfigurations: tuple[tuple[int, OfficeSetup], ...] = ()
    """(seconds after local midnight, setup): the office's setup changes during the day (a plan that gives
    counters other services from one hour to the next); each is a real ``ConfigureOffice``."""

    def demand(self, service_id: str) -> Demand | None:
        return next((d for d in self.demands if d.service_id == service_id), None)

    def expected_visits(self) -> float:
        return sum(sum(d.arrivals_per_hour) for d in self.demands)

    def scaled_arrivals(self, factor: float) -> DayProfile:
        return replace(
            self,
            demands=tuple(
                replace(d, arrivals_per_hour=tuple(r * factor for r in d.arrivals_per_hour)) for d in self.demands
            ),
        )


class ProfileError(ValueError):
    """A profile file that cannot be used, naming the field."""


def _hhmm(text: str) -> int:
    hours, _, minutes = text.strip().partition(":")
    value = int(hours) * 3600 + int(minutes or 0) * 60
    if not 0 <= value <= 24 * 3600:
        raise ValueError(f"time {text!r} outside the day")
    return value


def parse_period(text: str) -> Period:
    """``"07:30-11:30"`` -> (27000, 41400)."""
    start, sep, end = text.partition("-")
    if not sep:
        raise ValueError(f"period {text!r} is not HH:MM-HH:MM")
    period = (_hhmm(start), _hhmm(end))
    if period[0] >= period[1]:
        raise ValueError(f"period {text!r} ends before it starts")
    return period


def office_periods(setup: OfficeSetup, day: date) -> tuple[Period, ...]:
    """The office's opening sessions on ``day`` (``OfficeSetup.hours``) as periods."""
    return tuple(
        (s.start.hour * 3600 + s.start.minute * 60, s.end.hour * 3600 + s.end.minute * 60)
        for s in sessions_on(setup.hours, day)
    )


def format_period(period: Period) -> str:
    return "-".join(f"{s // 3600:02d}:{s % 3600 // 60:02d}" for s in period)


class ServiceTimeEntry(Strict):
    distribution: Shape = Shape.LOGNORMAL
    mean_minutes: float = Field(default=8.0, gt=0)
    sd_minutes: float | None = Field(default=None, ge=0)
    minutes: list[float] = Field(default_factory=list)

    def build(self) -> ServiceTime:
        if self.distribution is Shape.EMPIRICAL:
            return ServiceTime.empirical(tuple(m * 60 for m in self.minutes))
        sd = self.mean_minutes if self.sd_minutes is None else self.sd_minutes
        return ServiceTime(self.distribution, self.mean_minutes * 60, sd * 60)


class TransferEntry(Strict):
    probability: float = Field(default=0.0, ge=0, le=1)
    to: list[str] = Field(default_factory=list)
    to_front: bool = True


class ProfileService(ServiceEntry):
    arrivals: dict[str, float] = Field(default_factory=dict)
    """Local hour ("08") -> citizens per hour."""
    service_time: ServiceTimeEntry = ServiceTimeEntry()
    transfer: TransferEntry = TransferEntry()


class ProfileCounter(CounterEntry):
    hours: list[str] | None = None
    """Open periods, "HH:MM-HH:MM"; none: the office's opening hours on the profile's day."""
    staff: str | None = None


class VisitorsEntry(Strict):
    priority_share: float = Field(default=0.0, ge=0, le=1)
    priority_categories: dict[str, float] = Field(default_factory=lambda: {"elderly_60": 1.0})
    no_show_rate: float = Field(default=0.0, ge=0, le=1)
    no_show_returns: float = Field(default=0.0, ge=0, le=1)
    no_show_wait_seconds: float = Field(default=120.0, ge=0)
    rating_share: float = Field(default=0.0, ge=0, le=1)
    ratings: dict[str, float] = Field(default_factory=lambda: dict(Visitors.rating_weights))
    outcomes: dict[str, float] = Field(default_factory=lambda: dict(Visitors.outcome_weights))
    overtime_minutes: float = Field(default=30.0, ge=0)


class DaySection(Strict):
    date: dt.date = DEFAULT_DAY


class ProfileFile(Strict):
    office: OfficeSection
    queue: QueueSection = QueueSection()
    hours: HoursSection = HoursSection()
    """The office's opening hours, as motcua.toml's ``[hours]``: the default hours of counters and the days run."""
    day: DaySection = DaySection()
    visitors: VisitorsEntry = VisitorsEntry()
    services: list[ProfileService]
    counters: list[ProfileCounter]
    staff: list[StaffEntry] = Field(default_factory=list)

    @model_validator(mode="after")
    def _known_names(self) -> ProfileFile:
        services = {s.id for s in self.services}
        for s in self.services:
            if unknown := set(s.transfer.to) - services:
                raise ValueError(f"service {s.id}: transfer to unknown services {sorted(unknown)}")
            if s.transfer.probability > 0 and not s.transfer.to:
                raise ValueError(f"service {s.id}: transfer probability without destinations")
            for hour in s.arrivals:
                if not hour.isdigit() or not 0 <= int(hour) <= 23:
                    raise ValueError(f"service {s.id}: arrival hour {hour!r} is not 00..23")
        staff = {s.id for s in self.staff}
        for c in self.counters:
            if c.staff is not None and c.staff not in staff:
                raise ValueError(f"counter {c.id}: unknown staff {c.staff!r}")
            for text in c.hours or ():
                parse_period(text)
        return self


def profile_from_dict(data: dict[str, Any]) -> DayProfile:
    try:
        spec = ProfileFile.model_validate(data)
    except ValidationError as exc:
        raise ProfileError(str(exc)) from exc
    setup = office_setup_of(spec.office, spec.queue, spec.hours, spec.services, spec.counters, spec.staff)
    problems = setup_problems(setup)
    if problems:
        raise ProfileError("; ".join(f"{f}: {p}" for f, p in problems))
    v = spec.visitors
    if unknown := set(v.priority_categories) - set(setup.priority_categories):
        raise ProfileError(f"visitors.priority_categories: unknown categories {sorted(unknown)}")
    if unknown := set(v.ratings) - {r.code for r in setup.rating_scale}:
        raise ProfileError(f"visitors.ratings: unknown rating levels {sorted(unknown)}")
    if unknown := set(v.outcomes) - {o.value for o in Outcome}:
        raise ProfileError(f"visitors.outcomes: unknown outcomes {sorted(unknown)}")
    demands = tuple(
        Demand(
            service_id=s.id,
            arrivals_per_hour=tuple(float(s.arrivals.get(f"{h:02d}", s.arrivals.get(str(h), 0.0))) for h in range(24)),
            service_time=s.service_time.build(),
            transfer_probability=s.transfer.probability,
            transfer_to=tuple(s.transfer.to),
            transfer_to_front=s.transfer.to_front,
        )
        for s in spec.services
    )
    return DayProfile(
        setup=setup,
        demands=demands,
        hours={
            c.id: tuple(parse_period(p) for p in c.hours)
            if c.hours is not None
            else office_periods(setup, spec.day.date)
            for c in spec.counters
        },
        staff_at={c.id: c.staff for c in spec.counters if c.staff is not None},
        visitors=Visitors(
            priority_share=v.priority_share,
            priority_weights=tuple(v.priority_categories.items()),
            no_show_rate=v.no_show_rate,
            no_show_returns=v.no_show_returns,
            no_show_wait_seconds=v.no_show_wait_seconds,
            rating_share=v.rating_share,
            rating_weights=tuple(v.ratings.items()),
            outcome_weights=tuple(v.outcomes.items()),
            overtime_minutes=v.overtime_minutes,
        ),
        day=spec.day.date,
    )


def load_profile(path: Path | None = None) -> DayProfile:
    """Read a profile file (default: the sample commune office shipped with motcua)."""
    path = SAMPLE_PROFILE if path is None else path
    try:
        with path.open("rb") as fp:
            data = tomllib.load(fp)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ProfileError(f"{path}: {exc}") from exc
    try:
        return profile_from_dict(data)
    except ProfileError as exc:
        raise ProfileError(f"{path}: {exc}") from exc
