"""What an office is made of: its services (lĩnh vực), counters, staff and policies.

The setup is itself recorded as an event (``OfficeConfigured``) so that replaying the event log alone rebuilds
the queue exactly, even after the office changed its counters or rating scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from queue_server.engine.hours import DEFAULT_HOURS, OpeningHours, hours_problems


class OfficeLevel(StrEnum):
    """Since 1/7/2025 one-stop shops sit at commune and province level; district ones are legacy."""

    COMMUNE_CENTRE = "commune_centre"
    PROVINCE_CENTRE = "province_centre"
    DISTRICT_LEGACY = "district_legacy"


class AreaClass(StrEnum):
    """Selects the productivity target (1,600 / 1,200 / 800 dossiers per staff member a year)."""

    URBAN = "urban"
    RURAL = "rural"
    REMOTE = "remote"


class PriorityPolicy(StrEnum):
    STRICT = "strict"
    """Any waiting priority ticket is called before any normal one."""
    INTERLEAVE = "interleave"
    """One priority ticket after every ``interleave_every`` normal ones (at the same counter)."""


class Outcome(StrEnum):
    """How a service at a counter ended; ``DOSSIER_RECEIVED`` is what productivity counts."""

    DOSSIER_RECEIVED = "dossier_received"
    RESULT_RETURNED = "result_returned"
    GUIDANCE_ONLY = "guidance_only"
    REFUSED = "refused"


DEFAULT_PRIORITY_CATEGORIES: tuple[str, ...] = ("elderly_60", "pregnant", "disabled", "merit")
"""60+ (người cao tuổi), pregnant women, people with disabilities, người có công với cách mạng."""


@dataclass(frozen=True)
class RatingLevel:
    code: str
    label_vi: str
    label_en: str
    satisfied: bool
    """Counts as satisfied ("Hài lòng" or better) in the share and in the QĐ 766 ratio."""


DEFAULT_RATING_SCALE: tuple[RatingLevel, ...] = (
    RatingLevel("very_satisfied", "Rất hài lòng", "Very satisfied", True),
    RatingLevel("satisfied", "Hài lòng", "Satisfied", True),
    RatingLevel("dissatisfied", "Không hài lòng", "Dissatisfied", False),
)


@dataclass(frozen=True)
class Service:
    """A field (lĩnh vực) citizens queue for; its letter prefix starts every ticket number."""

    id: str
    prefix: str
    name_vi: str
    name_en: str = ""


@dataclass(frozen=True)
class Counter:
    id: str
    number: int
    service_ids: tuple[str, ...]
    name: str = ""


@dataclass(frozen=True)
class Staff:
    id: str
    name: str


@dataclass(frozen=True)
class OfficeSetup:
    office_id: str
    name: str
    level: OfficeLevel = OfficeLevel.COMMUNE_CENTRE
    area_class: AreaClass = AreaClass.URBAN
    services: tuple[Service, ...] = ()
    counters: tuple[Counter, ...] = ()
    staff: tuple[Staff, ...] = ()
    priority_policy: PriorityPolicy = PriorityPolicy.INTERLEAVE
    interleave_every: int = 2
    priority_categories: tuple[str, ...] = DEFAULT_PRIORITY_CATEGORIES
    no_show_grace_seconds: int = 900
    """How long after a no-show the citizen may still be put back in the queue."""
    rating_window_seconds: int = 120
    """How long after a service ends its rating is still accepted."""
    rating_scale: tuple[RatingLevel, ...] = DEFAULT_RATING_SCALE
    utc_offset_minutes: int = 420
    """Asia/Ho_Chi_Minh is UTC+7 all year (no DST since 1975); a fixed offset needs no tz files."""
    number_width: int = 3
    hours: OpeningHours = DEFAULT_HOURS
    """Opening hours, lunch break and public holidays; events recorded before they existed replay with the
    default."""

    def service(self, service_id: str) -> Service | None:
        return next((s for s in self.services if s.id == service_id), None)

    def counter(self, counter_id: str) -> Counter | None:
        return next((c for c in self.counters if c.id == counter_id), None)

    def rating_level(self, code: str) -> RatingLevel | None:
        return next((r for r in self.rating_scale if r.code == code), None)


def setup_problems(setup: OfficeSetup) -> list[tuple[str, str]]:
    """Every rule an office setup breaks, as (field, problem): the one list of rules, used by the engine when it
    decides ``ConfigureOffice`` and by the configuration loader, so a file the engine would refuse is refused at
    start, naming the field, instead of being "recorded" and refusing every ticket afterwards."""
    problems: list[tuple[str, str]] = []
    service_ids = [s.id for s in setup.services]
    prefixes = [s.prefix for s in setup.services]
    for name, values in (("services.id", service_ids), ("services.prefix", prefixes)):
        repeated = sorted({v for v in values if values.count(v) > 1})
        if repeated:
            problems.append((name, f"duplicate service {name.split('.')[1]} {', '.join(repeated)}"))
    if len({c.id for c in setup.counters}) != len(setup.counters):
        problems.append(("counters.id", "duplicate counter id"))
    for counter in setup.counters:
        missing = set(counter.service_ids) - set(service_ids)
        if missing:
            problems.append(("counters.services", f"counter {counter.id} serves unknown services {sorted(missing)}"))
    if not setup.rating_scale:
        problems.append(("rating_scale", "empty rating scale"))
    if setup.interleave_every < 1:
        problems.append(("queue.interleave_every", "interleave_every must be at least 1"))
    if any(not s.prefix for s in setup.services):
        problems.append(("services.prefix", "empty service prefix"))
    if setup.number_width < 1:
        problems.append(("queue.number_width", "number_width must be at least 1"))  # a negative width breaks labels
    if setup.no_show_grace_seconds < 0 or setup.rating_window_seconds < 0:
        problems.append(("queue", "grace and rating window must not be negative"))
    rating_codes = [r.code for r in setup.rating_scale]
    if len(set(rating_codes)) != len(rating_codes):
        problems.append(("rating_scale.code", "duplicate rating level code"))
    if len({s.id for s in setup.staff}) != len(setup.staff):
        problems.append(("staff.id", "duplicate staff id"))
    if not -12 * 60 <= setup.utc_offset_minutes <= 14 * 60:
        problems.append(("office.utc_offset_minutes", "utc_offset_minutes outside -12h..+14h (-720..840)"))
    problems.extend(hours_problems(setup.hours))
    return problems
