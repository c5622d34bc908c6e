"""The ``[link]`` section every motcua device shares: how it reaches the office broker, read from its TOML file.

Here, beside ``DeviceLink``, so that a device needs only the contract package to talk to the office. Unknown keys
are refused, as in the server's config: a typo must not silently fall back to a default.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, SecretStr, model_validator

if TYPE_CHECKING:
    from queue_server.contract.device_link import DeviceLink


class StrictConfig(BaseModel):
    """A device config section: unknown keys refused, values frozen once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LinkConfig(StrictConfig):
    office_id: str
    device_id: str
    password_file: Path | None = None
    """The password printed once by ``motcua device add``, kept in a root-only file."""
    password: SecretStr | None = None
    """Or the password itself, in this (root-only, mode 0600) file: what ``motcua device add --out`` writes."""
    host: str = "127.0.0.1"
    port: int = 1883
    ca_file: Path | None = None
    """The office CA (``motcua tls ca``, or ``<device>.ca.pem`` from ``motcua device add``): connect with TLS
    and verify the broker. Then ``port`` is the broker's TLS port (8883) and ``host`` a name in its certificate."""
    outbox: Path | None = None
    """Default: /var/lib/motcua/outbox-<device id>.db."""

    @model_validator(mode="after")
    def _one_password(self) -> LinkConfig:
        if (self.password is None) == (self.password_file is None):
            raise ValueError("give the device's password as password_file or password (one of them)")
        return self

    def read_password(self) -> str:
        if self.password is not None:
            return self.password.get_secret_value()
        assert self.password_file is not None  # _one_password
        return self.password_file.read_text(encoding="utf-8").strip()

    def open(self, **kwargs: Any) -> DeviceLink:
        """A ``DeviceLink`` for this device (not started); ``kwargs`` add callbacks and state topics.

        Imported here, not at the top: reading a device's config must not load paho (the kiosk's import test).
        """
        from queue_server.contract.device_link import DeviceLink

        return DeviceLink(
            office_id=self.office_id,
            device_id=self.device_id,
            password=self.read_password(),
            host=self.host,
            port=self.port,
            ca_file=self.ca_file,
            outbox_path=self.outbox or Path(f"/var/lib/motcua/outbox-{self.device_id}.db"),
            **kwargs,
        )
