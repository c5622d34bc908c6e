"""Configuration: defaults load, overrides merge, unknown keys are refused with a hint, secrets are masked."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from queue_server.config import ConfigError, load_settings, show
from queue_server.engine.hours import DEFAULT_HOURS, format_day, sessions_on


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "motcua.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_defaults_describe_a_valid_office() -> None:
    settings = load_settings()
    setup = settings.office_setup()
    assert setup.name == "Trung tâm Phục vụ hành chính công xã Tuần Giáo"
    assert [s.prefix for s in setup.services] == ["A", "B", "C", "D"]
    assert setup.rating_scale[0].label_vi == "Rất hài lòng"


def test_override_merges_tables_and_replaces_lists(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        '[office]\nname = "UBND xã Thử"\n[[services]]\nid = "x"\nprefix = "X"\nname_vi = "Thử"\n'
        '[[counters]]\nid = "q1"\nnumber = 1\nservices = ["x"]\n',
    )
    settings = load_settings(path)
    assert settings.office.id == "tuan-giao" and settings.office.name == "UBND xã Thử"
    assert [s.id for s in settings.services] == ["x"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[office]\nnmae = "x"\n', "unknown key 'nmae' (did you mean 'name'?)"),
        ("[brokr]\nport = 1\n", "unknown key 'brokr' (did you mean 'broker'?)"),
        ('[broker]\nport = "many"\n', "broker.port"),
        ("[queue]\ninterleave_every = 0\n", "queue.interleave_every"),
        ('[office]\nid = "Bad Id"\n', "office.id"),
        ("[office\n", "not valid TOML"),
    ],
)
def test_bad_config_is_refused_with_the_place_and_reason(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text))
    assert expected in str(info.value)


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_settings(tmp_path / "absent.toml")


def test_show_masks_secrets(tmp_path: Path) -> None:
    secret_url = "postgresql+psycopg://motcua:s3cr3t-db@db/motcua"
    path = write(tmp_path, f'[broker]\nserver_password = "hunter2-pw"\n[store]\nurl = "{secret_url}"\n')
    text = show(load_settings(path))
    assert "hunter2-pw" not in text and "s3cr3t-db" not in text
    assert 'server_password = "********"' in text and 'url = "********"' in text
    assert 'name = "Trung tâm Phục vụ hành chính công xã Tuần Giáo"' in text


def test_environment_overrides_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MOTCUA_BROKER__PORT", "1999")
    assert load_settings().broker.port == 1999


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            '[[services]]\nid = "a"\nprefix = "A"\nname_vi = "Một"\n'
            '[[services]]\nid = "b"\nprefix = "A"\nname_vi = "Hai"\n'
            '[[counters]]\nid = "q1"\nnumber = 1\nservices = ["a", "b"]\n',
            "services.prefix: duplicate service prefix A",
        ),
        ("[office]\nutc_offset_minutes = 2000\n", "office.utc_offset_minutes: utc_offset_minutes outside"),
        ('[[counters]]\nid = "q1"\nnumber = 1\nservices = ["nope"]\n', "counters.services: counter q1 serves unknown"),
    ],
)
def test_a_setup_the_engine_would_refuse_is_refused_at_load_naming_the_field(
    tmp_path: Path, text: str, expected: str
) -> None:
    """The engine's own rules (``engine.setup.setup_problems``) run on the file, so it never starts refused."""
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text))
    assert expected in str(info.value)


def test_hours_come_from_the_config_and_default_to_the_usual_day(tmp_path: Path) -> None:
    assert load_settings().office_setup().hours == DEFAULT_HOURS
    path = write(tmp_path, '[hours]\nsaturday = ["07:30-11:30"]\nholidays = [2026-09-02]\n')
    hours = load_settings(path).office_setup().hours
    assert format_day(hours, date(2026, 12, 5)) == "07:30–11:30"
    assert format_day(hours, date(2026, 12, 7)) == "07:30–11:30, 13:30–17:00"
    assert sessions_on(hours, date(2026, 9, 2)) == ()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('[hours]\nmonday = ["25:00-26:00"]\n', "hours.monday.0"),
        ('[hours]\nmonday = ["7h30-11h30"]\n', "hours.monday.0"),
        ('[hours]\nmondya = ["07:30-11:30"]\n', "unknown key 'mondya' (did you mean 'monday'?)"),
        ('[hours]\nmonday = ["11:30-07:30"]\n', "hours.sessions: session 11:30–07:30 ends before it starts"),
        ('[hours]\ntuesday = ["07:30-12:00", "11:00-17:00"]\n', "Thứ Ba: sessions 07:30–12:00 and 11:00–17:00 overlap"),
        ('[hours]\nholidays = ["2026-13-01"]\n', "hours.holidays.0"),
    ],
)
def test_bad_hours_are_refused_at_load(tmp_path: Path, text: str, expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text))
    assert expected in str(info.value)
