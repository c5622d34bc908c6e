"""A size limit on every MQTT packet the embedded broker reads, checked before the packet's body is read.

amqtt reads a packet's fixed header, then reads exactly ``remaining length`` bytes into memory, whatever the
length says (up to 256 MB): five kiosks sending 200 MB each made the server process grow by gigabytes. This
reader sits between the socket and amqtt and follows the MQTT framing of the bytes passing through it (one
type byte, a remaining length of 1-4 bytes, then the body): as soon as a remaining length above the limit is
decoded, it aborts the connection, so nothing of the body is ever buffered. It works on the CONNECT too, before
any login. Only :mod:`.amqtt_rules` uses it.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from amqtt.adapters import ReaderAdapter

logger = logging.getLogger(__name__)


class PacketLimitReader(ReaderAdapter):  # type: ignore[misc]  # amqtt ships no type hints
    """Wraps an asyncio ``StreamReader``; ``on_oversize()`` is called once (it should abort the transport)."""

    def __init__(self, reader: asyncio.StreamReader, limit: int, on_oversize: Callable[[int], None]) -> None:
        self._reader, self._limit, self._on_oversize = reader, limit, on_oversize
        self._closed = False
        # framing state: "type" (next byte is a packet type), "length" (decoding), "body" (bytes left)
        self._state = "type"
        self._length = 0
        self._multiplier = 1
        self._body_left = 0

    async def read(self, n: int = -1) -> bytes:
        if self._closed:
            return b""
        try:
            data = await (self._reader.read(n) if n == -1 else self._reader.readexactly(n))
        except asyncio.IncompleteReadError as exc:
            data = exc.partial
        if self._follow(data):
            return data
        self._closed = True
        return b""

    def feed_eof(self) -> None:
        self._reader.feed_eof()

    def _follow(self, data: bytes) -> bool:
        """Track the framing over ``data``; False once a packet announces more than the limit."""
        i = 0
        while i < len(data):
            if self._state == "body":
                step = min(self._body_left, len(data) - i)
                self._body_left -= step
                i += step
                if self._body_left == 0:
                    self._state = "type"
                continue
            byte = data[i]
            i += 1
            if self._state == "type":
                self._state, self._length, self._multiplier = "length", 0, 1
                continue
            self._length += (byte & 0x7F) * self._multiplier
            self._multiplier *= 128
            if self._length > self._limit:
                self._on_oversize(self._length)
                return False
            if not byte & 0x80:
                self._body_left = self._length
                self._state = "body" if self._length else "type"
        return True
