"""Per-device budgets (token buckets), the admission gate in front of the ingest queue, and summarised logs."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from queue_server.admission import AdmissionGate, request_id_of
from queue_server.admission_limits import DeviceLimits, Rate, TokenBucket
from queue_server.contract import topics
from queue_server.service import DeviceInfo
from tests.fakes import MonotonicClock

OFFICE = "tuan-giao"
LINE = " (one line a minute at most)"
KIOSK = Rate(per_minute=6, burst=5)


def test_a_bucket_gives_its_burst_then_its_rate() -> None:
    bucket = TokenBucket(KIOSK, now=0.0)
    assert [bucket.take(0.0) for _ in range(6)] == [True] * 5 + [False]
    assert not bucket.take(9.9)  # 6 a minute: one every 10 s
    assert bucket.take(10.1) and not bucket.take(10.2)
    assert sum(bucket.take(10.2 + t) for t in range(0, 3600, 1)) == pytest.approx(360, abs=1)  # an hour's worth
    bucket.give_back()
    assert bucket.take(3611.0)


def test_limits_are_per_device_and_by_kind_and_keep_a_bounded_number_of_devices() -> None:
    limits = DeviceLimits({"kiosk": KIOSK, "console": Rate(600, 100)}, default=Rate(6, 3), max_devices=50)
    assert sum(limits.take("kiosk-a", "kiosk", 0.0) for _ in range(20)) == 5
    assert sum(limits.take("kiosk-b", "kiosk", 0.0) for _ in range(20)) == 5, "another kiosk has its own"
    assert sum(limits.take("tool-1", "console", 0.0) for _ in range(200)) == 100
    assert sum(limits.take("ghost", "unknown", 0.0) for _ in range(20)) == 3
    for i in range(10_000):
        limits.take(f"id-{i}", "kiosk", 0.0)
    assert len(limits) == 50


def gate(
    clock: MonotonicClock, replies: dict[tuple[str, str], dict[str, Any]] | None = None, **kwargs: Any
) -> AdmissionGate:
    known = {"kiosk-a": DeviceInfo("kiosk-a", "kiosk"), "kiosk-b": DeviceInfo("kiosk-b", "kiosk")}
    return AdmissionGate(
        OFFICE,
        limits=DeviceLimits({"kiosk": KIOSK}, default=Rate(6, 3)),
        devices=known.get,
        earlier_reply=lambda d, r: (replies or {}).get((d, r)),
        clock=clock,
        **kwargs,
    )


def payload(request_id: str) -> bytes:
    return json.dumps({"v": 1, "id": request_id, "type": "issue_ticket", "body": {"service_id": "ho-tich"}}).encode()


def test_over_budget_is_dropped_with_a_bounded_number_of_rate_limited_replies(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    clock = MonotonicClock()
    g = gate(clock, refusals_per_minute=30)
    topic = topics.request(OFFICE, "kiosk-a")
    results = [g.screen(topic, payload(f"flood-{i:08d}")) for i in range(20_000)]
    assert sum(admitted for admitted, _ in results) == 5
    sent = [json.loads(p.payload) for _, pubs in results for p in pubs]
    assert 1 <= len(sent) <= 3, "the refusal replies have a budget too (30 a minute, 3 at once)"
    assert {(r["error"]["code"], r["id"][:6]) for r in sent} == {("rate_limited", "flood-")}
    assert g.screen(topics.request(OFFICE, "kiosk-b"), payload("honest-0001"))[0], "the other kiosk is not limited"
    lines = [r.getMessage() for r in caplog.records]
    assert lines == ["device=kiosk-a requests refused over its rate" + LINE + " count=1 seconds=0"], lines
    clock.now += 61
    g.tick()
    assert [r.getMessage() for r in caplog.records][1:] == [
        f"device=kiosk-a requests refused over its rate{LINE} count={20_000 - 5 - 1} seconds=61",  # the rest, counted
        "device=kiosk-a no longer over its rate",
    ]


def test_a_retry_over_budget_gets_its_earlier_reply_not_a_refusal() -> None:
    clock = MonotonicClock()
    earlier = {"v": 1, "id": "kiosk-a-0001", "ok": True, "result": {"ticket": {"label": "A001"}}}
    g = gate(clock, {("kiosk-a", "kiosk-a-0001"): earlier})
    topic = topics.request(OFFICE, "kiosk-a")
    for i in range(5):
        assert g.screen(topic, payload(f"kiosk-a-new{i}"))[0]
    admitted, pubs = g.screen(topic, payload("kiosk-a-0001"))
    assert not admitted and [json.loads(p.payload) for p in pubs] == [earlier]


def test_a_given_back_token_lets_the_next_request_in() -> None:
    g = gate(MonotonicClock())
    topic = topics.request(OFFICE, "kiosk-a")
    assert [g.screen(topic, payload(f"kiosk-a-{i:04d}"))[0] for i in range(6)] == [True] * 5 + [False]
    g.give_back("kiosk-a")
    assert g.screen(topic, payload("kiosk-a-0100"))[0]


def test_the_flooding_alarm_is_raised_once_and_cleared_after_a_quiet_minute() -> None:
    from datetime import UTC, datetime

    from queue_server.engine.state import QueueState
    from queue_server.live import LiveOffice

    live = LiveOffice(QueueState, clock=lambda: datetime(2026, 11, 23, tzinfo=UTC))
    clock = MonotonicClock()
    g = gate(clock, live=live)
    topic = topics.request(OFFICE, "kiosk-a")
    for i in range(100):
        g.screen(topic, payload(f"kiosk-a-{i:04d}"))
    version = live.version
    assert [(d.device_id, d.alarms, d.online) for d in live.snapshot().devices] == [("kiosk-a", ("flooding",), True)]
    g.screen(topic, payload("kiosk-a-0200"))
    assert live.version == version, "still flooding: nothing new for the live page"
    clock.now += 59
    g.tick()
    assert g.flooding() == {"kiosk-a"}
    clock.now += 1
    g.tick()
    assert g.flooding() == set() and live.snapshot().troubled_devices() == ()


@pytest.mark.parametrize(
    ("raw", "found"),
    [
        (payload("kiosk-a-0001"), "kiosk-a-0001"),
        (payload("short"), None),
        (payload('x" level=ERROR'), None),
        (b"\xef\xbb\xbf" + payload("kiosk-a-0001"), None),
        (payload("kiosk-a-0001").decode().encode("utf-16"), None),
        (b"[" * 100_000, None),
        (b"x" * 5000, None),
    ],
)
def test_request_id_of_reads_only_a_valid_id(raw: bytes, found: str | None) -> None:
    assert request_id_of(raw) == found


def test_a_status_flood_is_dropped_and_raises_the_alarm(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    g = gate(MonotonicClock())
    assert sum(g.screen_status("kiosk-a") for _ in range(10_000)) == 20
    assert g.screen_status("kiosk-b"), "another device's status still counts"
    assert g.flooding() == {"kiosk-a"}
    assert len(caplog.records) == 1 and "kiosk-a (statuses)" in caplog.records[0].getMessage()
