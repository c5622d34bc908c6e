"""The planner and the predicted service level for a running office: its day profile, a plan cache for the /plan
page, and /live's alert computed off the request path.

The profile is the ``[planner] profile`` file when set, else learned from the office's own log over the last
``learn_days`` local days before today (``simulate.learn``), else the sample commune profile (said on the page).
A learned profile changes at most once a day, so it is kept per day; plans are kept per (profile, period, goal).

The alert (``LevelForecaster``) runs ``simulate.ahead.predict_hour`` on a copy of the live state in a thread of
its own, once a minute and on a change of the state at most every 20 s: a page reads the last result and never
waits for it.
"""

from __future__ import annotations

import logging
import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from queue_server.config import PlannerSection
from queue_server.engine.state import QueueState
from queue_server.planner.plan import Goal, StaffingPlan, plan_day
from queue_server.simulate.ahead import predict_hour
from queue_server.simulate.learn import learn_profile
from queue_server.simulate.profile import DayProfile, ProfileError, load_profile
from queue_server.store.event_store import EventStore

logger = logging.getLogger(__name__)
MAX_EXTRA_COUNTERS = 3
MIN_REFRESH_SECONDS = 20.0
CACHED_PLANS = 8


@dataclass(frozen=True)
class ProfileSource:
    profile: DayProfile
    kind: str
    """"file", "learned" or "sample"."""
    start: date | None = None
    end: date | None = None


def office_profile(store: EventStore, planner: PlannerSection, today: date, start: date | None = None,
                   end: date | None = None) -> ProfileSource:  # fmt: skip
    """The office's day profile (module docstring); ``start``/``end`` choose the learning period."""
    if planner.profile is not None and start is None:
        try:
            return ProfileSource(load_profile(planner.profile), "file")
        except ProfileError as exc:
            logger.error("planner profile %s unusable: %s", planner.profile, exc)
    first = start or today - timedelta(days=planner.learn_days)
    last = end or today - timedelta(days=1)
    try:
        return ProfileSource(learn_profile((s.event for s in store.events()), first, last), "learned", first, last)
    except ProfileError:
        return ProfileSource(load_profile(), "sample", first, last)


class PlanCache:
    """Plans already made in this process (a plan costs a second or more of simulation)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._plans: dict[tuple[object, ...], StaffingPlan] = {}

    def plan(self, key: tuple[object, ...], make: Callable[[], StaffingPlan]) -> StaffingPlan:
        with self._lock:
            if key in self._plans:
                return self._plans[key]
        plan = make()
        with self._lock:
            if len(self._plans) >= CACHED_PLANS:
                self._plans.pop(next(iter(self._plans)))
            self._plans[key] = plan
        return plan


def plan_for(cache: PlanCache, source: ProfileSource, goal: Goal, day_key: object) -> StaffingPlan:
    key = (source.kind, source.start, source.end, goal, day_key)
    return cache.plan(key, lambda: plan_day(source.profile, goal))


@dataclass(frozen=True)
class ServiceAlert:
    service_id: str
    mean_wait_seconds: float
    """Predicted mean wait of the citizens arriving in the coming hour (``math.inf``: none would be called)."""
    extra_counters: int | None
    """Counters more serving this service that bring it within the target; None: more than ``MAX_EXTRA_COUNTERS``."""
    with_extra_seconds: float | None

    @property
    def unserved(self) -> bool:
        """No open counter would call this service's citizens within the simulated hours."""
        return not math.isfinite(self.mean_wait_seconds)


@dataclass(frozen=True)
class LevelForecast:
    computed_at: datetime
    version: int
    target_seconds: float
    overall_seconds: float | None
    alerts: tuple[ServiceAlert, ...]


def service_level(
    state: QueueState, profile: DayProfile, now: datetime, target: float, version: int = 0
) -> LevelForecast:
    """The coming hour's predicted waits; for each service over ``target``, how many more counters fix it."""
    ahead = predict_hour(state, profile, now)
    alerts = []
    for service_id, figures in sorted(ahead.by_service.items()):
        mean = figures.mean_wait_seconds
        if mean is None or mean <= target:
            continue
        needed, better = None, None
        for extra in range(1, MAX_EXTRA_COUNTERS + 1):
            tried = predict_hour(state, profile, now, extra={service_id: extra}).by_service.get(service_id)
            if tried is not None and tried.mean_wait_seconds is not None and tried.mean_wait_seconds <= target:
                needed, better = extra, tried.mean_wait_seconds
                break
        alerts.append(ServiceAlert(service_id, mean, needed, better))
    overall = ahead.overall.mean_wait_seconds
    return LevelForecast(now, version, target, overall if overall is None or math.isfinite(overall) else None,
                         tuple(alerts))  # fmt: skip


class LevelForecaster:
    """The last ``LevelForecast`` of an office, refreshed in the background (module docstring)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._latest: LevelForecast | None = None
        self._key: tuple[int, str] | None = None
        self._worker: threading.Thread | None = None
        self._started: datetime | None = None

    def latest(
        self,
        version: int,
        now: datetime,
        state: Callable[[], QueueState],
        profile: Callable[[], DayProfile],
        target: float,
    ) -> LevelForecast | None:
        """The last result; starts a refresh when the minute changed, or the state did and the last refresh
        started ``MIN_REFRESH_SECONDS`` ago (a busy office changes every second: one simulation at a time)."""
        with self._lock:
            minute = now.strftime("%Y%m%d%H%M")
            stale = self._key is None or self._key[1] != minute
            if not stale and self._key is not None and self._key[0] != version and self._started is not None:
                stale = (now - self._started).total_seconds() >= MIN_REFRESH_SECONDS
            if stale and (self._worker is None or not self._worker.is_alive()):
                self._key, self._started = (version, minute), now
                self._worker = threading.Thread(
                    target=self._refresh, args=(version, now, state, profile, target), name="level-forecast",
                    daemon=True,
                )  # fmt: skip
                self._worker.start()
            return self._latest

    def wait(self, timeout: float) -> bool:
        """Until the refresh running (if any) is done; for tests and the first page of a process."""
        worker = self._worker
        if worker is not None:
            worker.join(timeout)
        return worker is None or not worker.is_alive()

    def _refresh(
        self,
        version: int,
        now: datetime,
        state: Callable[[], QueueState],
        profile: Callable[[], DayProfile],
        target: float,
    ) -> None:
        try:
            result = service_level(state(), profile(), now, target, version)
        except Exception:  # a forecast must never take the live page down with it
            logger.exception("predicted service level not computed")
            return
        with self._lock:
            self._latest = result
