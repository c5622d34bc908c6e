"""``LiveOffice``: readers see whole batches only, and a waiting stream wakes on a change from another thread."""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from queue_server.contract.payloads import DeviceStatus
from queue_server.engine import events as ev
from queue_server.engine.state import QueueState
from queue_server.live import LiveOffice
from tests.unit.engine_helpers import make_setup

SETUP = make_setup()

NOW = datetime(2026, 11, 23, 1, 0, tzinfo=UTC)


def test_a_waiting_reader_wakes_when_another_thread_changes_the_state() -> None:
    state = QueueState()
    live = LiveOffice(lambda: state, clock=lambda: NOW)
    seen = live.version
    woke: list[int] = []
    reader = threading.Thread(target=lambda: woke.append(live.wait_for_change(seen, timeout=30)))
    reader.start()
    with live.writing():
        state.apply(ev.OfficeConfigured(at=NOW, setup=SETUP))
    reader.join(timeout=30)
    assert woke == [seen + 1]
    assert [c.counter_id for c in live.snapshot().counters] == [c.id for c in SETUP.counters]


def test_a_batch_that_changes_nothing_wakes_nobody_and_an_unchanged_status_neither() -> None:
    state = QueueState()
    live = LiveOffice(lambda: state)
    with live.writing():
        pass
    assert live.version == 0
    live.device_status("kiosk-01", "kiosk", DeviceStatus.of(True, ["printer_paper_out"]).encode(), NOW)
    live.device_status("kiosk-01", "kiosk", DeviceStatus.of(True, ["printer_paper_out"]).encode(), NOW)
    assert live.version == 1 and live.snapshot().devices[0].alarms == ("printer_paper_out",)
    assert live.wait_for_change(1, timeout=0.01) == 1  # nothing new: returns after the timeout
    live.close()
    assert live.wait_for_change(1, timeout=30) == 1 and live.closed
