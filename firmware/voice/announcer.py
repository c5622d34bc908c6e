"""The one audio queue of a counter unit or hall board: calls are spoken one at a time, in order, none dropped.

A hall with several counters calling at once must not hear two sentences on top of each other, and a citizen
who missed a call must hear the recall. So every call goes into one unbounded FIFO served by one thread that
renders the WAV and hands it to a ``Player``, which blocks until the sound is over.

**Backlog policy** (``backlog="shorten"``, the default): when calls queue up the speaker catches up instead of
falling further behind, and still says every number:

* a call is said once, then repeated only if no other call is waiting by then: a call arriving during the first
  saying drops the repeat (the repeat is its own WAV, so the check is made at the moment it would start);
* the chime sounds only before a call that follows silence, not between calls of a run said back to back;
* the same ticket called to the same counter twice while the first is still queued (a double press, a recall
  before the call was even said) is **merged**: said once, at the place of the first.

``backlog="keep"`` says every call in full (chime, every repeat) whatever the queue.

Example::

    with Announcer(Voice(clips_dir), AplayPlayer()) as announcer:
        announcer.announce("A025", 3)
        announcer.announce("A025", 3)  # a recall: said again, after whatever is queued before it
"""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
import threading
from collections import OrderedDict, deque
from dataclasses import dataclass
from pathlib import Path
from typing import Literal, Protocol

from firmware.voice.numbers import CLDR, DEFAULT_TEMPLATE, Reading, call_sentence
from firmware.voice.speech import Rendered

logger = logging.getLogger(__name__)
KEEP_RENDERED = 16
"""Rendered calls kept for recalls; older files are deleted (a day of calls would fill a Pi's tmpfs)."""


class Player(Protocol):
    def play(self, wav_path: Path) -> None:
        """Play the file and return when it has finished."""


class Renderer(Protocol):
    def render(
        self,
        sentence: str,
        out_path: Path,
        *,
        repeats: int | None = None,
        chime: bool | None = None,
        lead_gap: bool = False,
    ) -> Rendered: ...


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
        backlog: Literal["shorten", "keep"] = "shorten",
        repeats: int | None = None,
    ) -> None:
        """``repeats``: how often a call is said when nothing waits (default: the voice's own ``repeats``)."""
        self.voice, self.player, self.template, self.reading = voice, player, template, reading
        self.backlog = backlog
        self.repeats = repeats if repeats is not None else int(getattr(voice, "repeats", 1))
        self._tmp = None if work_dir else tempfile.TemporaryDirectory(prefix="motcua-calls-")
        self.work_dir = work_dir or Path(self._tmp.name if self._tmp else ".")
        self._queue: deque[Call | None] = deque()
        self._changed = threading.Condition()
        self._busy = False
        self._in_run = False
        """The last call ended with another waiting: the next one is part of the same run (no chime)."""
        self._rendered: OrderedDict[tuple[str, int | None, bool | None, bool], Path] = OrderedDict()
        self._count = 0
        self.spoken: list[Call] = []
        self.merged: list[Call] = []
        """Calls not said on their own: a duplicate of one still queued (backlog policy)."""
        self.dropped_repeats = 0
        """Repeats not said because another call was waiting (backlog policy)."""
        self.unchimed = 0
        """Calls said without the chime: the second and later of a run said back to back."""
        self._closed = False
        self._worker = threading.Thread(target=self._run, name="announcer", daemon=True)
        self._worker.start()

    def announce(self, label: str, counter_number: int) -> None:
        """Queue a call (a recall is simply another call of the same ticket)."""
        with self._changed:
            if self._closed:
                raise RuntimeError("announcer is closed")
            self._queue.append(Call(label, counter_number))
            self._changed.notify_all()

    recall = announce

    @property
    def backlog_size(self) -> int:
        with self._changed:
            return sum(c is not None for c in self._queue)

    def wait_idle(self, timeout: float = 30.0) -> bool:
        """True once everything queued so far has been spoken."""
        with self._changed:
            return self._changed.wait_for(lambda: not self._queue and not self._busy, timeout)

    def close(self, timeout: float = 60.0) -> None:
        with self._changed:
            if self._closed:
                return
            self._closed = True
            self._queue.append(None)
            self._changed.notify_all()
        self._worker.join(timeout)
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> Announcer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _next(self) -> tuple[Call | None, int]:
        """The next call and how many wait behind it, its queued duplicates merged into it."""
        with self._changed:
            self._changed.wait_for(lambda: bool(self._queue))
            call = self._queue.popleft()
            if call is not None and self.backlog == "shorten":
                duplicates = [c for c in self._queue if c == call]
                for dup in duplicates:
                    self._queue.remove(dup)
                self.merged += duplicates
            self._busy = call is not None
            return call, sum(c is not None for c in self._queue)

    def _run(self) -> None:
        while True:
            call, _ = self._next()
            if call is None:
                return
            try:
                if self.backlog == "keep":
                    self.player.play(self._wav_for(call))
                else:
                    self._say_shortened(call)
                self.spoken.append(call)
            except Exception:
                logger.exception("could not announce %s at counter %s", call.label, call.counter_number)
            finally:
                with self._changed:
                    self._busy = False
                    self._in_run = any(c is not None for c in self._queue)
                    self._changed.notify_all()

    def _say_shortened(self, call: Call) -> None:
        """Once (chimed unless in a run), then each repeat only while nobody else waits."""
        chime = False if self._in_run else None
        self.unchimed += chime is False
        self.player.play(self._wav_for(call, 1, chime))
        for _ in range(self.repeats - 1):
            if self.backlog_size:
                self.dropped_repeats += 1
                return
            self.player.play(self._wav_for(call, 1, False, lead_gap=True))

    def _wav_for(
        self, call: Call, repeats: int | None = None, chime: bool | None = None, *, lead_gap: bool = False
    ) -> Path:
        """Render once per sentence and style: a recall replays the file already made. Only recent files are kept."""
        sentence = call_sentence(call.label, call.counter_number, self.template, self.reading)
        key = (sentence, repeats, chime, lead_gap)
        path = self._rendered.get(key)
        if path is not None and path.exists():
            self._rendered.move_to_end(key)
            return path
        self._count += 1
        path = self.work_dir / f"call-{self._count:06d}.wav"
        if repeats is None and chime is None and not lead_gap:
            self.voice.render(sentence, path)
        else:
            self.voice.render(sentence, path, repeats=repeats, chime=chime, lead_gap=lead_gap)
        self._rendered[key] = path
        while len(self._rendered) > KEEP_RENDERED:
            _, old = self._rendered.popitem(last=False)
            old.unlink(missing_ok=True)
        return path
