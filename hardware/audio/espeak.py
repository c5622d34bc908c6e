"""espeak-ng (Debian package ``espeak-ng``), run as a program: the voice of last resort, and the maker of the
clip set an office gets when nobody recorded one.

Its voices on Debian 12 (espeak-ng 1.51) that motcua uses: ``vi`` (Northern), ``vi-vn-x-central``,
``vi-vn-x-south``, ``en``. There is **no Khmer and no H'Mông voice**: a pack in those languages falls back to
Vietnamese, and says so (docs/voice.md). :func:`has_voice` asks the installed program, never a fixed list.
"""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

from queue_server.contract.errors import MotcuaError


class SpeechError(MotcuaError):
    """A sentence could not be rendered (no clip and no synthesiser for some words)."""


@dataclass(frozen=True)
class EspeakNg:
    """One espeak-ng voice at one speed; ``synthesize`` writes a 22050 Hz mono 16-bit WAV."""

    voice: str = "vi"
    words_per_minute: int = 150
    program: str = "espeak-ng"

    def available(self) -> bool:
        return shutil.which(self.program) is not None

    def synthesize(self, text: str, out_path: Path) -> None:
        command = [self.program, "-v", self.voice, "-s", str(self.words_per_minute), "-w", str(out_path), text]
        result = subprocess.run(command, capture_output=True, timeout=30, check=False)
        if result.returncode != 0:
            raise SpeechError(f"espeak-ng failed ({result.returncode}): {result.stderr.decode(errors='replace')}")

    def describe(self) -> str:
        """What made a clip, for a set's manifest: program version, voice, speed."""
        return f"{version(self.program)} -v {self.voice} -s {self.words_per_minute}"


@functools.cache
def version(program: str = "espeak-ng") -> str:
    if shutil.which(program) is None:
        return "espeak-ng (not installed)"
    result = subprocess.run([program, "--version"], capture_output=True, text=True, timeout=10, check=False)
    found = re.search(r"text-to-speech:\s*(\S+)", result.stdout)
    return f"espeak-ng {found.group(1)}" if found else "espeak-ng (unknown version)"


@functools.cache
def voices(program: str = "espeak-ng") -> frozenset[str]:
    """The voice names the installed espeak-ng offers (``espeak-ng --voices``); empty without the program."""
    if shutil.which(program) is None:
        return frozenset()
    result = subprocess.run([program, "--voices"], capture_output=True, text=True, timeout=10, check=False)
    names = set()
    for line in result.stdout.splitlines()[1:]:
        fields = line.split()
        if len(fields) >= 2:
            names.add(fields[1].lower())
    return frozenset(names)


def has_voice(code: str, program: str = "espeak-ng") -> bool:
    return code.lower() in voices(program)
