"""The server's retained status on real Mosquitto: "offline" after a clean stop (the will is dropped then, so the
server says it itself) and after SIGKILL (the broker publishes the last will); "online" again after a restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from queue_server.bench.office import OfficeUnderTest
from queue_server.contract import topics
from tests.e2e.test_office_embedded import StateSeen
from tests.fixtures.mosquitto import MosquittoBroker, free_port

pytestmark = [pytest.mark.mosquitto]


def test_server_status_follows_stop_restart_and_kill(tmp_path: Path, mosquitto: MosquittoBroker) -> None:
    port = free_port()
    office = OfficeUnderTest(tmp_path / "office", port=port)
    office.provision({"board-1": ("display", None)})
    mosquitto.start_on(port, office.accounts(), office_id=office.office_id)
    status = topics.server_status(office.office_id)
    seen = StateSeen()
    office.start_server()
    try:
        with office.link("board-1", on_state=seen, state_topics=(status,)) as board:
            assert board.wait_connected(10)
            seen.wait_for(status, lambda d: d["online"] is True)
            office.stop_server()
            seen.wait_for(status, lambda d: d["online"] is False)
            seen.messages.clear()
            office.start_server()
            seen.wait_for(status, lambda d: d["online"] is True)
            seen.messages.clear()
            office.kill_server()
            seen.wait_for(status, lambda d: d["online"] is False, timeout=30)
    finally:
        office.stop_server()
