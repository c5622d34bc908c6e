"""Secrets generated on first use into files (the web's cookie key, the server's broker password).

Why so careful with one small file: the web signs every session cookie with it, so an empty or truncated file (a
crash or a full disk during the first write, an operator's ``> web.secret``) used to make every page answer 500 with
nothing said at start. The file is therefore written whole or not at all (a temporary file, fsync, then a hard
link that fails if another process got there first, so two processes never end with two different keys), mode
0600, and a file that is empty or too short is refused at start with its path in the message.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import stat
from pathlib import Path

from queue_server.config import ConfigError

logger = logging.getLogger(__name__)
MIN_SECRET_LENGTH = 32
"""Characters; ``secrets.token_urlsafe(24)`` (what is generated) gives exactly 32, i.e. 192 random bits."""


def check_secret(value: str, where: str) -> str:
    """``value`` if it is long enough to be a key; ``ConfigError`` naming ``where`` otherwise."""
    if not value:
        raise ConfigError(f"{where} is empty: delete it (a new secret is generated at the next start) or fill it")
    if len(value) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"{where} is too short ({len(value)} characters, at least {MIN_SECRET_LENGTH}): delete it (a new secret "
            "is generated at the next start) or put a longer random value in it"
        )
    return value


def secret_file(path: Path) -> str:
    """The secret kept in ``path``, generated on first use (mode 0600); refused clearly when empty or too short."""
    if not path.exists():
        _create(path, secrets.token_urlsafe(24))
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        logger.warning("secret file %s was readable by others (mode %o): now 0600", path, mode)
        os.chmod(path, 0o600)
    return check_secret(path.read_text().strip(), f"secret file {path}")


def _create(path: Path, value: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w") as fp:
            fp.write(value)
            fp.flush()
            os.fsync(fp.fileno())
        with contextlib.suppress(FileExistsError):  # another process wrote it first: theirs is kept
            os.link(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    dir_fd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)  # the new name survives a power cut too
    finally:
        os.close(dir_fd)
