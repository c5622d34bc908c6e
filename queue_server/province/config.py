"""The province server's settings: one TOML file (``motcua province --settings FILE``); secrets also from env.

Example (the password may instead come from ``MOTCUA_PROVINCE_BROKER__PASSWORD``)::

    offices = ["tuan-giao", "muong-ang"]

    [broker]
    host = "127.0.0.1"
    port = 18840
    password = "…"      # the ingest's account, motcua-province, on the province broker

    [store]
    url = "postgresql+psycopg://motcua@localhost/province"

    [web]               # the province dashboard (docs/province.md); all optional
    host = "0.0.0.0"
    port = 8090
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import SettingsConfigDict

from queue_server.config import ID, ConfigError, EnvOverFileSettings, Strict, read_toml
from queue_server.web_protection import WebProtection


class ProvinceBrokerSection(Strict):
    host: str = "127.0.0.1"
    port: int = Field(default=18840, ge=1, le=65535)
    password: SecretStr
    client_id: str = "motcua-province-ingest"
    """Only a hint: motcua's province broker uses the username (``motcua-province``) as the client id."""


class ProvinceStoreSection(Strict):
    url: SecretStr = SecretStr("sqlite:///var/motcua/province.db")


class IngestSection(Strict):
    resend_timeout_seconds: float = Field(default=10.0, gt=0)
    heartbeat_seconds: float = Field(default=300.0, gt=0)
    max_batch: int = Field(default=500, ge=1)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class ProvinceWebSection(WebProtection):
    """The province dashboard, served by ``motcua province`` beside the ingest."""

    enabled: bool = True
    host: str = "127.0.0.1"
    port: int = Field(default=8090, ge=0, le=65535)
    """0 picks a free port (tests)."""
    secret_key: SecretStr | None = None
    """Signs session cookies; generated into ``data_dir`` (``province-web.secret``, mode 0600) when not given."""
    session_minutes: int = Field(default=30, ge=1, le=24 * 60)
    threads: int = Field(default=4, ge=2, le=64)


class ProvinceSettings(EnvOverFileSettings):
    model_config = SettingsConfigDict(
        extra="forbid", frozen=True, env_prefix="MOTCUA_PROVINCE_", env_nested_delimiter="__"
    )

    offices: list[str] = Field(min_length=1)
    broker: ProvinceBrokerSection
    store: ProvinceStoreSection = ProvinceStoreSection()
    ingest: IngestSection = IngestSection()
    web: ProvinceWebSection = ProvinceWebSection()
    data_dir: Path = Path("var/motcua")
    """Where generated secrets are kept (the web's session key)."""


def load_province_settings(path: Path) -> ProvinceSettings:
    data = read_toml(path)
    try:
        settings = ProvinceSettings(**data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
        raise ConfigError(f"{path}: invalid province configuration: {problems}") from None
    bad = [o for o in settings.offices if not re.fullmatch(ID, o) or o == "motcua-province"]
    if bad:
        raise ConfigError(f"{path}: invalid office ids {bad}")
    return settings
