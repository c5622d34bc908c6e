"""The simulator agrees with queueing theory: M/M/c days against Erlang C (``pytest -s`` or ``-rA`` shows the table)."""

from __future__ import annotations

import math

import pytest

from queue_server.planner.erlang import erlang_c, fewest_servers, mean_wait, wait_exceeds
from queue_server.simulate.validation import format_table, run_case, t_quantile

CASES = [(1, 0.5, 20), (2, 0.8, 16), (4, 0.9, 16), (6, 0.9, 10)]
"""(counters, utilisation, independent seeded days): utilisation 0.9 included."""


def test_erlang_c_closed_forms() -> None:
    # M/M/1: P(wait) = ρ and Wq = ρ/(μ − λ); textbook M/M/2 at a = 1: C = 1/3.
    assert erlang_c(1, 0.7) == pytest.approx(0.7)
    assert mean_wait(1, 0.7 / 60, 60) == pytest.approx(0.7 * 60 / 0.3)
    assert erlang_c(2, 1.0) == pytest.approx(1 / 3)
    assert erlang_c(3, 3.0) == 1.0 and mean_wait(3, 3 / 60, 60) == math.inf
    assert erlang_c(200, 180.0) < 1.0  # no overflow for a large office
    assert wait_exceeds(2, 1 / 60, 60, 0) == pytest.approx(1 / 3)
    assert fewest_servers(10 / 60, 60, 30) == 12  # 10 Erlangs: 11 counters wait 41 s, 12 wait 13 s
    assert mean_wait(11, 10 / 60, 60) > 30 >= mean_wait(12, 10 / 60, 60)
    assert t_quantile(0.995, 29) == pytest.approx(2.756, abs=0.002)
    assert t_quantile(0.975, 15) == pytest.approx(2.131, abs=0.002)


def test_simulated_mm_c_days_agree_with_erlang_c() -> None:
    cases = [run_case(servers, rho, days) for servers, rho, days in CASES]
    table = format_table(cases)
    print("\n" + table)
    for case in cases:
        assert case.agrees, table
        assert case.wait.half_width < 0.3 * case.theory_wait, table  # the interval is narrow enough to mean something
