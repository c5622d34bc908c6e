"""The house WAV format and its plumbing, now shared with the kiosk's spoken guidance: see ``hardware.audio.wavio``.

Kept so that ``from firmware.voice import wavio`` goes on working for the board's code and its tests.
"""

from hardware.audio.wavio import (
    FORMAT,
    AudioFormat,
    chime,
    duration,
    duration_of,
    read_pcm,
    silence,
    tone,
    write_pcm,
)

__all__ = ["FORMAT", "AudioFormat", "chime", "duration", "duration_of", "read_pcm", "silence", "tone", "write_pcm"]
