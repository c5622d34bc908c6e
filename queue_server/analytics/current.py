"""A period's report as pages, exports and ``motcua stats`` read it: from the visits read model, caught up first.

The read model (``projection.py``) answers a year in a tenth of a second where folding the whole log takes tens of
seconds; catching it up first makes every figure include the events committed a moment ago. The office server
also catches up in the background (``ProjectionKeeper``), so a request usually finds little or nothing to fold.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Iterable
from datetime import date
from typing import Protocol

from sqlalchemy import Engine

from queue_server.analytics.metrics import GroupBy
from queue_server.analytics.projection import EventLog, ProjectionConflict, VisitProjection
from queue_server.analytics.report import PeriodReport
from queue_server.analytics.reversals import check_period as check_reversals
from queue_server.analytics.targets import DEFAULT_TARGETS, SLOTS, Target, Targets, make_target, slots, with_slots
from queue_server.engine.setup import OfficeSetup
from queue_server.store.audit_rows import AuditRow
from queue_server.store.event_store import EventStore
from queue_server.store.settings import read_settings, write_settings

logger = logging.getLogger(__name__)
KEEPER_INTERVAL_SECONDS = 30.0


class OfficeLog(EventLog, Protocol):
    """An office's log as the read model folds it, with the database it lives in: an ``EventStore`` at the
    office; at the province ``province.office_order.OfficeOrder`` (the office's own seq order)."""

    @property
    def engine(self) -> Engine: ...


def catch_up(store: OfficeLog, setup: OfficeSetup) -> None:
    """Fold what is new; if another thread or process is folding the same events, its commit is as good."""
    try:
        VisitProjection(store.engine).catch_up(store, setup)
    except ProjectionConflict:
        logger.info("statistics read model: another catch-up was running; using its result")


def office_report(
    store: OfficeLog,
    setup: OfficeSetup,
    start: date,
    end: date,
    *,
    group_by: Iterable[GroupBy] = (),
    targets: Targets | None = None,
) -> PeriodReport:
    """The same ``PeriodReport`` as ``report.period_report`` over the whole log, from the caught-up read model.

    ``targets`` None: the targets an administrator saved over the national defaults (``effective_targets``)."""
    catch_up(store, setup)
    check_reversals(store.engine, setup.office_id, start, end)  # PeriodRefused: figures would be wrong
    checked = effective_targets(store) if targets is None else targets
    return VisitProjection(store.engine).report(setup, start, end, group_by=tuple(group_by), targets=checked)


TARGET_KEY = "targets."
"""``office_settings`` keys of the saved targets: ``targets.<slot>``."""


def effective_targets(store: OfficeLog, configured: Targets = DEFAULT_TARGETS) -> Targets:
    """The office's targets: the config file's (``configured``) with what an administrator saved over them.

    A saved entry that is no longer valid (a slot renamed, a value out of range) is logged and skipped: the
    configured target stays in force and no report fails for it."""
    changes: dict[str, Target] = {}
    for key, entry in read_settings(store.engine, store.office_id, TARGET_KEY).items():
        slot = key.removeprefix(TARGET_KEY)
        try:
            changes[slot] = make_target(slot, float(entry["value"]), int(entry["year"]), str(entry["source"]))
        except (KeyError, TypeError, ValueError) as error:
            logger.error("office_settings %s: not a valid target (%s); the configured one applies", key, error)
    return with_slots(configured, changes)


def save_targets(store: EventStore, targets: Targets, username: str, *, audit_row: AuditRow = None) -> None:
    """Store every slot of ``targets`` (internal units) as the office's saved targets, in one transaction."""
    values = {
        f"{TARGET_KEY}{slot}": {"value": t.value, "year": t.year, "source": t.source}
        for slot, t in slots(targets).items()
        if slot in SLOTS
    }
    write_settings(store.engine, store.office_id, values, username, audit_row=audit_row)


class ProjectionKeeper:
    """Catches the read model up every ``interval`` seconds on a thread of its own (the first run folds the whole
    log of an office upgraded from before the read model existed, which can take a while on a year of events).

    ``work`` replaces the one office's catch-up (the province server's keeper folds every office in turn)."""

    def __init__(
        self,
        store: EventStore | None,
        setup: Callable[[], OfficeSetup] | None,
        interval: float = KEEPER_INTERVAL_SECONDS,
        *,
        work: Callable[[], None] | None = None,
    ) -> None:
        if work is None:
            if store is None or setup is None:
                raise ValueError("a keeper needs a store and its setup, or its own work")
            work = functools.partial(_catch_up_one, store, setup)
        self._work, self._interval = work, interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="motcua-stats", daemon=True)

    def start(self) -> ProjectionKeeper:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while True:
            try:
                self._work()
            except Exception:  # a database hiccup must not end the keeper; pages catch up by themselves
                logger.exception("statistics read model: catch-up failed; retrying in %.0f s", self._interval)
            if self._stop.wait(self._interval):
                return


def _catch_up_one(store: EventStore, setup: Callable[[], OfficeSetup]) -> None:
    catch_up(store, setup())
