"""Render a call sentence to one WAV file: chime, then the sentence said ``repeats`` times.

A call is assembled from a clip set (``hardware.audio.clipset``: recorded by the office, or made from espeak-ng at
install time by ``motcua voice clips build``), longest phrase first; every run of words no clip covers is spoken
by espeak-ng and spliced in. All pieces are converted to one format (``wavio.FORMAT``: 22050 Hz mono 16-bit) and
joined. Clip naming and the manifest are described in ``docs/voice.md``.

Example::

    voice = Voice(clips_dir=Path("/var/lib/motcua/voice/vi"))
    voice.render("Kính mời công dân có số thứ tự a, hai mươi lăm, đến quầy số ba.", Path("/tmp/call.wav"))
"""

from __future__ import annotations

import logging
import re
import tempfile
import threading
import unicodedata
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from hardware.audio import wavio
from hardware.audio.clipset import ClipSet
from hardware.audio.espeak import EspeakNg, SpeechError

__all__ = ["EspeakNg", "Rendered", "SpeechError", "Synthesizer", "Voice", "clip_name", "tokens"]
logger = logging.getLogger(__name__)
PHRASE_CACHE = 64
"""Synthesised phrases kept (about 100 KB each): the template's words and the recent numbers and counters."""
_TOKEN = re.compile(r"[^\W_]+|[,.;:!?–-]")


class Synthesizer(Protocol):
    def available(self) -> bool: ...

    def synthesize(self, text: str, out_path: Path) -> None:
        """Write ``text`` spoken as a WAV file at ``out_path`` (any PCM format)."""


@dataclass
class Rendered:
    """What went into a rendering: useful in logs and tests (which words were recorded, which synthesised)."""

    path: Path
    seconds: float
    from_clips: list[str] = field(default_factory=list)
    synthesized: list[str] = field(default_factory=list)


class Voice:
    """Turns sentences into WAV files; see the module docstring. ``repeats``, ``gap_seconds`` and ``chime`` are
    the defaults of every call; :meth:`render` may override the first and the last (the backlog policy)."""

    def __init__(
        self,
        clips_dir: Path | None = None,
        *,
        repeats: int = 2,
        gap_seconds: float = 0.7,
        pause_seconds: float = 0.15,
        chime: bool = True,
        synthesizer: Synthesizer | None = None,
        clip_set: ClipSet | None = None,
    ) -> None:
        if repeats < 1:
            raise ValueError("repeats must be at least 1")
        self.repeats, self.gap_seconds, self.pause_seconds, self.chime = repeats, gap_seconds, pause_seconds, chime
        self.synthesizer: Synthesizer = synthesizer or EspeakNg()
        if clip_set is None and clips_dir is not None:
            clip_set = ClipSet.load(clips_dir)
        self.clip_set = clip_set or ClipSet(Path("."))
        self._pcm: dict[str, bytes] = {}
        self._chime_pcm: bytes | None = None
        self._cache: OrderedDict[str, bytes] = OrderedDict()
        self._cache_lock = threading.Lock()

    def render(
        self,
        sentence: str,
        out_path: Path,
        *,
        repeats: int | None = None,
        chime: bool | None = None,
        lead_gap: bool = False,
    ) -> Rendered:
        """Write the announcement (chime, sentence x repeats) to ``out_path``; ``lead_gap``: the gap first."""
        report = Rendered(out_path, 0.0)
        spoken = self._sentence_pcm(sentence, report)
        gap = wavio.silence(self.gap_seconds)
        parts = [self._chime()] if (self.chime if chime is None else chime) else []
        if lead_gap:  # a repeat played as its own file: the gap before it is in it
            parts.append(gap)
        parts.append(gap.join([spoken] * max(1, repeats or self.repeats)))
        out_path.parent.mkdir(parents=True, exist_ok=True)
        wavio.write_pcm(out_path, b"".join(parts))
        report.seconds = wavio.duration(out_path)
        logger.info("rendered %.1fs to %s (clips: %d words, synthesised: %d)", report.seconds, out_path,
                    len(report.from_clips), len(report.synthesized))  # fmt: skip
        return report

    def _chime(self) -> bytes:
        if self._chime_pcm is None:
            path = self.clip_set.chime
            self._chime_pcm = wavio.read_pcm(path) if path is not None else wavio.chime()
        return self._chime_pcm

    def _clip(self, key: str) -> bytes:
        """A clip's samples, read (and converted) once: a call is then a byte join, no disk read."""
        pcm = self._pcm.get(key)
        if pcm is None:
            path = self.clip_set.clips[key]
            pcm = self._pcm[key] = wavio.read_pcm(path)
        return pcm

    def _sentence_pcm(self, sentence: str, report: Rendered) -> bytes:
        plan: list[bytes | str] = []  # audio already at hand, or a phrase still to synthesise
        words: list[str] = []

        def flush() -> None:
            for key, run in self.clip_set.plan(words):
                if key is None:
                    plan.append(" ".join(run))
                    report.synthesized.extend(run)
                else:
                    plan.append(self._clip(key))
                    report.from_clips.extend(run)
            words.clear()

        for token in tokens(sentence):
            if not token[0].isalnum():
                flush()
                plan.append(wavio.silence(self.pause_seconds))
            else:
                words.append(token)
        flush()
        spoken = self._synthesize_all([p for p in plan if isinstance(p, str)])
        return b"".join(p if isinstance(p, bytes) else spoken[p] for p in plan)

    def _synthesize_all(self, phrases: list[str]) -> dict[str, bytes]:
        """Every phrase's audio: recent ones from the cache, the others synthesised at the same time.

        A call sentence splits at its commas into about three phrases, and the template's fixed words come back
        in every call; caching them and running the rest in parallel keeps a call's first sound quick (the
        synthesiser's start-up, not its speaking, is most of its time).
        """
        with self._cache_lock:
            out = {p: self._cache[p] for p in phrases if p in self._cache}
        todo = list(dict.fromkeys(p for p in phrases if p not in out))
        if todo:
            if not self.synthesizer.available():
                raise SpeechError(f"no clip and no speech synthesiser for: {todo[0]!r}")
            if len(todo) == 1:
                out[todo[0]] = self._synthesize(todo[0])
            else:
                with ThreadPoolExecutor(max_workers=len(todo), thread_name_prefix="voice-synth") as pool:
                    out |= dict(zip(todo, pool.map(self._synthesize, todo), strict=True))
            with self._cache_lock:
                for phrase in todo:
                    self._cache[phrase] = out[phrase]
                    self._cache.move_to_end(phrase)
                while len(self._cache) > PHRASE_CACHE:
                    self._cache.popitem(last=False)
        return out

    def _synthesize(self, text: str) -> bytes:
        with tempfile.TemporaryDirectory(prefix="motcua-voice-") as tmp:
            path = Path(tmp) / "phrase.wav"
            self.synthesizer.synthesize(text, path)
            return wavio.read_pcm(path)


def tokens(sentence: str) -> list[str]:
    """Words (lower-case, NFC) and punctuation marks, in order; a punctuation mark becomes a short pause."""
    return _TOKEN.findall(unicodedata.normalize("NFC", sentence).lower())


def clip_name(word: str) -> str:
    """The file name a recorded clip for ``word`` must have."""
    return unicodedata.normalize("NFC", word).lower() + ".wav"
