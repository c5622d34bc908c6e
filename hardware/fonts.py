"""Where motcua finds a font with full Vietnamese coverage (DejaVu Sans, Debian's ``fonts-dejavu-core``,
installed on Raspberry Pi OS by default): the kiosk's ticket and screens, the counter and hall displays, the
server's PDF reports. One lookup, standard library only, so a display-only Pi does not import Pillow for it.
"""

from __future__ import annotations

from pathlib import Path

from queue_server.contract.errors import MotcuaError

FONT_DIRS = (
    Path("/usr/share/fonts/truetype/dejavu"),
    Path("/usr/share/fonts/dejavu"),
    Path("/usr/local/share/fonts/dejavu"),
)
REGULAR, BOLD = "DejaVuSans.ttf", "DejaVuSans-Bold.ttf"


class FontMissingError(MotcuaError, RuntimeError):
    """No font with Vietnamese coverage was found; the message says which package to install."""


def find_font(name: str, font_dir: Path | None = None) -> Path:
    """Path of a DejaVu font file, or a :class:`FontMissingError` that tells the installer what to do."""
    for directory in (font_dir,) if font_dir else FONT_DIRS:
        if (directory / name).is_file():
            return directory / name
    searched = str(font_dir) if font_dir else ", ".join(str(d) for d in FONT_DIRS)
    raise FontMissingError(
        f"Không tìm thấy phông chữ {name} / font {name} not found in {searched}: "
        "install the Debian package fonts-dejavu-core (apt-get install fonts-dejavu-core)"
    )
