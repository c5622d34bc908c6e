"""Size limits of the MQTT contract that the brokers enforce, before a packet's body is read.

The largest message of the contract today is a request (the server refuses more than ``max_payload_bytes``,
4 KiB by default) or a retained state view (a few KiB for a busy board). The procedure catalogue is meant to
travel to kiosks over MQTT later (docs/kiosk.md): a province's list of procedures is ~100-200 KiB of JSON, so
the ceiling is 256 KiB of payload plus room for the topic and headers. Anything larger is an attack or a bug:
both brokers close the connection as soon as the packet's fixed header announces more, so that a kiosk sending
200 MB cannot make the broker hold 200 MB.
"""

from __future__ import annotations

MAX_PAYLOAD_BYTES = 256 * 1024
"""The largest payload any message of the contract may carry (the catalogue included)."""

MAX_PACKET_BYTES = MAX_PAYLOAD_BYTES + 1024
"""The largest MQTT packet (remaining length) a broker accepts: the payload plus topic, packet id, headers."""
