"""A corrupt event in the middle of the log (a payload overwritten in the database, as a disk error or a hand
edit would): the server says which event (seq and id) and starts read-only: devices get ``read_only`` (and keep
their requests), ``server/status`` and ``/live`` say why, and ``motcua events export`` saves every other event,
names the bad one and exits with its own code.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import update

from queue_server.app import OfficeServer, open_store
from queue_server.brokers.credentials import new_password
from queue_server.cli import EXIT_EXPORT_SKIPPED
from queue_server.config import load_settings
from queue_server.contract import topics
from queue_server.contract.device_link import DeviceLink
from queue_server.store.schema import events as events_table
from tests.e2e.web_helpers import OFFICE, Browser, kiosk, provision, write_config
from tests.fakes import wait_until
from tests.fixtures.mosquitto import free_port

BAD_SEQ = 4


def test_a_corrupt_event_is_named_the_server_is_read_only_and_export_saves_the_rest(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    config = write_config(tmp_path / "office", "embedded", free_port(), new_password())
    settings = load_settings(config)
    password = provision(settings)

    server = OfficeServer(settings).start()
    try:
        with kiosk(server, password, tmp_path) as link:
            assert link.wait_connected(10)
            for _ in range(4):
                reply = link.request("issue_ticket", {"service_id": "ho-tich"}, timeout=10)
                assert reply is not None and reply["ok"]
    finally:
        server.stop()

    store = open_store(settings)
    try:
        total = store.last_seq()
        bad_id = next(s.event_id for s in store.events() if s.seq == BAD_SEQ)
        with store.engine.begin() as conn:
            conn.execute(update(events_table).where(events_table.c.seq == BAD_SEQ).values(payload='{"type": "Tick'))
    finally:
        store.close()

    with caplog.at_level(logging.ERROR, logger="queue_server.service"):
        server = OfficeServer(settings).start()
    try:
        assert server.link is not None and server.link.wait_connected(15)
        named = [r.getMessage() for r in caplog.records if "READ-ONLY" in r.getMessage()]
        assert len(named) == 1 and f"seq={BAD_SEQ} event_id={bad_id}" in named[0]

        not_now: list[dict[str, Any]] = []
        statuses: list[dict[str, Any]] = []
        seen = threading.Event()
        status_topic = topics.server_status(OFFICE)

        def on_state(topic: str, data: dict[str, Any]) -> None:
            if topic == status_topic:
                statuses.append(data)

        watching = DeviceLink(
            office_id=OFFICE,
            device_id="kiosk-01",
            password=password,
            host="127.0.0.1",
            port=settings.broker.port,
            outbox_path=tmp_path / "outbox-kiosk.db",
            on_state=on_state,
            state_topics=(status_topic,),
        )
        with watching as link:
            link.on_transient = lambda reply: (not_now.append(reply), seen.set())
            assert link.wait_connected(10)
            link.submit("issue_ticket", {"service_id": "ho-tich"})
            assert seen.wait(10), "the server answered the request"
            assert link.pending() == 1, "the device keeps it: nothing was decided"
        assert not_now[0]["error"]["code"] == "read_only" and bad_id in not_now[0]["error"]["message"]
        wait_until(lambda: any(s.get("store") == "read_only" for s in statuses))

        assert server.web is not None
        browser = Browser(server.web.url)
        browser.login("boss")
        page = browser.get("/live")
        assert 'data-problem="read_only"' in page and "Chế độ chỉ đọc" in page and bad_id in page
        assert 'id="waiting-ho-tich">1<' in page, "the office as of the event before the bad one"
    finally:
        server.stop()

    exported = tmp_path / "export.jsonl"
    done = subprocess.run(
        [sys.executable, "-m", "queue_server.cli", "--config", str(config), "events", "export", "-o", str(exported)],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
        timeout=60,
    )
    assert done.returncode == EXIT_EXPORT_SKIPPED, done.stderr
    assert f"skipped unreadable event seq {BAD_SEQ} ({bad_id})" in done.stderr
    assert f"exported {total - 1} events, skipped 1 unreadable" in done.stderr
    seqs = [json.loads(line)["seq"] for line in exported.read_text().splitlines()]
    assert seqs == [s for s in range(1, total + 1) if s != BAD_SEQ]
