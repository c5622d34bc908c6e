"""Config sections the firmware devices share beyond the link (voice), read from their TOML files.

The link section itself (``LinkConfig``) is the contract's: ``queue_server.contract.link_config``.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any, Literal

from pydantic import Field

from queue_server.contract.link_config import StrictConfig

logger = logging.getLogger(__name__)


class VoiceConfig(StrictConfig):
    """The ``[voice]`` section: the call's clip set and its length (docs/voice.md, "Call length")."""

    enabled: bool = True
    clips_dir: Path | None = None
    """A clip set (recorded, or made by ``motcua voice clips build``); None: every call from espeak-ng."""
    build_clips: bool = True
    """With ``clips_dir`` set but empty or missing: make the set from espeak-ng at start (a few seconds)."""
    repeats: int = Field(default=2, ge=1, le=3)
    """How many times the sentence is said."""
    gap_seconds: float = Field(default=0.7, ge=0, le=3)
    """Silence between two repeats."""
    chime: bool = True
    """The ding-dong before a call."""
    backlog: Literal["shorten", "keep"] = "shorten"
    """When calls queue up: say each once, chime once per run, merge duplicates ("shorten"); or all in full."""
    player: Literal["aplay", "none"] = "aplay"
    speaker_lock: Path | None = None
    """A lock file shared with a kiosk on the same machine and speaker (docs/voice.md, "One speaker")."""

    def voice(self) -> Any:
        """The configured ``firmware.voice.speech.Voice`` (its clip set made first if asked and missing)."""
        from firmware.voice.speech import Voice

        clips = self.clips_dir
        if clips is not None and self.build_clips and not any(clips.glob("*.wav")):
            from firmware.voice.language import VIETNAMESE
            from hardware.audio.clip_build import build_clip_set
            from hardware.audio.espeak import SpeechError

            logger.info("no clip set in %s: making one from espeak-ng", clips)
            try:
                build_clip_set(clips, VIETNAMESE.needed_clips())
            except (SpeechError, OSError) as exc:
                logger.error("no clip set made in %s (%s): every call from espeak-ng", clips, exc)
                clips = None
        return Voice(clips, repeats=self.repeats, gap_seconds=self.gap_seconds, chime=self.chime)
