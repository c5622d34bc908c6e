"""The province's resend pacing (``Asking``) and its gap bookkeeping for seqs an office disowns (``OfficeSeqs``)."""

from __future__ import annotations

import itertools

from hypothesis import given
from hypothesis import strategies as st

from queue_server.province.asking import Asking
from queue_server.province.gaps import OfficeSeqs
from queue_server.province.messages import ReplayReport


def _requests(asking: Asking, times: list[float], *, gap: bool) -> list[float]:
    sent = []
    for now in times:
        if asking.should_ask(now, gap=gap):
            asking.sent(now)
            sent.append(now)
    return sent


def test_asked_once_at_start_then_only_at_the_heartbeat() -> None:
    asking = Asking(interval=10, heartbeat=300)
    sent = []
    for now in [t / 2 for t in range(1300)]:
        if asking.should_ask(now, gap=False):
            asking.sent(now)
            asking.answered()  # the office answers each request
            sent.append(now)
    assert sent == [0.0, 300.0, 600.0]


@given(st.lists(st.floats(0, 1000, allow_nan=False), max_size=200), st.booleans(), st.booleans())
def test_never_more_than_one_request_per_interval(ticks: list[float], gap: bool, answered: bool) -> None:
    """Whatever calls for a request, and however often the ingest's timer runs: one per 10 s at most."""
    asking = Asking(interval=10, heartbeat=300)
    sent: list[float] = []
    for now in sorted(ticks):
        asking.want()
        if asking.should_ask(now, gap=gap):
            asking.sent(now)
            sent.append(now)
        if answered:
            asking.answered()
    assert all(b - a >= 10 for a, b in itertools.pairwise(sent))


def test_a_request_without_a_report_is_repeated_until_one_comes() -> None:
    """The bridge came up but the office's replayer was not subscribed yet: the request is repeated."""
    asking = Asking(interval=10, heartbeat=300)
    asking.sent(0)
    asking.answered()
    asking.want()  # bridge up
    assert _requests(asking, [float(t) for t in range(10, 45)], gap=False) == [10.0, 20.0, 30.0, 40.0]
    assert asking.repeats == 3
    asking.answered()
    assert _requests(asking, [float(t) for t in range(45, 100)], gap=False) == []


def test_a_forged_future_seq_is_disowned_by_the_office_and_no_longer_chased() -> None:
    seqs = OfficeSeqs()
    for seq in (1, 2, 3):
        seqs.imported(seq)
    seqs.imported(999_999)  # a made-up seq
    assert seqs.has_gap()
    after = seqs.asked()
    assert after == 3
    report = ReplayReport(3, 3, (), more=False)  # the office has nothing after 3
    assert seqs.disown(report) == [999_999]
    assert seqs.apply_report(report) and not seqs.has_gap() and seqs.through == 3


def test_a_seq_imported_after_the_request_is_not_disowned_by_its_report() -> None:
    """The office may have committed it after answering: only a later request's report can disown it."""
    seqs = OfficeSeqs()
    seqs.imported(1)
    seqs.imported(3)  # 2 lost on the way
    seqs.asked()
    seqs.imported(6)  # live, after the request: 4 and 5 lost too, or committed after the replay read
    report = ReplayReport(1, 3, ((2, 3),), more=False)
    assert seqs.disown(report) == []
    assert not seqs.apply_report(report)  # 2 has not arrived
    seqs.imported(2)
    assert seqs.apply_report(report) and seqs.through == 3 and seqs.has_gap()
    seqs.asked()
    assert seqs.disown(ReplayReport(3, 5, ((4, 5),), more=False)) == [6]  # the office's log ended at 5


def test_an_incomplete_report_disowns_nothing() -> None:
    seqs = OfficeSeqs()
    seqs.imported(900)
    seqs.asked()
    assert seqs.disown(ReplayReport(0, 500, ((1, 500),), more=True)) == []
    assert 900 in seqs.ahead


def test_a_report_for_no_request_of_ours_disowns_nothing() -> None:
    seqs = OfficeSeqs()
    seqs.imported(5)
    assert seqs.disown(ReplayReport(0, 0, (), more=False)) == []
    assert seqs.has_gap()
