"""The ``[link]`` section every motcua device shares: how it reaches the office broker, read from its TOML file.

Here, beside ``DeviceLink``, so that a device needs only the contract package to talk to the office. Unknown keys
are refused, as in the server's config: a typo must not silently fall back to a default.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict

if TYPE_CHECKING:
    from queue_server.contract.device_link import DeviceLink


class StrictConfig(BaseModel):
    """A device config section: unknown keys refused, values frozen once read."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class LinkConfig(StrictConfig):
    office_id: str
    device_id: str
    password_file: Path
    """The password printed once by ``motcua device add``, kept in a root-only file."""
    host: str = "127.0.0.1"
    port: int = 1883
    ca_file: Path | None = None
    """The office CA (``motcua tls ca``, or ``<device>.ca.pem`` from ``motcua device add``): connect with TLS
    and verify the broker. Then ``port`` is the broker's TLS port (8883) and ``host`` a name in its certificate."""
    outbox: Path | None = None
    """Default: /var/lib/motcua/outbox-<device id>.db."""

    def open(self, **kwargs: Any) -> DeviceLink:
        """A ``DeviceLink`` for this device (not started); ``kwargs`` add callbacks and state topics.

        Imported here, not at the top: reading a device's config must not load paho (the kiosk's import test).
        """
        from queue_server.contract.device_link import DeviceLink

        return DeviceLink(
            office_id=self.office_id,
            device_id=self.device_id,
            password=self.password_file.read_text(encoding="utf-8").strip(),
            host=self.host,
            port=self.port,
            ca_file=self.ca_file,
            outbox_path=self.outbox or Path(f"/var/lib/motcua/outbox-{self.device_id}.db"),
            **kwargs,
        )
