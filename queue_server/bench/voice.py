"""``make bench`` rows of the hall board's voice (issue 16): can the speaker keep up with a busy office?

The peak call rate of a 10-counter office, derived: each counter calls its next citizen when it finishes one, so
with a mean service of 6 minutes the office calls 10 / 6 = **1.67 calls a minute**; about one call in ten is a
recall (the citizen was not at the counter), so **1.83 a minute** is the sustained peak. The bursts are the
opening and the end of the lunch break, when every counter calls within the same minute: **10 calls at once**.

Measured on the board's real code (the clip set built by ``motcua voice clips build`` from espeak-ng, the
``Voice`` at the default settings, the ``Announcer`` with its backlog policy) with a player that plays nothing
but adds each WAV's length to a virtual clock, so the figures are the audio's own seconds, not this machine's:

* the call's length at the default (chime, the sentence twice, 0.7 s gap), and so the calls a minute the
  board can say without a backlog (60 / length), against the 1.83 a minute peak;
* a burst of 10: the seconds until the last of them has been said, with the backlog policy (said once, one chime
  per run) and without it (``backlog = "keep"``);
* a day at the peak rate (Poisson arrivals, 8 hours, seeded): the longest backlog and the p99 wait from the call
  to the start of its announcement;
* the time to render a call from clips against synthesising it sentence by sentence (the old way).
"""

from __future__ import annotations

import random
import tempfile
import threading
import time
from collections import deque
from pathlib import Path
from typing import Literal

from queue_server.bench.percentile import percentile
from queue_server.bench.rows import BenchRow

COUNTERS = 10
MEAN_SERVICE_MIN = 6.0
RECALL_SHARE = 0.1
PEAK_PER_MIN = COUNTERS / MEAN_SERVICE_MIN * (1 + RECALL_SHARE)
BURST = COUNTERS


class _VirtualPlayer:
    """Adds each WAV's length to a clock instead of playing it; holds the first until ``release`` (a burst)."""

    def __init__(self, hold_first: bool = False) -> None:
        self.seconds: list[float] = []
        self.started, self.release = threading.Event(), threading.Event()
        if not hold_first:
            self.release.set()

    def play(self, wav_path: Path) -> None:
        from hardware.audio import wavio

        self.started.set()
        self.release.wait(30)
        self.seconds.append(wavio.duration(wav_path))


def _burst_seconds(voice: object, work_dir: Path, backlog: Literal["shorten", "keep"]) -> float:
    """The first call starts, nine more arrive while it plays: seconds of audio until the last is said."""
    from firmware.voice.announcer import Announcer

    player = _VirtualPlayer(hold_first=True)
    with Announcer(voice, player, work_dir=work_dir, backlog=backlog) as announcer:  # type: ignore[arg-type]
        announcer.announce("A101", 1)
        player.started.wait(30)
        for n in range(2, BURST + 1):
            announcer.announce(f"A{100 + n}", n)
        player.release.set()
        announcer.wait_idle(120)
    return sum(player.seconds)


def _day(first_s: float, run_s: float, repeat_s: float, hours: float, seed: int = 16) -> tuple[int, float]:
    """A day of Poisson calls at the peak rate through the backlog policy: (longest backlog, p99 wait in s).

    A call is said once (``first_s`` with the chime after silence, ``run_s`` without it in a run), then repeated
    (``repeat_s``, the gap included) only if no call arrived meanwhile: the announcer's own rule."""
    rng = random.Random(seed)
    t, arrivals = 0.0, []
    while t < hours * 3600:
        t += rng.expovariate(PEAK_PER_MIN / 60)
        arrivals.append(t)
    clock, i, pending, waits, longest, in_run = 0.0, 0, deque[float](), [], 0, False

    def arrived() -> None:
        nonlocal i
        while i < len(arrivals) and arrivals[i] <= clock:
            pending.append(arrivals[i])
            i += 1

    while i < len(arrivals) or pending:
        if not pending:
            clock, in_run = max(clock, arrivals[i]), False
        arrived()
        waits.append(clock - pending.popleft())
        longest = max(longest, len(pending))
        clock += run_s if in_run else first_s
        arrived()
        if not pending:
            clock += repeat_s
            arrived()
        in_run = bool(pending)
    return longest, percentile(waits, 99)


def voice_rows(scale: float) -> list[BenchRow]:
    import shutil

    if shutil.which("espeak-ng") is None:
        return [("voice: call length at the default", "", "espeak-ng missing", None)]
    from firmware.device_config import VoiceConfig
    from firmware.voice.language import VIETNAMESE
    from firmware.voice.speech import Voice

    with tempfile.TemporaryDirectory(prefix="motcua-voice-bench-") as tmp:
        base = Path(tmp)
        t0 = time.perf_counter()
        voice = VoiceConfig(clips_dir=base / "vi").voice()
        built_s = time.perf_counter() - t0
        calls = max(10, int(50 * scale))
        lengths, renders = [], []
        for n in range(calls):
            t0 = time.perf_counter()
            report = voice.render(VIETNAMESE.sentence(f"A{n + 1:03d}", n % COUNTERS + 1), base / "call.wav")
            renders.append((time.perf_counter() - t0) * 1000)
            lengths.append(report.seconds)
        once = voice.render(VIETNAMESE.sentence("A025", 3), base / "once.wav", repeats=1, chime=False).seconds
        once_chimed = voice.render(VIETNAMESE.sentence("A025", 3), base / "once-c.wav", repeats=1).seconds
        repeat = voice.render(VIETNAMESE.sentence("A025", 3), base / "rep.wav", repeats=1, chime=False, lead_gap=True)
        synthesised, old_lengths = [], []
        old = Voice(None)
        for n in range(max(3, int(10 * scale))):
            t0 = time.perf_counter()
            old_report = old.render(VIETNAMESE.sentence(f"B{n + 501}", n % COUNTERS + 1), base / "old.wav")
            old_lengths.append(old_report.seconds)
            synthesised.append((time.perf_counter() - t0) * 1000)
        length = sum(lengths) / len(lengths)
        capacity = 60 / length
        shortened = _burst_seconds(voice, base / "burst-shorten", "shorten")
        kept = _burst_seconds(voice, base / "burst-keep", "keep")
    longest, wait99 = _day(once_chimed, once, repeat.seconds, hours=8)
    return [
        ("voice: call length at the default (chime, said twice)", "", f"{length:.1f} s", None),
        (
            "  the same call all by espeak-ng (before clip sets)",
            "",
            f"{sum(old_lengths) / len(old_lengths):.1f} s",
            None,
        ),
        (
            "voice: calls/min without a backlog vs a 10-counter peak",
            f">= {PEAK_PER_MIN:.2f}/min",
            f"{capacity:.1f}/min",
            capacity >= PEAK_PER_MIN,
        ),
        ("voice: calls/min in a backlog (said once, no chime)", "", f"{60 / once:.1f}/min", None),
        (f"voice: burst of {BURST} calls said, backlog policy", "<= 90 s", f"{shortened:.0f} s", shortened <= 90),
        (f"  burst of {BURST} calls said in full (backlog = keep)", "", f"{kept:.0f} s", None),
        ("voice: 8 h at the peak rate, p99 wait to start of call", "<= 15 s", f"{wait99:.1f} s", wait99 <= 15),
        ("  longest backlog that day (calls waiting)", "", f"{longest}", None),
        (
            "voice: render a call from clips p99",
            "<= 150 ms",
            f"{percentile(renders, 99):.1f} ms",
            percentile(renders, 99) <= 150,
        ),
        (
            "  render a call by espeak-ng sentence by sentence, mean",
            "",
            f"{sum(synthesised) / len(synthesised):.0f} ms",
            None,
        ),
        ("  clip set built from espeak-ng (59 clips)", "", f"{built_s:.1f} s", None),
    ]
