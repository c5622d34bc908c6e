"""Config sections the firmware devices share beyond the link (voice), read from their TOML files.

The link section itself (``LinkConfig``) is the contract's: ``queue_server.contract.link_config``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field

from queue_server.contract.link_config import StrictConfig


class VoiceConfig(StrictConfig):
    enabled: bool = True
    clips_dir: Path | None = None
    repeats: int = Field(default=2, ge=1)
    player: Literal["aplay", "none"] = "aplay"
