"""WAV plumbing with the standard library only: one house format, conversion into it, silence and a chime.

Shared by the hall board's calls (``firmware/voice``) and the kiosk's spoken guidance (``kiosk/guidance.py``).

Every piece of a call (recorded clips, espeak-ng output, the chime, pauses) is converted to ``FORMAT`` before it
is joined, so concatenation is a plain byte join and the result plays anywhere ``aplay`` does.
"""

from __future__ import annotations

import math
import sys
import wave
from array import array
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class AudioFormat:
    rate: int = 22050
    channels: int = 1
    sample_width: int = 2


FORMAT = AudioFormat()
"""22050 Hz, mono, signed 16-bit little-endian PCM: espeak-ng's own output, so the fallback needs no resampling."""


def read_pcm(path: Path, fmt: AudioFormat = FORMAT) -> bytes:
    """The frames of the WAV at ``path`` converted to ``fmt`` (mixed to mono, resampled, 16-bit)."""
    with wave.open(str(path), "rb") as w:
        rate, channels, width = w.getframerate(), w.getnchannels(), w.getsampwidth()
        raw = w.readframes(w.getnframes())
    samples = _to_int16(raw, width)
    if channels > 1:
        samples = array("h", (sum(samples[i : i + channels]) // channels for i in range(0, len(samples), channels)))
    if rate != fmt.rate:
        samples = _resample(samples, rate, fmt.rate)
    return _bytes(samples)


def write_pcm(path: Path, frames: bytes, fmt: AudioFormat = FORMAT) -> None:
    with wave.open(str(path), "wb") as w:
        w.setnchannels(fmt.channels)
        w.setsampwidth(fmt.sample_width)
        w.setframerate(fmt.rate)
        w.writeframes(frames)


def silence(seconds: float, fmt: AudioFormat = FORMAT) -> bytes:
    return bytes(int(seconds * fmt.rate) * fmt.sample_width * fmt.channels)


def tone(freq: float, seconds: float, volume: float = 0.4, fmt: AudioFormat = FORMAT) -> bytes:
    """A sine tone with a 10 ms fade in and out (no clicks)."""
    n, fade = int(seconds * fmt.rate), max(1, int(0.01 * fmt.rate))
    peak = volume * 32767
    samples = array("h", (0 for _ in range(n)))
    for i in range(n):
        envelope = min(1.0, i / fade, (n - 1 - i) / fade)
        samples[i] = int(peak * envelope * math.sin(2 * math.pi * freq * i / fmt.rate))
    return _bytes(samples)


def chime(fmt: AudioFormat = FORMAT) -> bytes:
    """The "ding-dong" before a call, synthesised so there is no asset to lose: E6 then C6, ~0.8 s."""
    return tone(1318.5, 0.35, fmt=fmt) + tone(1046.5, 0.45, fmt=fmt) + silence(0.25, fmt)


def duration(path: Path) -> float:
    with wave.open(str(path), "rb") as w:
        return w.getnframes() / w.getframerate()


def _to_int16(raw: bytes, width: int) -> array[int]:
    if width == 2:
        samples = array("h", raw[: len(raw) - len(raw) % 2])
        if sys.byteorder == "big":
            samples.byteswap()
        return samples
    if width == 1:  # unsigned 8-bit
        return array("h", ((b - 128) << 8 for b in raw))
    if width in (3, 4):
        return array(
            "h", (int.from_bytes(raw[i : i + width], "little", signed=True) >> (8 * (width - 2))
                  for i in range(0, len(raw) - width + 1, width))
        )  # fmt: skip
    raise ValueError(f"unsupported sample width {width}")


def _resample(samples: array[int], src: int, dst: int) -> array[int]:
    """Linear interpolation: plenty for speech at these rates."""
    if not samples:
        return samples
    n = max(1, round(len(samples) * dst / src))
    last = len(samples) - 1
    out = array("h", bytes(2 * n))
    for i in range(n):
        pos = i * src / dst
        j = min(int(pos), last)
        frac = pos - j
        nxt = samples[min(j + 1, last)]
        out[i] = int(samples[j] + (nxt - samples[j]) * frac)
    return out


def _bytes(samples: array[int]) -> bytes:
    if sys.byteorder == "big":
        samples = array("h", samples)
        samples.byteswap()
    return samples.tobytes()


def duration_of(frames: bytes, fmt: AudioFormat = FORMAT) -> float:
    return len(frames) / (fmt.rate * fmt.channels * fmt.sample_width)
