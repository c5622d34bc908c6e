"""sd_notify against a real AF_UNIX datagram socket (path and abstract), as systemd listens for it."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from queue_server.contract.systemd_notify import Watchdog, notify, watchdog_interval
from tests.fakes import MonotonicClock


@pytest.fixture
def listener(tmp_path: Path) -> Iterator[tuple[socket.socket, str]]:
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    path = str(tmp_path / "notify")
    sock.bind(path)
    sock.settimeout(2)
    yield sock, path
    sock.close()


def received(sock: socket.socket) -> str:
    return sock.recv(4096).decode()


def test_ready_and_status_reach_the_socket(listener: tuple[socket.socket, str]) -> None:
    sock, path = listener
    assert Watchdog({"NOTIFY_SOCKET": path}).ready("serving tuan-giao")
    assert received(sock) == "READY=1\nSTATUS=serving tuan-giao"


def test_abstract_socket_address() -> None:
    name = f"motcua-test-{os.getpid()}"
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as sock:
        sock.bind("\0" + name)
        sock.settimeout(2)
        assert notify("STOPPING=1", {"NOTIFY_SOCKET": "@" + name})
        assert received(sock) == "STOPPING=1"


def test_watchdog_pings_at_half_the_interval_and_only_when_healthy(listener: tuple[socket.socket, str]) -> None:
    sock, path = listener
    clock = MonotonicClock()
    dog = Watchdog({"NOTIFY_SOCKET": path, "WATCHDOG_USEC": "10000000"}, clock=clock)
    assert dog.interval == 5.0
    dog.ready()
    assert received(sock) == "READY=1"
    assert not dog.tick()  # just ready: not due
    clock.advance(5.0)
    assert not dog.tick(healthy=False)
    assert dog.tick()
    assert received(sock) == "WATCHDOG=1"
    clock.advance(1.0)
    assert not dog.tick()
    sock.setblocking(False)
    with pytest.raises(BlockingIOError):
        sock.recv(4096)  # nothing more was sent


def test_outside_systemd_nothing_is_sent() -> None:
    assert notify("READY=1", {}) is False
    assert watchdog_interval({"WATCHDOG_USEC": "1000000", "WATCHDOG_PID": "1"}) is None  # another process's
    assert Watchdog({}).tick() is False
