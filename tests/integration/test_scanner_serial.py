"""The serial scanner driver against a pseudo-terminal standing in for the scanner (pty slave = the port).

Scanners send each code followed by CR and/or LF, in reads of any size; the driver must reassemble them, drop
over-long garbage whole, survive the device vanishing and coming back, and never log a payload.
"""

from __future__ import annotations

import logging
import os
import queue
from collections.abc import Iterator
from pathlib import Path

import pytest

from hardware.scanner import LineAssembler, SerialScanner

SCAN = "001090123456|012345678|NGUYỄN VĂN AN|01011950|Nam|Phường Bến Nghé, Quận 1|15042021".encode()


class FakeScanner:
    """The scanner end of a pty, reached through a symlink so it can be unplugged and plugged in again."""

    def __init__(self, link: Path) -> None:
        self.link = link
        self.master, self.slave = -1, -1
        self.plug()

    def plug(self) -> None:
        self.master, self.slave = os.openpty()
        self.link.unlink(missing_ok=True)
        self.link.symlink_to(os.ttyname(self.slave))

    def unplug(self) -> None:
        os.close(self.master)
        os.close(self.slave)
        self.master = self.slave = -1

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def close(self) -> None:
        if self.master >= 0:
            self.unplug()


@pytest.fixture
def fake(tmp_path: Path) -> Iterator[FakeScanner]:
    fake = FakeScanner(tmp_path / "scanner")
    yield fake
    fake.close()


class Received:
    def __init__(self) -> None:
        self.scans: queue.Queue[bytes] = queue.Queue()
        self.rejected: queue.Queue[str] = queue.Queue()
        self.status: queue.Queue[bool] = queue.Queue()


def start(fake: FakeScanner, got: Received) -> SerialScanner:
    scanner = SerialScanner(
        str(fake.link),
        115200,
        on_scan=got.scans.put,
        on_rejected=got.rejected.put,
        on_status=got.status.put,
        reopen_seconds=0.1,
    )
    scanner.start()
    assert got.status.get(timeout=5) is True
    return scanner


def test_partial_reads_make_one_scan_per_terminator(fake: FakeScanner) -> None:
    got = Received()
    with start(fake, got):
        fake.send(SCAN[:10])
        fake.send(SCAN[10:40])
        fake.send(SCAN[40:] + b"\r\n")
        fake.send(b"HELLO\r")
        assert got.scans.get(timeout=5) == SCAN
        assert got.scans.get(timeout=5) == b"HELLO"
    assert got.scans.empty() and got.rejected.empty()


def test_oversized_garbage_is_dropped_whole_then_scans_resume(fake: FakeScanner) -> None:
    got = Received()
    with start(fake, got):
        for _ in range(5):
            fake.send(b"\xff\x00garbage" * 100)
        fake.send(b"tail of the garbage\n" + SCAN + b"\n")
        assert got.rejected.get(timeout=5) == "too long"
        assert got.scans.get(timeout=5) == SCAN
    assert got.rejected.empty() and got.scans.empty(), "the garbage's tail must not count as a scan"


def test_unplugged_then_plugged_again_logs_clearly_and_never_the_payload(
    fake: FakeScanner, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    got = Received()
    with start(fake, got):
        fake.send(SCAN[:20])  # half a scan, then the cable is pulled
        fake.unplug()
        assert got.status.get(timeout=5) is False
        fake.plug()
        assert got.status.get(timeout=5) is True
        fake.send(SCAN[20:] + b"\n")  # the rest of the old scan alone is not an ID card; it is still one line
        fake.send(SCAN + b"\n")
        assert got.scans.get(timeout=5) == SCAN[20:]
        assert got.scans.get(timeout=5) == SCAN
    messages = [r.getMessage() for r in caplog.records]
    assert any("disconnected" in m for m in messages), messages
    assert any("reconnected" in m for m in messages), messages
    assert not any("0010901" in m or "NGUY" in m or "Bến" in m for m in messages)


def test_a_missing_port_is_reported_once_and_retried(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    got = Received()
    scanner = SerialScanner(str(tmp_path / "nothing"), on_scan=got.scans.put, on_status=got.status.put,
                            reopen_seconds=0.05)  # fmt: skip
    with scanner:
        assert got.status.get(timeout=5) is False
        threading_wait = got.status.get
        with pytest.raises(queue.Empty):
            threading_wait(timeout=0.3)  # retried several times, reported once
    assert sum("not available" in r.getMessage() for r in caplog.records) == 1


def test_line_assembler_keeps_lines_across_feeds() -> None:
    lines = LineAssembler(max_bytes=8)
    assert lines.feed(b"abc") == []
    assert lines.feed(b"def\r\nghi") == [b"abcdef"]
    assert lines.feed(b"123456789") == [None]
    assert lines.feed(b"xx\nok\n") == [b"ok"]
