"""waitress with limits a hostile client cannot use up: connections per address, a deadline for each request.

waitress counts connections only in all (``connection_limit``, 100 by default) and closes a connection only when
it has been idle for ``channel_timeout`` (120 s) with no complete request; a half-sent request never completes, so
101 connections each holding half a request made every page time out for two minutes, and a client sending a
byte every few seconds held them for ever. Here (``GuardedServer``):

- one address holds at most ``connections_per_address`` connections. At the cap, the address's stalest connection
  that is not being served (idle keep-alive, or a request still arriving) is closed to make room; only when all of
  them are being served is the newcomer closed at once. So a slow client competes with itself, while an office
  behind one NAT address (browsers keep idle keep-alive connections, which they reopen by themselves) is not cut
  off; a stream of server-sent events is being served, so it is never the one closed;
- over ``connection_limit`` in all, the same rule picks from the address holding the most connections;
- a request must arrive whole within ``request_timeout`` seconds of its first byte; idle keep-alive connections
  close after ``channel_timeout``;
- the trusted reverse proxy's address (``exempt``) has no per-address cap: nginx applies its own per client.

Refusals and evictions are logged summarised, one line a minute at most.
"""

from __future__ import annotations

import logging
import socket
import time
from collections import Counter
from typing import Any

from waitress.channel import HTTPChannel  # type: ignore[import-untyped]
from waitress.server import TcpWSGIServer  # type: ignore[import-untyped]

logger = logging.getLogger(__name__)
LOG_EVERY_SECONDS = 60.0


class GuardedChannel(HTTPChannel):  # type: ignore[misc]
    """A waitress channel that remembers since when its current, incomplete request has been arriving."""

    partial_since: float | None = None

    def received(self, data: bytes) -> bool:
        before = self.request
        result = bool(super().received(data))
        if self.request is None:
            self.partial_since = None
        elif self.request is not before:
            self.partial_since = time.time()
        return result

    def busy(self) -> bool:
        """Being served: a request handed to a worker (an event stream too), or a response still being sent."""
        return bool(self.requests) or bool(self.total_outbufs_len)

    def ip(self) -> str:
        return str(self.addr[0]) if isinstance(self.addr, tuple) else str(self.addr)


class GuardedServer(TcpWSGIServer):  # type: ignore[misc]
    channel_class = GuardedChannel
    next_channel_cleanup: float = 0.0

    def __init__(
        self,
        *args: Any,
        per_address: int,
        request_timeout: float,
        exempt: frozenset[str] = frozenset(),
        **kwargs: Any,
    ) -> None:
        self.per_address = per_address
        self.request_timeout = request_timeout
        self.exempt = exempt
        self.refused = self.evicted = 0
        self.limited_from: Counter[str] = Counter()
        self.last_log = -LOG_EVERY_SECONDS
        super().__init__(*args, **kwargs)

    def readable(self) -> bool:
        """Housekeeping as waitress does it, but always accepting: the limits are applied per connection in
        ``handle_accept`` (waitress's own stops accepting at the limit, which is what starved everybody)."""
        now = time.time()
        if now >= self.next_channel_cleanup:
            self.next_channel_cleanup = now + float(self.adj.cleanup_interval)
            self.maintenance(now)
        return bool(self.accepting)

    def maintenance(self, now: float) -> None:
        super().maintenance(now)
        cutoff = now - self.request_timeout
        for channel in list(self.active_channels.values()):
            since = getattr(channel, "partial_since", None)
            if since is not None and since < cutoff and not channel.requests:
                channel.will_close = True

    def handle_accept(self) -> None:
        try:
            accepted = self.accept()
            if accepted is None:
                return
            conn, addr = accepted
            self.set_socket_options(conn)
        except OSError:
            return
        addr = self.fix_addr(addr)
        ip = str(addr[0]) if isinstance(addr, tuple) else str(addr)
        if not self._make_room(ip):
            self._refuse(conn, ip)
            return
        self.channel_class(self, conn, addr, self.adj, map=self._map)

    def open_channels(self) -> list[GuardedChannel]:
        channels = list(self.active_channels.values())  # other threads may read while the loop changes it
        return [c for c in channels if isinstance(c, GuardedChannel) and not c.will_close]

    def _make_room(self, ip: str) -> bool:
        """Whether a new connection from ``ip`` may be served, closing a stale one of the same client if needed."""
        channels = self.open_channels()
        if ip not in self.exempt:
            mine = [c for c in channels if c.ip() == ip]
            if len(mine) >= self.per_address:
                return self._evict(mine, ip)
        if len(channels) >= self.adj.connection_limit:
            counts = Counter(c.ip() for c in channels)
            heaviest = counts.most_common(1)[0][0]
            return self._evict([c for c in channels if c.ip() == heaviest], heaviest) or self._evict(channels, ip)
        return True

    def _evict(self, candidates: list[GuardedChannel], ip: str) -> bool:
        idle = [c for c in candidates if not c.busy()]
        if not idle:
            return False
        min(idle, key=lambda c: c.last_activity).handle_close()
        self.evicted += 1
        self._count(ip)
        return True

    def _count(self, ip: str) -> None:
        if len(self.limited_from) < 1000 or ip in self.limited_from:
            self.limited_from[ip] += 1
        self._log()

    def _refuse(self, conn: socket.socket, ip: str) -> None:
        try:
            conn.setblocking(False)
            conn.send(b"HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n")
        except OSError:
            pass
        finally:
            conn.close()
        self.refused += 1
        self._count(ip)

    def _log(self) -> None:
        now = time.monotonic()
        if now - self.last_log < LOG_EVERY_SECONDS:
            return
        top = self.limited_from.most_common(1)
        logger.warning(
            "web connections limited refused=%d evicted=%d top_address=%s per_address=%d limit=%d",
            self.refused,
            self.evicted,
            top[0][0] if top else "-",
            self.per_address,
            self.adj.connection_limit,
        )
        self.last_log = now
        self.refused = self.evicted = 0
        self.limited_from.clear()
