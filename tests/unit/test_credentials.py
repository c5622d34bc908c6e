"""Password hashes must be byte-compatible with Mosquitto 2.0's ``mosquitto_passwd`` (``$7$`` PBKDF2-SHA512)."""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from queue_server.brokers.credentials import (
    DEFAULT_ITERATIONS,
    MAX_ITERATIONS,
    hash_password,
    is_password_hash,
    new_password,
    verify_password,
)

# Written by Debian's mosquitto_passwd 2.0.11: `mosquitto_passwd -c -b pw alice secret`
MOSQUITTO_VECTOR = (
    "$7$101$T+57AvIgBeh1Uuf9$w29rBTbXEV7dm2L+jQirmZMg/S1IDfsDdXBgeUdSftUD0wfg78i1YwnpebMbwjqrBI50e9pTFGfhOWcj4Sef/A=="
)
HASH_SHAPE = re.compile(r"^\$7\$101\$[A-Za-z0-9+/]{16}\$[A-Za-z0-9+/]{86}==\Z")
MOSQUITTO_PASSWD = shutil.which("mosquitto_passwd") or "/usr/bin/mosquitto_passwd"


def _salt(hashed: str) -> bytes:
    return base64.b64decode(hashed.split("$")[3])


def test_new_password_is_24_url_safe_chars_and_fresh() -> None:
    passwords = {new_password() for _ in range(200)}
    assert len(passwords) == 200
    for pw in passwords:
        assert re.fullmatch(r"[A-Za-z0-9_-]{24}", pw), pw


def test_hash_has_mosquitto_shape_and_a_fresh_salt() -> None:
    first, second = hash_password("secret"), hash_password("secret")
    assert HASH_SHAPE.match(first), first
    assert first != second  # random 12-byte salt each time
    assert verify_password("secret", first) and verify_password("secret", second)


def test_matches_a_known_mosquitto_passwd_hash() -> None:
    assert hash_password("secret", salt=_salt(MOSQUITTO_VECTOR)) == MOSQUITTO_VECTOR
    assert verify_password("secret", MOSQUITTO_VECTOR)
    assert not verify_password("Secret", MOSQUITTO_VECTOR)


@pytest.mark.mosquitto
@pytest.mark.parametrize("password", ["secret", "mật khẩu một cửa", new_password()])
def test_byte_for_byte_equal_to_mosquitto_passwd(tmp_path: Path, password: str) -> None:
    if not Path(MOSQUITTO_PASSWD).exists():
        pytest.skip("mosquitto_passwd not installed (Debian package mosquitto)")
    passwd = tmp_path / "passwd"
    subprocess.run([MOSQUITTO_PASSWD, "-c", "-b", str(passwd), "kiosk-01", password], check=True)
    user, theirs = passwd.read_text().strip().split(":", 1)
    assert user == "kiosk-01"
    assert hash_password(password, salt=_salt(theirs)) == theirs
    assert verify_password(password, theirs)


@settings(max_examples=50, deadline=None)
@given(password=st.text(min_size=0, max_size=64), other=st.text(max_size=64))
def test_round_trip(password: str, other: str) -> None:
    hashed = hash_password(password)
    assert verify_password(password, hashed)
    assert verify_password(password.encode("utf-8"), hashed)  # amqtt may hand over bytes
    assert verify_password(other, hashed) == (other == password)


@pytest.mark.parametrize(
    "hashed",
    [
        "",
        "secret",
        "$6$abc$def",  # Mosquitto's older SHA512 format: not ours
        MOSQUITTO_VECTOR.replace("$7$", "$8$"),
        MOSQUITTO_VECTOR.replace("$101$", "$$"),
        MOSQUITTO_VECTOR.replace("$101$", "$0$"),
        MOSQUITTO_VECTOR.replace("$101$", f"${MAX_ITERATIONS + 1}$"),
        MOSQUITTO_VECTOR.replace("$101$", "$１０１$"),  # full-width digits pass str.isdigit()
        MOSQUITTO_VECTOR.replace("T+57", "T*57"),  # not base64
        MOSQUITTO_VECTOR[:-4] + "==",  # digest too short
        MOSQUITTO_VECTOR + "$extra",
        "x" + MOSQUITTO_VECTOR,
    ],
)
def test_malformed_hashes_never_match(hashed: str) -> None:
    assert not is_password_hash(hashed)
    assert not verify_password("secret", hashed)


@given(st.text(max_size=200))
def test_verify_never_raises(hashed: str) -> None:
    assert verify_password("secret", hashed) is False


def test_hash_rejects_bad_parameters() -> None:
    with pytest.raises(ValueError):
        hash_password("x", iterations=0)
    with pytest.raises(ValueError):
        hash_password("x", iterations=MAX_ITERATIONS + 1)
    with pytest.raises(ValueError):
        hash_password("x", salt=b"")
    assert hash_password("x", iterations=DEFAULT_ITERATIONS + 1).startswith(f"$7${DEFAULT_ITERATIONS + 1}$")
