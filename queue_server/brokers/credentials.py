"""Device passwords and their hashes, in the exact format Mosquitto 2.0's ``password_file`` reads.

One hash format serves both brokers: ``motcua device add`` stores a hash once, Mosquitto reads it from the
``passwd`` file we write, and the embedded broker checks it with :func:`verify_password`. The format is the
one ``mosquitto_passwd`` writes::

    $7$<iterations>$<base64 salt>$<base64 PBKDF2-HMAC-SHA512(password, salt, iterations)>

Standard library only, so a kiosk image or the CLI need nothing extra to provision a device.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import logging
import secrets

logger = logging.getLogger(__name__)

HASH_ID = "7"
"""Mosquitto's identifier for PBKDF2-SHA512 (``$6$`` is its older single-round SHA512)."""
DEFAULT_ITERATIONS = 101
"""``mosquitto_passwd``'s own default. Key stretching protects weak human passwords; ours are 144-bit random
secrets from :func:`new_password`, so more rounds would only cost CPU on every (re)connect storm."""
MAX_ITERATIONS = 1_000_000
"""A malformed or hostile hash must not be able to pin the broker's CPU on one CONNECT."""
SALT_BYTES = 12
"""Salt length ``mosquitto_passwd`` uses."""
_DIGEST = "sha512"


def new_password() -> str:
    """A fresh random device password: 24 URL-safe characters (18 random bytes, 144 bits).

    URL-safe so it survives config files, QR codes and the kiosk's setup screen without escaping.
    """
    return secrets.token_urlsafe(18)


def hash_password(password: str, *, salt: bytes | None = None, iterations: int = DEFAULT_ITERATIONS) -> str:
    """Hash ``password`` as Mosquitto 2.0's ``mosquitto_passwd`` does (``$7$`` PBKDF2-SHA512).

    ``salt`` is for tests that compare byte-for-byte with ``mosquitto_passwd`` output; leave it None.
    """
    if not 1 <= iterations <= MAX_ITERATIONS:
        raise ValueError(f"iterations must be in 1..{MAX_ITERATIONS}, got {iterations}")
    if salt is None:
        salt = secrets.token_bytes(SALT_BYTES)
    if not salt:
        raise ValueError("salt must not be empty")
    digest = hashlib.pbkdf2_hmac(_DIGEST, password.encode("utf-8"), salt, iterations)
    return f"${HASH_ID}${iterations}${_b64(salt)}${_b64(digest)}"


def verify_password(password: str | bytes, hashed: str) -> bool:
    """True if ``password`` matches a ``$7$`` hash. Malformed hashes never match (and never raise).

    The comparison is constant-time so response timing leaks nothing about the stored hash.
    """
    parsed = _parse(hashed)
    if parsed is None:
        return False
    iterations, salt, expected = parsed
    raw = password if isinstance(password, bytes) else password.encode("utf-8")
    actual = hashlib.pbkdf2_hmac(_DIGEST, raw, salt, iterations)
    return hmac.compare_digest(actual, expected)


def is_password_hash(value: str) -> bool:
    """True if ``value`` looks like a hash :func:`verify_password` (and Mosquitto) can use."""
    return _parse(value) is not None


def _parse(hashed: str) -> tuple[int, bytes, bytes] | None:
    parts = hashed.split("$")
    # "$7$101$salt$hash".split("$") == ["", "7", "101", "salt", "hash"]
    if len(parts) != 5 or parts[0] or parts[1] != HASH_ID or not (parts[2].isascii() and parts[2].isdigit()):
        return None
    iterations = int(parts[2])
    if not 1 <= iterations <= MAX_ITERATIONS:
        logger.warning("refusing a password hash with %d iterations", iterations)
        return None
    try:
        salt = base64.b64decode(parts[3], validate=True)
        digest = base64.b64decode(parts[4], validate=True)
    except (binascii.Error, ValueError):
        return None
    if not salt or len(digest) != hashlib.new(_DIGEST).digest_size:
        return None
    return iterations, salt, digest


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")
