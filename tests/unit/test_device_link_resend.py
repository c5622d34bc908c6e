"""DeviceLink's resend rule: everything due when the server is silent, only the oldest few while it answers."""

from __future__ import annotations

import time
from pathlib import Path

from queue_server.contract.device_link import MAX_RESEND_WHILE_ANSWERED, DeviceLink


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


def test_a_store_unavailable_reply_keeps_the_request_and_everything_due_is_resent(tmp_path: Path) -> None:
    link, sent = make_link(tmp_path)
    got: list[dict[str, object]] = []
    link.on_reply, link.on_transient = got.append, got.append
    for code in ("store_unavailable", "read_only"):
        error = {"code": code, "message": "database down"}
        link._handle_reply({"v": 1, "id": "kiosk-1-000000", "ok": False, "error": error})
    assert link.pending() == 50, "nothing was decided: the request stays in the outbox"
    assert [r["error"]["code"] for r in got] == ["store_unavailable", "read_only"]  # type: ignore[index]
    link._flush()
    assert len(sent) == 50, "a server that cannot store is not busy: no resend budget"
    link._handle_reply({"v": 1, "id": "kiosk-1-000000", "ok": False, "error": {"code": "nothing_waiting"}})
    assert link.pending() == 49 and link.last_transient is None, "a real refusal is an answer"
