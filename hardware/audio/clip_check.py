"""Check a clip set before a hall hears it: every needed word there, the house format, the level in range and
even across clips. ``motcua voice clips check DIR`` prints :func:`table` and fails on any problem.

Limits (docs/voice.md, "Recording a clip set"):

* format: PCM WAV, mono, 16-bit; 22050 Hz is the house rate (another rate is resampled at every call: noted,
  not refused); at least 16000 Hz;
* level: voiced RMS between ``RMS_RANGE`` dBFS, peak at most ``PEAK_MAX`` dBFS (no clipping);
* evenness: no clip more than ``SPREAD_MAX`` dB from the set's median RMS (a jolt between two words);
* length: a clip between 0.05 s and 4 s (an empty take, or a whole sentence recorded as a "word").
"""

from __future__ import annotations

import statistics
import wave
from collections.abc import Iterable
from dataclasses import dataclass, field

from hardware.audio import levels, wavio
from hardware.audio.clipset import CHIME, ClipSet, key_of

RMS_RANGE = (-28.0, -12.0)
PEAK_MAX = -0.3
SPREAD_MAX = 6.0
SECONDS_RANGE = (0.05, 4.0)
MIN_RATE = 16000


@dataclass
class ClipRow:
    key: str
    file: str
    seconds: float = 0.0
    format: str = ""
    rms_dbfs: float = float("-inf")
    peak_dbfs: float = float("-inf")
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


@dataclass
class CheckReport:
    rows: list[ClipRow]
    missing: list[str]

    @property
    def ok(self) -> bool:
        return not self.missing and all(r.ok for r in self.rows)


def check_clip_set(clip_set: ClipSet, needed: Iterable[str]) -> CheckReport:
    rows = [_row(key, clip_set) for key in sorted(clip_set.clips)]
    voiced = [r.rms_dbfs for r in rows if r.key != CHIME and r.rms_dbfs > float("-inf")]
    if voiced:
        median = statistics.median(voiced)
        for row in rows:
            if row.key != CHIME and row.rms_dbfs > float("-inf") and abs(row.rms_dbfs - median) > SPREAD_MAX:
                row.problems.append(f"{row.rms_dbfs - median:+.1f} dB from the set's median {median:.1f}")
    return CheckReport(rows, clip_set.missing(key_of(t) for t in needed))


def _row(key: str, clip_set: ClipSet) -> ClipRow:
    path = clip_set.clips[key]
    row = ClipRow(key, path.name)
    try:
        with wave.open(str(path), "rb") as w:
            rate, channels, width, frames = w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes()
    except (OSError, EOFError, wave.Error) as exc:
        row.problems.append(f"not a readable PCM WAV: {exc}")
        return row
    row.format = f"{rate} Hz {channels} ch {8 * width}-bit"
    row.seconds = frames / rate if rate else 0.0
    if channels != 1:
        row.problems.append("not mono")
    if width != 2:
        row.problems.append("not 16-bit")
    if rate < MIN_RATE:
        row.problems.append(f"rate below {MIN_RATE} Hz")
    elif rate != wavio.FORMAT.rate:
        row.notes.append(f"resampled to {wavio.FORMAT.rate} Hz at each call")
    low, high = SECONDS_RANGE
    if not low <= row.seconds <= high:
        row.problems.append(f"{row.seconds:.2f} s: outside {low}–{high} s")
    measured = levels.level(wavio.read_pcm(path))
    row.rms_dbfs, row.peak_dbfs = measured.rms_dbfs, measured.peak_dbfs
    if measured.rms_dbfs == float("-inf"):
        row.problems.append("silent")
    elif not RMS_RANGE[0] <= measured.rms_dbfs <= RMS_RANGE[1]:
        row.problems.append(f"RMS {measured.rms_dbfs:.1f} dBFS outside {RMS_RANGE[0]:.0f}..{RMS_RANGE[1]:.0f}")
    if measured.peak_dbfs > PEAK_MAX:
        row.problems.append(f"peak {measured.peak_dbfs:.1f} dBFS: clipped")
    return row


def table(report: CheckReport) -> str:
    """The report as a plain-text table, one line per clip, then the missing words, then a verdict."""
    width = max([len(r.key) for r in report.rows] + [10])
    lines = [f"{'clip':<{width}}  {'seconds':>7}  {'format':<20} {'RMS dBFS':>8} {'peak':>6}  result"]
    lines.append("-" * (width + 60))
    for r in report.rows:
        verdict = "ok" if r.ok else "; ".join(r.problems)
        if r.notes:
            verdict += " (" + "; ".join(r.notes) + ")"
        lines.append(
            f"{r.key:<{width}}  {r.seconds:>7.2f}  {r.format:<20} {r.rms_dbfs:>8.1f} {r.peak_dbfs:>6.1f}  {verdict}"
        )
    for word in report.missing:
        lines.append(f"{word:<{width}}  {'':>7}  {'':<20} {'':>8} {'':>6}  MISSING (espeak-ng will say it)")
    bad = sum(not r.ok for r in report.rows)
    lines.append(
        f"{len(report.rows)} clips, {len(report.missing)} missing, {bad} with problems: "
        + ("the set is ready" if report.ok else "fix the lines above")
    )
    return "\n".join(lines)
