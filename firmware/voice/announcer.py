"""The one audio queue of a counter unit or hall board: calls are spoken one at a time, in order, none dropped.

A hall with several counters calling at once must not hear two sentences on top of each other, and a citizen
who missed a call must hear the recall. So every call goes into one unbounded FIFO served by one thread that
renders the WAV and hands it to a ``Player``, which blocks until the sound is over.

Example::

    with Announcer(Voice(clips_dir), AplayPlayer()) as announcer:
        announcer.announce("A025", 3)
        announcer.announce("A025", 3)  # a recall: said again, after whatever is queued before it
"""

from __future__ import annotations

import logging
import queue
import shutil
import subprocess
import tempfile
import threading
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from firmware.voice.numbers import CLDR, DEFAULT_TEMPLATE, Reading, call_sentence
from firmware.voice.speech import Rendered

logger = logging.getLogger(__name__)
KEEP_RENDERED = 16
"""Rendered calls kept for recalls; older files are deleted (a day of calls would fill a Pi's tmpfs)."""


class Player(Protocol):
    def play(self, wav_path: Path) -> None:
        """Play the file and return when it has finished."""


class Renderer(Protocol):
    def render(self, sentence: str, out_path: Path) -> Rendered: ...


class AplayPlayer:
    """ALSA's ``aplay`` (package alsa-utils), the player on a Pi with no desktop."""

    def __init__(self, device: str | None = None, program: str = "aplay") -> None:
        self.device, self.program = device, program

    @staticmethod
    def available(program: str = "aplay") -> bool:
        return shutil.which(program) is not None

    def play(self, wav_path: Path) -> None:
        command = [self.program, "-q", *(["-D", self.device] if self.device else []), str(wav_path)]
        result = subprocess.run(command, capture_output=True, timeout=120, check=False)
        if result.returncode != 0:
            logger.error("aplay failed (%d): %s", result.returncode, result.stderr.decode(errors="replace"))


class FakePlayer:
    """Records what was played, and fails loudly if asked to play two things at once."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self.played: list[Path] = []
        self._busy = threading.Lock()

    def play(self, wav_path: Path) -> None:
        if not self._busy.acquire(blocking=False):
            raise AssertionError(f"overlapping playback: {wav_path} while another sound plays")
        try:
            if not wav_path.is_file():
                raise AssertionError(f"no such WAV: {wav_path}")
            threading.Event().wait(self.seconds)
            self.played.append(wav_path)
        finally:
            self._busy.release()


@dataclass(frozen=True)
class Call:
    label: str
    counter_number: int


class Announcer:
    """One FIFO, one worker thread; see the module docstring. ``close()`` finishes what is queued."""

    def __init__(
        self,
        voice: Renderer,
        player: Player,
        *,
        template: str = DEFAULT_TEMPLATE,
        reading: Reading = CLDR,
        work_dir: Path | None = None,
    ) -> None:
        self.voice, self.player, self.template, self.reading = voice, player, template, reading
        self._tmp = None if work_dir else tempfile.TemporaryDirectory(prefix="motcua-calls-")
        self.work_dir = work_dir or Path(self._tmp.name if self._tmp else ".")
        self._queue: queue.Queue[Call | None] = queue.Queue()
        self._rendered: OrderedDict[str, Path] = OrderedDict()
        self._count = 0
        self.spoken: list[Call] = []
        self._worker = threading.Thread(target=self._run, name="announcer", daemon=True)
        self._worker.start()
        self._closed = False

    def announce(self, label: str, counter_number: int) -> None:
        """Queue a call (a recall is simply another call of the same ticket)."""
        if self._closed:
            raise RuntimeError("announcer is closed")
        self._queue.put(Call(label, counter_number))

    recall = announce

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """True once everything queued so far has been spoken."""
        done = threading.Event()

        def watch() -> None:
            self._queue.join()
            done.set()

        threading.Thread(target=watch, daemon=True).start()
        return done.wait(timeout)

    def close(self, timeout: float = 60.0) -> None:
        if self._closed:
            return
        self._closed = True
        self._queue.put(None)
        self._worker.join(timeout)
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> Announcer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self) -> None:
        while True:
            call = self._queue.get()
            try:
                if call is None:
                    return
                self.player.play(self._wav_for(call))
                self.spoken.append(call)
            except Exception:
                logger.exception("could not announce %s at counter %s", getattr(call, "label", "?"),
                                 getattr(call, "counter_number", "?"))  # fmt: skip
            finally:
                self._queue.task_done()

    def _wav_for(self, call: Call) -> Path:
        """Render once per sentence: a recall replays the file already made. Only recent files are kept."""
        sentence = call_sentence(call.label, call.counter_number, self.template, self.reading)
        path = self._rendered.get(sentence)
        if path is not None and path.exists():
            self._rendered.move_to_end(sentence)
            return path
        self._count += 1
        path = self.work_dir / f"call-{self._count:06d}.wav"
        self.voice.render(sentence, path)
        self._rendered[sentence] = path
        while len(self._rendered) > KEEP_RENDERED:
            _, old = self._rendered.popitem(last=False)
            old.unlink(missing_ok=True)
        return path
