"""The trusted clock's judgement: before NTP, behind the last event, before the release, jumps; the override."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from queue_server.trusted_clock import SYNC_DAEMON_MARKS, TrustedClock, kernel_synchronised, sync_probe

MORNING = datetime(2026, 12, 1, 1, 0, tzinfo=UTC)  # 08:00 in Vietnam


class Wall:
    """A wall clock and a monotonic clock the test moves, separately (a step of the wall clock is a jump)."""

    def __init__(self) -> None:
        self.now, self.mono = MORNING, 1000.0

    def run(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)
        self.mono += seconds

    def step(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def clock(wall: Wall, synced: list[bool] | None = None) -> TrustedClock:
    sync = None if synced is None else (lambda: synced[0])
    return TrustedClock(sync=sync, wall=lambda: wall.now, monotonic=lambda: wall.mono, release_date=date(2026, 11, 1))


def test_unsynchronised_clock_is_doubted_until_ntp_or_a_manager() -> None:
    wall, synced = Wall(), [False]
    c = clock(wall, synced)
    doubt = c.doubt(c(), None, starts_day=True)
    assert doubt is not None and doubt.kind == "unsynced" and c.refusing == doubt
    synced[0] = True
    assert c.doubt(c(), None, starts_day=True) is None and c.refusing is None
    synced[0] = False
    c.confirm("boss")
    assert c.doubt(c(), None, starts_day=True) is None and c.confirmed_by == "boss"


def test_clock_behind_the_last_event_or_the_release_is_doubted() -> None:
    wall = Wall()
    c = clock(wall)
    behind = c.doubt(c(), MORNING + timedelta(days=1), starts_day=False)
    assert behind is not None and behind.kind == "behind"
    assert c.doubt(c(), MORNING + timedelta(seconds=60), starts_day=False) is None  # NTP's daily correction
    wall.now = datetime(2026, 10, 1, tzinfo=UTC)
    before = c.doubt(c(), None, starts_day=False)
    assert before is not None and before.kind == "before_release"
    c.confirm("boss")
    assert c.doubt(c(), MORNING + timedelta(days=1), starts_day=False) is None


def test_a_forward_jump_is_seen_and_never_starts_a_day_by_itself() -> None:
    wall = Wall()
    c = clock(wall)
    c()
    wall.run(60)
    wall.step(16 * 3600)  # NTP corrects a clock that was 16 h behind: the wall clock runs ahead of monotonic time
    now = c()
    assert [round(j.seconds) for j in c.unconfirmed_jumps()] == [16 * 3600]
    last_event = MORNING
    jumped = c.doubt(now, last_event, starts_day=True)
    assert jumped is not None and jumped.kind == "jumped"
    assert c.doubt(now, last_event, starts_day=False) is None  # the same day goes on: tickets, calls
    assert c.doubt(now, now, starts_day=True) is None  # an event stamped after the jump: the day went on
    c.confirm("boss")
    assert c.unconfirmed_jumps() == [] and c.doubt(now, last_event, starts_day=True) is None


def test_small_drift_is_not_a_jump_and_a_step_back_is_logged() -> None:
    wall = Wall()
    c = clock(wall)
    c()
    wall.run(3600)
    wall.step(2)
    c()
    assert c.jumps == []
    wall.step(-3600)
    c()
    assert [round(j.seconds) for j in c.jumps] == [-3600] and c.unconfirmed_jumps() == []


def test_sync_probe_follows_timesyncd_flag_or_the_kernel(tmp_path: Path) -> None:
    flag = tmp_path / "timesync" / "synchronized"
    assert sync_probe("never", flag) is None
    assert sync_probe("auto", flag) is None or any(p.exists() for p in SYNC_DAEMON_MARKS)
    flag.parent.mkdir()
    probe = sync_probe("auto", flag)
    assert probe is not None and probe() is kernel_synchronised()  # no flag yet: the kernel decides
    flag.touch()
    assert probe() is True
    kernel = sync_probe("always", tmp_path / "absent" / "synchronized")
    assert kernel is kernel_synchronised and isinstance(kernel(), bool)


def test_the_release_date_is_not_in_the_future() -> None:
    """A release date ahead of the real time would refuse every ticket of a correct clock."""
    from queue_server.trusted_clock import RELEASE_DATE

    assert datetime.now(UTC).date() >= RELEASE_DATE
