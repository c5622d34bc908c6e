"""The office server's configuration: one typed schema, a shipped defaults file, an override file.

Unknown keys are rejected with a "did you mean", secrets are masked when shown (``motcua config show``).
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from queue_server.analytics.targets import DEFAULT_TARGETS, Kind, Targets, make_target, slots, with_slots
from queue_server.contract.errors import MotcuaError
from queue_server.engine.setup import (
    DEFAULT_PRIORITY_CATEGORIES,
    AreaClass,
    Counter,
    OfficeLevel,
    OfficeSetup,
    PriorityPolicy,
    RatingLevel,
    Service,
    Staff,
    setup_problems,
)
from queue_server.forecasting import ForecastPolicy
from queue_server.hours_config import HoursSection
from queue_server.remote.policy import RemotePolicy
from queue_server.web_protection import WebProtection

DEFAULTS_FILE = Path(__file__).with_name("defaults.toml")
SYSTEM_FILE = Path("/etc/motcua/motcua.toml")
ID = r"^[a-z0-9][a-z0-9-]{0,39}$"


class ConfigError(MotcuaError):
    """The configuration is unreadable or invalid; the message says where and why."""


class Strict(BaseModel):
    """A settings section: unknown keys are errors (typos do not pass silently), values are read-only."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class EnvOverFileSettings(BaseSettings):
    """Settings from keyword arguments (the parsed files), overridden by environment variables (for secrets);
    no ``.env`` or secrets-directory sources. Subclasses set ``model_config`` (their env prefix)."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (env_settings, init_settings)


class OfficeSection(Strict):
    id: str = Field(pattern=ID)
    name: str
    level: OfficeLevel = OfficeLevel.COMMUNE_CENTRE
    area_class: AreaClass = AreaClass.URBAN
    utc_offset_minutes: int = 420


class QueueSection(Strict):
    priority_policy: PriorityPolicy = PriorityPolicy.INTERLEAVE
    interleave_every: int = Field(default=2, ge=1)
    priority_categories: list[str] = list(DEFAULT_PRIORITY_CATEGORIES)
    no_show_grace_seconds: int = Field(default=900, ge=0)
    rating_window_seconds: int = Field(default=120, ge=0)
    number_width: int = Field(default=3, ge=1, le=6)


class ServiceEntry(Strict):
    id: str = Field(pattern=ID)
    prefix: str = Field(pattern=r"^[A-Z]{1,2}$")
    name_vi: str
    name_en: str = ""


class CounterEntry(Strict):
    id: str = Field(pattern=ID)
    number: int = Field(ge=1)
    services: list[str]
    name: str = ""


class StaffEntry(Strict):
    id: str = Field(pattern=ID)
    name: str


class RatingEntry(Strict):
    code: str = Field(pattern=r"^[a-z_]{1,32}$")
    label_vi: str
    label_en: str
    satisfied: bool


class TargetEntry(Strict):
    """One target: its value (wait in minutes, satisfaction a share in (0, 1], productivity dossiers per staff
    member a year), the year it applies from and the document it comes from."""

    value: float = Field(gt=0)
    year: int = Field(ge=2000, le=2100)
    source: str = Field(min_length=1, max_length=1000)


class ShareTargetEntry(TargetEntry):
    value: float = Field(gt=0, le=1)


def _default(slot: str) -> Any:
    target = slots(DEFAULT_TARGETS)[slot]
    value = target.value / 60 if target.kind is Kind.WAIT else target.value
    entry = ShareTargetEntry if target.kind is Kind.SATISFACTION else TargetEntry
    return Field(default_factory=lambda: entry(value=value, year=target.year, source=target.source))


class TargetsSection(Strict):
    """The national targets this office is measured against (docs/statistics.md "Targets"); what an
    administrator saves in the admin pages (``office_settings``) wins over these."""

    wait_interim: TargetEntry = _default("wait_interim")
    wait_final: TargetEntry = _default("wait_final")
    satisfaction_interim: ShareTargetEntry = _default("satisfaction_interim")
    satisfaction_final: ShareTargetEntry = _default("satisfaction_final")
    productivity_urban: TargetEntry = _default("productivity_urban")
    productivity_rural: TargetEntry = _default("productivity_rural")
    productivity_remote: TargetEntry = _default("productivity_remote")

    def build(self) -> Targets:
        changes = {}
        for slot in type(self).model_fields:
            entry: TargetEntry = getattr(self, slot)
            value = entry.value * 60 if slot.startswith("wait") else entry.value
            changes[slot] = make_target(slot, value, entry.year, entry.source)
        return with_slots(DEFAULT_TARGETS, changes)


class BrokerSection(Strict):
    kind: Literal["embedded", "mosquitto"] = "embedded"
    host: str = "127.0.0.1"
    port: int = Field(default=18830, ge=1, le=65535)
    server_password: SecretStr | None = None
    """Generated into data_dir on first start when not given."""
    mosquitto_dir: Path | None = None
    """Where motcua writes Mosquitto's password and ACL files (kind = "mosquitto")."""
    mosquitto_pid_file: Path | None = None
    """Mosquitto's pid, for the SIGHUP of ``device add/revoke``; also written into a standalone config."""
    mosquitto_include: bool = False
    """The generated mosquitto.conf is a ``conf.d`` include of Debian's main file: no persistence/log/pid lines."""
    replayer_password: SecretStr | None = None
    monitor_password: SecretStr | None = None
    """Enables the read-only ``motcua-monitor`` account (the office's whole tree), e.g. for mosquitto_sub."""
    """The event replayer's account (``motcua-replayer``); generated into data_dir on first start when not given."""
    tls: bool = False
    """Also listen with MQTT over TLS (the office CA's certificate, devices verify it): for devices on the LAN."""
    tls_host: str = "0.0.0.0"
    tls_port: int = Field(default=8883, ge=0, le=65535)
    """0 picks a free port (tests)."""
    cert_hosts: list[str] = []
    """Host names and addresses the devices use to reach the broker, put in its certificate (plus this
    machine's name and loopback)."""
    allow_plain_lan: bool = False
    """Allow the plain listener (``host``) on an address other than loopback: passwords then cross the LAN in
    clear. Off by default: devices on the LAN use the TLS listener."""

    @model_validator(mode="after")
    def _plain_only_on_loopback(self) -> BrokerSection:
        if not self.allow_plain_lan and not is_loopback(self.host):
            raise ValueError(
                f"the plain MQTT listener on {self.host!r} would send every password in clear over the LAN: "
                "keep host = 127.0.0.1 and set tls = true for the devices, or set allow_plain_lan = true"
            )
        return self


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and ``localhost``: addresses no other machine can reach."""
    import ipaddress

    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class StoreSection(Strict):
    url: SecretStr = SecretStr("sqlite:///var/motcua/office.db")
    """A database URL may hold a password: it is masked like one."""
    min_free_mb: int = Field(default=200, ge=0)
    """Under this much free space on the SQLite database's folder new tickets are refused (``store_unavailable``),
    before SQLite itself runs out of room; 0 turns the floor off. Not checked for PostgreSQL."""
    wal_checkpoint_minutes: int = Field(default=5, ge=1)
    """How often SQLite's WAL is checkpointed and truncated (in a quiet moment between batches)."""


class ServerSection(Strict):
    data_dir: Path = Path("var/motcua")
    max_payload_bytes: int = Field(default=4096, ge=256)
    max_batch: int = Field(default=256, ge=1)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"


class RateEntry(Strict):
    per_minute: float = Field(gt=0)
    """Requests a minute on average; the ceiling a device of this kind may keep up."""
    burst: int = Field(ge=1)
    """Requests at once (a queue of citizens at a kiosk after a quiet spell, a counter's quick presses)."""


class LimitsSection(Strict):
    """Per-device request budgets (``queue_server.admission_limits``); over them a request is ``rate_limited``."""

    kiosk: RateEntry = RateEntry(per_minute=6, burst=5)
    counter: RateEntry = RateEntry(per_minute=60, burst=20)
    console: RateEntry = RateEntry(per_minute=600, burst=100)
    other: RateEntry = RateEntry(per_minute=6, burst=3)
    """Displays and other kinds (they send no requests), and ids the registry does not know."""
    refusals_per_minute: float = Field(default=30, gt=0)
    """``rate_limited`` replies a device gets a minute; past that its over-rate requests are dropped unanswered."""
    max_devices: int = Field(default=10_000, ge=10)
    """Devices whose budgets are kept at once (the least recently seen is forgotten first)."""


class ClockSection(Strict):
    """When the server's clock is trusted to issue numbers and start a day (``queue_server/trusted_clock.py``)."""

    require_sync: Literal["auto", "always", "never"] = "auto"
    """Wait for NTP before the first ticket: ``auto`` on a machine that runs timesyncd, chrony or ntpd."""
    synced_file: Path = Path("/run/systemd/timesync/synchronized")
    """systemd-timesyncd's flag; where its folder is missing the kernel (adjtimex) is asked."""
    jump_alarm_minutes: float = Field(default=5, gt=0)
    """A step of the clock larger than this is logged, alarmed on /live, and never starts a day by itself."""


class ForecastSection(Strict):
    """The wait forecast's server-side settings (``queue_server.forecasting``)."""

    cutoff: bool = False
    """Capacity cut-off: refuse a ticket predicted to be called after closing (the office's ``[hours]``) unless
    the kiosk accepts it."""

    def policy(self) -> ForecastPolicy:
        return ForecastPolicy(cutoff=self.cutoff)


class PlannerSection(Strict):
    """The staffing planner (``motcua plan``, the /plan page) and /live's predicted service-level alert."""

    p90_wait_minutes: float = Field(default=30, gt=0)
    """Besides the mean wait target (the office's targets), the 90th percentile of waits must stay within this."""
    max_counters: int = Field(default=10, ge=1, le=50)
    days_per_candidate: int = Field(default=0, ge=0, le=50)
    """Seeded days simulated for each staffing the planner tries; 0: as many as make ~2,500 visits."""
    profile: Path | None = None
    """A day profile (docs/simulate.md) for the /plan page and /live's alert; none: learned from the log's last
    ``learn_days`` days with visits."""
    learn_days: int = Field(default=20, ge=1, le=365)


class WebSection(WebProtection):
    enabled: bool = True
    host: str = "127.0.0.1"
    """Where the web pages listen; an office whose staff PCs reach the server over the LAN sets its address."""
    port: int = Field(default=8080, ge=0, le=65535)
    """0 picks a free port (tests)."""
    secret_key: SecretStr | None = None
    """Signs session cookies; generated into data_dir (``web.secret``) on first start when not given."""
    session_minutes: int = Field(default=30, ge=1, le=24 * 60)
    wait_alert_minutes: int = Field(default=15, ge=1)
    """The live page warns when somebody has waited longer than this."""
    threads: int = Field(default=8, ge=2, le=64)
    max_streams: int = Field(default=4, ge=1)
    """Live pages held open at once (server-sent events); must leave threads for ordinary requests."""
    ticket_page_per_minute: int = Field(default=30, ge=1)

    @model_validator(mode="after")
    def _streams_leave_threads(self) -> WebSection:
        if self.max_streams >= self.threads:
            raise ValueError(f"max_streams ({self.max_streams}) must be below threads ({self.threads})")
        return self


class Settings(EnvOverFileSettings):
    """Files give the values; ``MOTCUA_<SECTION>__<KEY>`` environment variables override them (for secrets)."""

    model_config = SettingsConfigDict(extra="forbid", frozen=True, env_prefix="MOTCUA_", env_nested_delimiter="__")

    office: OfficeSection
    queue: QueueSection = QueueSection()
    hours: HoursSection = HoursSection()
    services: list[ServiceEntry]
    counters: list[CounterEntry]
    staff: list[StaffEntry] = []
    rating_scale: list[RatingEntry] = []
    broker: BrokerSection = BrokerSection()
    store: StoreSection = StoreSection()
    server: ServerSection = ServerSection()
    web: WebSection = WebSection()
    limits: LimitsSection = LimitsSection()
    clock: ClockSection = ClockSection()
    targets: TargetsSection = TargetsSection()
    forecast: ForecastSection = ForecastSection()
    planner: PlannerSection = PlannerSection()
    remote: RemotePolicy = RemotePolicy()
    """Remote numbers from the public web (``queue_server.remote``, docs/remote.md); off unless enabled."""

    @model_validator(mode="after")
    def _engine_accepts_setup(self) -> Settings:
        """The engine's own rules (``setup_problems``), so a setup it would refuse never gets past start-up."""
        problems = setup_problems(self.office_setup())
        if problems:
            raise ValueError("\n".join(f"{field}: {text}" for field, text in problems))
        return self

    def office_targets(self) -> Targets:
        """The targets of the config files (the admin pages' saved targets override them: ``effective_targets``)."""
        return self.targets.build()

    def office_setup(self) -> OfficeSetup:
        """The engine's view of this office (recorded as an event whenever it changes)."""
        return office_setup_of(
            self.office, self.queue, self.hours, self.services, self.counters, self.staff, self.rating_scale
        )


def load_settings(path: Path | None = None) -> Settings:
    """Defaults, overlaid by ``path`` (or /etc/motcua/motcua.toml when it exists); tables merge, lists replace."""
    data = read_toml(DEFAULTS_FILE)
    override = path if path is not None else (SYSTEM_FILE if SYSTEM_FILE.exists() else None)
    if override is not None:
        data = _merge(data, read_toml(override))
    try:
        return Settings(**data)
    except ValidationError as exc:
        raise ConfigError(_explain(exc, override or DEFAULTS_FILE)) from None


def read_toml(path: Path) -> dict[str, Any]:
    """The file's tables; ``ConfigError`` naming the file when it is missing or not TOML."""
    try:
        with path.open("rb") as fp:
            return tomllib.load(fp)
    except FileNotFoundError:
        raise ConfigError(f"{path}: no such config file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _merge(merged[key], value)
        else:
            merged[key] = value
    return merged


def _explain(exc: ValidationError, source: Path) -> str:
    lines = [f"{source}: invalid configuration"]
    for error in exc.errors():
        where = ".".join(str(p) for p in error["loc"])
        message = error["msg"]
        if error["type"] == "value_error" and not where:
            lines.extend(f"  {line}" for line in str(error["ctx"]["error"]).splitlines())
            continue
        if error["type"] == "extra_forbidden":
            key = str(error["loc"][-1])
            known = _known_keys(error["loc"][:-1])
            close = difflib.get_close_matches(key, known, n=1)
            message = f"unknown key '{key}'" + (f" (did you mean '{close[0]}'?)" if close else "")
        lines.append(f"  {where}: {message}")
    return "\n".join(lines)


def _known_keys(loc: tuple[int | str, ...]) -> list[str]:
    model: Any = Settings
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        annotation = field.annotation
        args = getattr(annotation, "__args__", None)
        model = args[0] if args and isinstance(args[0], type) else annotation
    return list(getattr(model, "model_fields", {}))


def show(settings: Settings) -> str:
    """The effective configuration as TOML-like text, secrets as ********."""
    data = settings.model_dump(mode="json")
    data["store"]["url"] = "********"
    if settings.broker.server_password is not None:
        data["broker"]["server_password"] = "********"
    if settings.web.secret_key is not None:
        data["web"]["secret_key"] = "********"
    out: list[str] = []
    for section, value in data.items():
        if isinstance(value, list):
            for item in value:
                out.append(f"\n[[{section}]]")
                out.extend(f"{k} = {_toml(v)}" for k, v in item.items())
        elif section == "targets":
            for slot, entry in value.items():
                out.append(f"\n[targets.{slot}]")
                out.extend(f"{k} = {_toml(v)}" for k, v in entry.items())
        else:
            out.append(f"\n[{section}]")
            out.extend(f"{k} = {_toml(v)}" for k, v in value.items() if v is not None)
    return "\n".join(out).lstrip() + "\n"


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def office_setup_of(
    office: OfficeSection,
    queue: QueueSection,
    hours: HoursSection,
    services: Sequence[ServiceEntry],
    counters: Sequence[CounterEntry],
    staff: Sequence[StaffEntry],
    rating_scale: Sequence[RatingEntry] = (),
) -> OfficeSetup:
    """The engine's setup from the config file's sections: ``motcua.toml`` and a simulator's day profile, which
    takes the same sections, build it the same way."""
    scale = tuple(RatingLevel(r.code, r.label_vi, r.label_en, r.satisfied) for r in rating_scale)
    extra: dict[str, Any] = {"rating_scale": scale} if scale else {}
    return OfficeSetup(
        office_id=office.id,
        name=office.name,
        level=office.level,
        area_class=office.area_class,
        services=tuple(Service(s.id, s.prefix, s.name_vi, s.name_en) for s in services),
        counters=tuple(Counter(c.id, c.number, tuple(c.services), c.name) for c in counters),
        staff=tuple(Staff(s.id, s.name) for s in staff),
        priority_policy=queue.priority_policy,
        interleave_every=queue.interleave_every,
        priority_categories=tuple(queue.priority_categories),
        no_show_grace_seconds=queue.no_show_grace_seconds,
        rating_window_seconds=queue.rating_window_seconds,
        utc_offset_minutes=office.utc_offset_minutes,
        number_width=queue.number_width,
        hours=hours.build(),
        **extra,
    )
