"""systemd's notification protocol (sd_notify(3)) with the standard library: ``READY=1``, ``WATCHDOG=1``,
``STOPPING=1`` and a ``STATUS=`` line, as datagrams to the socket named by ``$NOTIFY_SOCKET``.

Why here: the server and every device (kiosk, counter unit, hall board) share it, and the devices may import only
the contract. Why hand-written: the protocol is one ``sendto`` of ``KEY=VALUE`` lines on an ``AF_UNIX`` datagram
socket (an ``@`` first means Linux's abstract namespace); the libraries for it are C bindings or unmaintained.

The watchdog is pinged from each process's own main loop (``Watchdog.tick`` every frame or wait), never from a
thread of its own: a hung loop then stops the pings, and systemd restarts the unit after ``WatchdogSec``.
Outside systemd (no ``$NOTIFY_SOCKET``) every call does nothing and returns False.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from collections.abc import Callable, Mapping

logger = logging.getLogger(__name__)


def notify(message: str, environ: Mapping[str, str] | None = None) -> bool:
    """Send ``message`` (``"READY=1"``, several lines allowed) to systemd; False when not under systemd."""
    env = os.environ if environ is None else environ
    address = env.get("NOTIFY_SOCKET", "")
    if not address or address[0] not in "/@":
        return False  # unset, or a vsock address: not a unit of ours
    target = "\0" + address[1:] if address[0] == "@" else address
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM | socket.SOCK_CLOEXEC) as sock:
            sock.sendto(message.encode("utf-8"), target)
    except OSError as exc:
        logger.warning("sd_notify to %s failed: %s", address, exc)
        return False
    return True


def watchdog_interval(environ: Mapping[str, str] | None = None) -> float | None:
    """Seconds between pings (half of ``WatchdogSec``), None without a watchdog for this process."""
    env = os.environ if environ is None else environ
    try:
        usec = int(env.get("WATCHDOG_USEC", "0"))
    except ValueError:
        return None
    pid = env.get("WATCHDOG_PID")
    if usec <= 0 or (pid is not None and pid.isdigit() and int(pid) != os.getpid()):
        return None
    return usec / 2_000_000


class Watchdog:
    """``READY=1`` once, then ``WATCHDOG=1`` at most every half ``WatchdogSec``, from the caller's loop."""

    def __init__(
        self,
        environ: Mapping[str, str] | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._environ = dict(os.environ if environ is None else environ)
        self._interval = watchdog_interval(self._environ)
        self._clock = clock
        self._last: float | None = None

    @property
    def interval(self) -> float | None:
        return self._interval

    def ready(self, status: str = "") -> bool:
        """Tell systemd the unit is up (``Type=notify``): its dependants start, ``systemctl start`` returns."""
        self._last = self._clock()
        return notify("READY=1" + (f"\nSTATUS={status}" if status else ""), self._environ)

    def tick(self, healthy: bool = True) -> bool:
        """Ping when due and ``healthy``; True when a ping was sent."""
        if self._interval is None or not healthy:
            return False
        now = self._clock()
        if self._last is not None and now - self._last < self._interval:
            return False
        self._last = now
        return notify("WATCHDOG=1", self._environ)

    def stopping(self) -> bool:
        return notify("STOPPING=1", self._environ)
