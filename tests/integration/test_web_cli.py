"""``motcua web create-admin`` and ``motcua web add-user`` on a temporary office."""

from __future__ import annotations

import getpass
import io
from pathlib import Path

import pytest

from queue_server.app import open_store
from queue_server.cli import main
from queue_server.config import ConfigError, load_settings, show
from queue_server.store.web_users import Role, User, authenticate

PASSWORD = "correct horse battery"


@pytest.fixture
def config(tmp_path: Path) -> Path:
    path = tmp_path / "motcua.toml"
    path.write_text(f'[store]\nurl = "sqlite:///{tmp_path}/office.db"\n[server]\ndata_dir = "{tmp_path}/data"\n')
    return path


def sign_in(config: Path, username: str, password: str = PASSWORD) -> User | None:
    store = open_store(load_settings(config))
    try:
        return authenticate(store.engine, username, password)
    finally:
        store.close()


def test_create_admin_with_the_password_typed_twice(config: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    typed = iter([PASSWORD, PASSWORD])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(typed))
    assert main(["--config", str(config), "web", "create-admin", "root"]) == 0
    user = sign_in(config, "root")
    assert user is not None and user.role is Role.ADMIN


def test_create_admin_refuses_two_different_passwords(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    typed = iter([PASSWORD, PASSWORD + "!"])
    monkeypatch.setattr(getpass, "getpass", lambda prompt="": next(typed))
    assert main(["--config", str(config), "web", "create-admin", "root"]) == 2
    assert "the passwords differ" in capsys.readouterr().err
    assert sign_in(config, "root") is None


def test_add_user_staff_from_stdin_and_clear_errors(
    config: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    args = ["--config", str(config), "web", "add-user", "lan", "--role", "staff", "--counter", "quay-1"]
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main([*args, "--staff", "nv-lan", "--password-stdin"]) == 0
    user = sign_in(config, "lan")
    assert user is not None
    assert (user.role, user.office_id, user.counter_id, user.staff_id) == (
        Role.STAFF,
        "tuan-giao",
        "quay-1",
        "nv-lan",
    )
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main([*args, "--password-stdin"]) == 2
    assert "user 'lan' exists" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert main(["--config", str(config), "web", "add-user", "boss", "--role", "manager", "--password-stdin"]) == 2
    assert "at least 10 characters" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    assert main(["--config", str(config), "web", "add-user", "x", "--role", "staff", "--password-stdin"]) == 2
    assert "a staff user needs a counter" in capsys.readouterr().err


def test_web_section_rejects_unknown_keys_and_streams_that_would_take_every_thread(tmp_path: Path) -> None:
    path = tmp_path / "web.toml"
    path.write_text("[web]\nthreads = 4\nmax_streams = 4\n")
    with pytest.raises(ConfigError, match="max_streams"):
        load_settings(path)
    path.write_text("[web]\nsecret = 'x'\n")
    with pytest.raises(ConfigError, match="did you mean 'secret_key'"):
        load_settings(path)
    path.write_text("[web]\nsecret_key = 'do-not-show-me'\nport = 8081\n")
    shown = show(load_settings(path))
    assert "do-not-show-me" not in shown and 'secret_key = "********"' in shown and "port = 8081" in shown
