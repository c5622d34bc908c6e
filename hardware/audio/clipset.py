"""A clip set: a folder of WAV clips, one per word or phrase a call needs, and a manifest that says what is there.

The folder::

    vi/
      clips.toml        # the manifest (optional for a hand-recorded folder: then every *.wav is a clip)
      mời.wav  số.wav  quầy.wav  hai.wav  mươi.wav ...
      mời số.wav        # a phrase: said as one clip wherever "mời số" appears in a sentence
      _chime.wav        # the chime before a call (optional: a synthesised ding-dong otherwise)

``clips.toml``::

    language = "vi"
    made_with = "espeak-ng 1.51 -v vi -s 150"      # or "recorded: Nguyễn Thị A, 2026-11"
    target_rms_dbfs = -20.0
    [clips]
    "mời" = "mời.wav"
    "mời số" = "mời số.wav"

A key is the text, lower case, Unicode NFC, single spaces (file names from a Mac, in NFD, are found too). The
board looks a sentence up **longest phrase first** (:meth:`ClipSet.plan`), so a recorded "đến quầy số" beats
three single words, and whatever no clip covers goes to espeak-ng.
"""

from __future__ import annotations

import json
import tomllib
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from hardware.audio.espeak import SpeechError

MANIFEST = "clips.toml"
CHIME = "_chime"
"""The key of the chime clip (never a word: words have no underscore)."""


class ClipSetError(SpeechError):
    """A clip set's folder or manifest is unusable; the message names the file."""


def key_of(text: str) -> str:
    """The lookup key of a word or phrase: NFC, lower case, single spaces."""
    return " ".join(unicodedata.normalize("NFC", text).lower().split())


@dataclass
class ClipSet:
    folder: Path
    clips: dict[str, Path] = field(default_factory=dict)
    language: str = "vi"
    made_with: str = ""
    target_rms_dbfs: float | None = None

    @classmethod
    def load(cls, folder: Path) -> ClipSet:
        """Read ``folder`` (its manifest if there is one); a missing folder or a broken manifest is an error."""
        if not folder.is_dir():
            raise ClipSetError(f"clip folder {folder} does not exist")
        manifest = folder / MANIFEST
        if not manifest.is_file():
            clips = {key_of(p.stem): p for p in sorted(folder.glob("*.wav"))}
            return cls(folder, clips)
        try:
            data = tomllib.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
            raise ClipSetError(f"{manifest}: {exc}") from None
        entries = data.get("clips", {})
        if not isinstance(entries, dict) or not all(isinstance(v, str) for v in entries.values()):
            raise ClipSetError(f"{manifest}: [clips] must map each word or phrase to a file name")
        on_disk = {unicodedata.normalize("NFC", p.name): p for p in folder.glob("*.wav")}
        clips = {key_of(k): on_disk.get(unicodedata.normalize("NFC", v), folder / v) for k, v in entries.items()}
        target = data.get("target_rms_dbfs")
        return cls(
            folder,
            clips,
            language=str(data.get("language", "vi")),
            made_with=str(data.get("made_with", "")),
            target_rms_dbfs=float(target) if isinstance(target, int | float) else None,
        )

    def get(self, key: str) -> Path | None:
        return self.clips.get(key_of(key))

    @property
    def chime(self) -> Path | None:
        return self.clips.get(CHIME)

    def missing(self, needed: Iterable[str]) -> list[str]:
        """The words or phrases of ``needed`` no clip covers (a phrase is covered if each of its words is)."""
        out = []
        for text in needed:
            words = key_of(text).split()
            if key_of(text) not in self.clips and not all(w in self.clips for w in words):
                out.append(key_of(text))
        return sorted(set(out))

    def plan(self, words: Sequence[str]) -> list[tuple[str | None, list[str]]]:
        """``words`` cut into runs: ``(key, words)`` said by one clip, or ``(None, words)`` left to the synthesiser.

        Greedy longest match: at each word the longest phrase with a clip is taken.
        """
        longest = max((len(k.split()) for k in self.clips), default=1)
        runs: list[tuple[str | None, list[str]]] = []
        i = 0
        while i < len(words):
            for n in range(min(longest, len(words) - i), 0, -1):
                key = key_of(" ".join(words[i : i + n]))
                if key in self.clips:
                    runs.append((key, list(words[i : i + n])))
                    i += n
                    break
            else:
                if runs and runs[-1][0] is None:
                    runs[-1][1].append(words[i])
                else:
                    runs.append((None, [words[i]]))
                i += 1
        return runs

    def write_manifest(self) -> Path:
        """The manifest for the clips held, keys sorted, so the same set always gives the same bytes."""
        lines = [
            f"language = {json.dumps(self.language)}",
            f"made_with = {json.dumps(self.made_with, ensure_ascii=False)}",
        ]
        if self.target_rms_dbfs is not None:
            lines.append(f"target_rms_dbfs = {self.target_rms_dbfs:.1f}")
        lines += ["", "[clips]"]
        for key in sorted(self.clips):
            lines.append(
                f"{json.dumps(key, ensure_ascii=False)} = {json.dumps(self.clips[key].name, ensure_ascii=False)}"
            )
        path = self.folder / MANIFEST
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        return path
