"""The forecast's accuracy on generated office days meets issue 13's goal, and beats the old constant rate."""

from __future__ import annotations

import pytest

from queue_server.engine.setup import PriorityPolicy
from queue_server.forecast.check import check, table
from tests.unit.forecast_days import days


@pytest.mark.parametrize("policy", list(PriorityPolicy))
def test_on_generated_days_the_forecast_meets_the_goal(policy: PriorityPolicy) -> None:
    accuracy = check(days(5, seed=7, policy=policy))
    print(f"\n{policy}:\n{table(accuracy)}")
    f, old = accuracy.forecast, accuracy.constant_rate
    assert f.tickets > 500 and f.tickets == old.tickets
    assert f.median_wait_s > 120, "the generated days must make people wait, or the test proves nothing"
    assert f.median_abs_error_s <= max(180.0, 0.2 * f.median_wait_s)
    assert f.inside_range >= 0.8
    assert accuracy.meets_goal()
    assert f.median_abs_error_s < old.median_abs_error_s and f.inside_range > old.inside_range


def test_a_log_without_calls_compares_nothing() -> None:
    log = [e for e in days(1, seed=3) if type(e).__name__ in ("OfficeConfigured", "DayStarted", "TicketIssued")]
    accuracy = check(log)
    assert accuracy.forecast.tickets == 0 and not accuracy.meets_goal()
