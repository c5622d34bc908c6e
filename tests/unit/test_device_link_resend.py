"""DeviceLink's resend rule: everything due when the server is silent, only the oldest few while it answers."""

from __future__ import annotations

import time
from pathlib import Path

from queue_server.mqtt.device_link import MAX_RESEND_WHILE_ANSWERED, DeviceLink


def make_link(tmp_path: Path) -> tuple[DeviceLink, list[bytes]]:
    link = DeviceLink(
        office_id="tuan-giao",
        device_id="kiosk-1",
        password="x",
        host="127.0.0.1",
        port=1,
        outbox_path=tmp_path / "outbox.db",
        resend_interval=2.0,
    )
    sent: list[bytes] = []
    link._client.publish = lambda topic, payload, qos=0: sent.append(payload)  # type: ignore[method-assign,assignment,misc]
    for i in range(50):
        link.submit("issue_ticket", {"service_id": "ho-tich"}, request_id=f"kiosk-1-{i:06d}")
    for request_id in list(link._sent_at):
        link._sent_at[request_id] = time.monotonic() - 10  # all sent long ago, all due
    return link, sent


def test_silent_server_gets_everything_due_resent(tmp_path: Path) -> None:
    link, sent = make_link(tmp_path)
    link._flush()
    assert len(sent) == 50


def test_busy_server_gets_only_the_oldest_few(tmp_path: Path) -> None:
    link, sent = make_link(tmp_path)
    link._last_reply_at = time.monotonic()  # a reply just came: the server is working through a backlog
    link._flush()
    assert len(sent) == MAX_RESEND_WHILE_ANSWERED
    assert b"kiosk-1-000000" in sent[0]  # oldest first


def test_after_a_reconnect_everything_is_sent(tmp_path: Path) -> None:
    link, sent = make_link(tmp_path)
    link._last_reply_at = time.monotonic()
    link._flush(force=True)
    assert len(sent) == 50
