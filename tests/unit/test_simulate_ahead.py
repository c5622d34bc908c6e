"""The coming hour from the live state: open counters only, more counters wait less, the live state untouched."""

from __future__ import annotations

import copy
import itertools
from datetime import UTC, datetime

from queue_server.config import load_settings
from queue_server.engine import commands as cmd
from queue_server.engine.decide import decide
from queue_server.engine.state import QueueState
from queue_server.planner.office import service_level
from queue_server.simulate import load_profile
from queue_server.simulate.ahead import predict_hour

NOW = datetime(2026, 11, 23, 1, 30, tzinfo=UTC)  # 08:30 local, the morning peak of the sample profile
PROFILE = load_profile()


def office(waiting: int, open_counters: tuple[str, ...]) -> QueueState:
    state = QueueState()
    ids = (f"tk{i:014d}" for i in itertools.count())

    def run(command: cmd.Command) -> None:
        for event in decide(state, command, NOW, lambda: next(ids)):
            state.apply(event)

    run(cmd.ConfigureOffice(load_settings().office_setup()))
    staff = {"quay-1": "nv-lan", "quay-2": "nv-hung"}
    for counter in open_counters:
        if counter in staff:
            run(cmd.SignIn(counter, staff[counter]))
    for i in range(waiting):
        run(cmd.IssueTicket(["ho-tich", "chung-thuc", "cu-tru"][i % 3]))
    if "quay-3" in open_counters:
        run(cmd.IssueTicket("dat-dai"))
        run(cmd.CallNext("quay-3"))  # nobody signed in, but serving: open
    return state


def test_more_open_counters_wait_less_and_the_live_state_is_untouched() -> None:
    busy = office(12, ("quay-1",))
    before = copy.deepcopy(busy)
    one = predict_hour(busy, PROFILE, NOW)
    assert busy == before
    assert one.by_service["dat-dai"].mean_wait_seconds == float("inf")  # only quay-3 serves it, and it is closed
    three = predict_hour(office(12, ("quay-1", "quay-2", "quay-3")), PROFILE, NOW)
    assert three.by_service["dat-dai"].mean_wait_seconds is not None
    assert three.by_service["dat-dai"].mean_wait_seconds < 3600
    ho_tich_one = one.by_service["ho-tich"].mean_wait_seconds
    ho_tich_three = three.by_service["ho-tich"].mean_wait_seconds
    assert ho_tich_one is not None and ho_tich_three is not None and ho_tich_three < ho_tich_one
    extra = predict_hour(busy, PROFILE, NOW, extra={"ho-tich": 2}).by_service["ho-tich"].mean_wait_seconds
    assert extra is not None and extra < ho_tich_one


def test_the_alert_names_the_service_and_the_counters_that_fix_it() -> None:
    level = service_level(office(12, ("quay-1",)), PROFILE, NOW, 15 * 60)
    alerts = {a.service_id: a for a in level.alerts}
    assert alerts["dat-dai"].unserved
    for alert in alerts.values():
        if alert.extra_counters is not None:
            assert alert.with_extra_seconds is not None and alert.with_extra_seconds <= 15 * 60
            fixed = predict_hour(office(12, ("quay-1",)), PROFILE, NOW, extra={alert.service_id: alert.extra_counters})
            assert fixed.by_service[alert.service_id].mean_wait_seconds == alert.with_extra_seconds
    calm = service_level(office(0, ("quay-1", "quay-2", "quay-3")), PROFILE, NOW, 60 * 60)
    assert calm.alerts == ()
