"""A pseudo-terminal standing in for a serial LED board: what the driver writes is kept and decoded.

pyserial opens the pty's slave side like any serial port; a thread reads the master side, appends every byte
to ``<name>.bin`` and one decoded line per frame to ``<name>.txt`` (``N "A025          QUAY 1"``), so a demo
shows exactly what a real board would have received.
"""

from __future__ import annotations

import contextlib
import os
import select
import threading
import time
from pathlib import Path

from hardware.serial_display import FRAME_LENGTH, STX, checksum


def decode(frame: bytes) -> str:
    """One 24-byte frame as a line of text; a damaged frame says so."""
    ok = len(frame) == FRAME_LENGTH and frame[0] == STX and checksum(frame[1:-1]) == frame[-1]
    text = frame[2:-2].decode("ascii", errors="replace")
    return f'{chr(frame[1])} "{text}"' + ("" if ok else f"  (bad frame {frame.hex(' ')})")


class PtyCapture:
    def __init__(self, base: Path) -> None:
        base.parent.mkdir(parents=True, exist_ok=True)
        self.bin_path, self.text_path = base.with_suffix(".bin"), base.with_suffix(".txt")
        self.bin_path.write_bytes(b"")
        self.text_path.write_text("", encoding="utf-8")
        self._master, self._slave = os.openpty()
        self.slave_name = os.ttyname(self._slave)
        self.frames: list[bytes] = []
        self._stop = threading.Event()
        self._started = time.monotonic()
        self._reader = threading.Thread(target=self._read, name="pty-capture", daemon=True)
        self._reader.start()

    def _read(self) -> None:
        buffer = b""
        with self.bin_path.open("ab") as raw, self.text_path.open("a", encoding="utf-8") as text:
            while not self._stop.is_set():
                ready, _, _ = select.select([self._master], [], [], 0.1)
                if not ready:
                    continue
                try:
                    data = os.read(self._master, 1024)
                except OSError:
                    return
                raw.write(data)
                raw.flush()
                buffer += data
                start = buffer.find(bytes([STX]))
                buffer = buffer[start:] if start >= 0 else b""
                while len(buffer) >= FRAME_LENGTH:
                    frame, buffer = buffer[:FRAME_LENGTH], buffer[FRAME_LENGTH:]
                    self.frames.append(frame)
                    text.write(f"{time.monotonic() - self._started:8.2f}s  {decode(frame)}\n")
                    text.flush()

    def close(self) -> None:
        self._stop.set()
        self._reader.join(2)
        for fd in (self._master, self._slave):
            with contextlib.suppress(OSError):
                os.close(fd)
