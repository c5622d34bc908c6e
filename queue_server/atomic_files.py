"""Files replaced atomically and created with their final mode: keys, password files, broker configs.

A reader (Mosquitto reloading on SIGHUP, the server starting) never sees half a file, and a secret is never
readable by others, not even for the moment between writing and chmod.
"""

from __future__ import annotations

import os
from pathlib import Path


def write_atomic(path: Path, data: bytes | str, *, mode: int, gid: int | None = None) -> None:
    """Write ``data`` into ``path`` through a temporary file in the same folder (fsync, then rename).

    ``gid``: the file's group, set before it is readable by the group and before it is in place."""
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode & 0o600)
    try:
        if gid is not None:
            os.chown(tmp, -1, gid)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data.encode("utf-8") if isinstance(data, str) else data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
