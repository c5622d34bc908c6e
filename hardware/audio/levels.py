"""Loudness of 16-bit mono PCM in the house format: measure (RMS and peak in dBFS), trim silence, even it out.

A call is assembled from many short clips; if one word is 6 dB louder than its neighbours the hall hears a jolt,
so clips are normalised to one RMS level when a set is built and checked against a range when a set is
recorded. The figures are plain RMS over the voiced part (samples above the silence threshold), not a weighted
loudness (LUFS): for one speaker's voice, word by word, the two agree within a decibel or two, and this needs
nothing outside the standard library.
"""

from __future__ import annotations

import math
import sys
from array import array
from dataclasses import dataclass

SILENCE_DBFS = -45.0
"""Samples quieter than this count as silence (for trimming, and left out of a clip's RMS)."""
FULL_SCALE = 32768.0


@dataclass(frozen=True)
class Level:
    rms_dbfs: float
    """RMS of the voiced samples; -inf for a silent clip."""
    peak_dbfs: float


def samples_of(frames: bytes) -> array[int]:
    samples = array("h", frames[: len(frames) - len(frames) % 2])
    if sys.byteorder == "big":
        samples.byteswap()
    return samples


def frames_of(samples: array[int]) -> bytes:
    if sys.byteorder == "big":
        samples = array("h", samples)
        samples.byteswap()
    return samples.tobytes()


def dbfs(amplitude: float) -> float:
    return 20 * math.log10(amplitude / FULL_SCALE) if amplitude > 0 else float("-inf")


def level(frames: bytes) -> Level:
    samples = samples_of(frames)
    threshold = FULL_SCALE * 10 ** (SILENCE_DBFS / 20)
    voiced = [s for s in samples if abs(s) >= threshold]
    peak = max((abs(s) for s in samples), default=0)
    rms = math.sqrt(sum(s * s for s in voiced) / len(voiced)) if voiced else 0.0
    return Level(dbfs(rms), dbfs(peak))


def trim(frames: bytes, rate: int, keep_seconds: float = 0.03) -> bytes:
    """Leading and trailing silence cut, ``keep_seconds`` left at each end so no consonant is clipped."""
    samples = samples_of(frames)
    threshold = FULL_SCALE * 10 ** (SILENCE_DBFS / 20)
    loud = [i for i, s in enumerate(samples) if abs(s) >= threshold]
    if not loud:
        return b""
    keep = int(keep_seconds * rate)
    start, end = max(0, loud[0] - keep), min(len(samples), loud[-1] + 1 + keep)
    return frames_of(samples[start:end])


def gain(frames: bytes, factor: float) -> bytes:
    """Every sample times ``factor``, clipped to 16 bits (a volume setting, or normalisation)."""
    samples = samples_of(frames)
    out = array("h", (max(-32768, min(32767, round(s * factor))) for s in samples))
    return frames_of(out)


def normalise(frames: bytes, target_rms_dbfs: float, peak_ceiling_dbfs: float = -1.0) -> bytes:
    """Scaled so the voiced RMS is ``target_rms_dbfs``, but never so far that the peak passes the ceiling."""
    measured = level(frames)
    if measured.rms_dbfs == float("-inf"):
        return frames
    wanted = target_rms_dbfs - measured.rms_dbfs
    allowed = peak_ceiling_dbfs - measured.peak_dbfs
    return gain(frames, 10 ** (min(wanted, allowed) / 20))
