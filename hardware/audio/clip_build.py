"""Make a clip set from espeak-ng, at install time: every word and phrase a call needs, trimmed and levelled.

Same input, same bytes: espeak-ng is deterministic for a given version, voice and speed, trimming and gain are
integer arithmetic on its samples, ``wave`` writes a fixed header and the manifest is sorted. So two boards
built from the same package versions have identical sets, and a changed set shows up in ``sha256sum``.

Example::

    build_clip_set(Path("/var/lib/motcua/voice/vi"), ["kính mời công dân có số thứ tự", "đến quầy số", "hai"])
"""

from __future__ import annotations

import logging
import tempfile
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Protocol

from hardware.audio import levels, wavio
from hardware.audio.clipset import CHIME, ClipSet, key_of
from hardware.audio.espeak import EspeakNg, SpeechError

logger = logging.getLogger(__name__)
TARGET_RMS_DBFS = -20.0
"""Every clip's voiced RMS after levelling: loud enough for a hall, 19 dB of headroom below full scale."""
CHIME_RMS_DBFS = -22.0
"""The chime a little under the voice: it announces, it should not startle."""


class Synthesizer(Protocol):
    def available(self) -> bool: ...

    def synthesize(self, text: str, out_path: Path) -> None: ...

    def describe(self) -> str: ...


def clip_file_name(key: str) -> str:
    """The clip's file name: its key plus ``.wav`` (keys never hold a slash)."""
    if "/" in key or key.startswith("."):
        raise ValueError(f"not a clip key: {key!r}")
    return f"{key}.wav"


def build_clip_set(
    folder: Path,
    texts: Iterable[str],
    *,
    language: str = "vi",
    synthesizer: Synthesizer | None = None,
    target_rms_dbfs: float = TARGET_RMS_DBFS,
    workers: int = 2,
) -> ClipSet:
    """Write a clip per text (and the chime) into ``folder`` with its manifest; returns the set."""
    synth = synthesizer or EspeakNg(voice=language)
    if not synth.available():
        raise SpeechError("espeak-ng is not installed (apt-get install espeak-ng): no clip set can be made")
    keys = sorted({key_of(t) for t in texts if key_of(t)})
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.wav"):
        old.unlink()

    def make(key: str) -> tuple[str, Path]:
        with tempfile.TemporaryDirectory(prefix="motcua-clip-") as tmp:
            raw = Path(tmp) / "raw.wav"
            synth.synthesize(key, raw)
            frames = wavio.read_pcm(raw)
        frames = levels.normalise(levels.trim(frames, wavio.FORMAT.rate), target_rms_dbfs)
        path = folder / clip_file_name(key)
        wavio.write_pcm(path, frames)
        return key, path

    with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="clip-build") as pool:
        clips = dict(pool.map(make, keys))
    chime = folder / clip_file_name(CHIME)
    wavio.write_pcm(chime, levels.normalise(wavio.chime(), CHIME_RMS_DBFS))
    clips[CHIME] = chime
    clip_set = ClipSet(folder, clips, language=language, made_with=synth.describe(), target_rms_dbfs=target_rms_dbfs)
    clip_set.write_manifest()
    logger.info("clip set %s: %d clips made with %s", folder, len(clips), clip_set.made_with)
    return clip_set
