"""MQTT brokers for one office: Mosquitto configuration (production) and an embedded amqtt broker (default).

Both enforce the same credentials (:mod:`.credentials`) and the same topic rules
(:mod:`queue_server.contract.topics`). ``EmbeddedBroker`` is imported lazily so that importing this package
(e.g. for ``motcua device add``) does not pull in amqtt.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from queue_server.brokers.credentials import hash_password, new_password, verify_password
from queue_server.brokers.mosquitto import BrokerAccount, reload_mosquitto, write_mosquitto_config

if TYPE_CHECKING:
    from queue_server.brokers.embedded import EmbeddedBroker

__all__ = [
    "BrokerAccount",
    "EmbeddedBroker",
    "hash_password",
    "new_password",
    "reload_mosquitto",
    "verify_password",
    "write_mosquitto_config",
]


def __getattr__(name: str) -> Any:
    if name == "EmbeddedBroker":
        from queue_server.brokers.embedded import EmbeddedBroker

        return EmbeddedBroker
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
