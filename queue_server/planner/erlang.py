"""Erlang C: the M/M/c queue's closed forms (Poisson arrivals, exponential service, c identical servers, FCFS).

The planner's starting point for each hour, and the yardstick the simulator is validated against
(``queue_server.simulate.validation``). Computed through Erlang B's recursion, which stays finite for any c
(the textbook a^c/c! overflows floats past c ≈ 170).
"""

from __future__ import annotations

import math


def erlang_b(servers: int, load: float) -> float:
    """Blocking probability of M/M/c/c with offered load ``load`` (Erlangs)."""
    b = 1.0
    for k in range(1, servers + 1):
        b = load * b / (k + load * b)
    return b


def erlang_c(servers: int, load: float) -> float:
    """P(wait > 0) in M/M/c with offered load ``load`` = λ/μ Erlangs; 1.0 when the queue is unstable."""
    if servers <= 0 or load >= servers:
        return 1.0
    if load <= 0:
        return 0.0
    b = erlang_b(servers, load)
    return servers * b / (servers - load * (1 - b))


def mean_wait(servers: int, arrivals_per_second: float, mean_service_seconds: float) -> float:
    """Mean wait in line (seconds) of M/M/c; ``math.inf`` when utilisation ≥ 1."""
    load = arrivals_per_second * mean_service_seconds
    if load <= 0:
        return 0.0
    if servers <= 0 or load >= servers:
        return math.inf
    return erlang_c(servers, load) * mean_service_seconds / (servers - load)


def wait_exceeds(servers: int, arrivals_per_second: float, mean_service_seconds: float, seconds: float) -> float:
    """P(wait > ``seconds``) of M/M/c: C · exp(−(cμ − λ)·t)."""
    load = arrivals_per_second * mean_service_seconds
    if load <= 0:
        return 0.0
    if servers <= 0 or load >= servers:
        return 1.0
    rate = (servers - load) / mean_service_seconds
    return erlang_c(servers, load) * math.exp(-rate * seconds)


def fewest_servers(
    arrivals_per_second: float, mean_service_seconds: float, max_mean_wait_seconds: float, scv: float = 1.0
) -> int:
    """The fewest servers whose mean wait is within the target; ``scv`` (service time's squared coefficient of
    variation) scales the wait by (1 + scv)/2 (the Allen–Cunneen approximation of M/G/c)."""
    load = arrivals_per_second * mean_service_seconds
    if load <= 0:
        return 0
    servers = max(1, math.floor(load) + 1)
    while mean_wait(servers, arrivals_per_second, mean_service_seconds) * (1 + scv) / 2 > max_mean_wait_seconds:
        servers += 1
    return servers
