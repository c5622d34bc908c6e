"""The MQTT contract between devices and the office server, and the library devices speak it with.

Topics (``topics``), requests (``messages``), replies, status and retained state (``payloads``), who may send
what (``permissions``), and a device's link to the broker (``device_link``, ``outbox``, ``link_config``, ``link``,
``mqtt_client``). It imports nothing of ``queue_server`` outside itself (``tests/unit/test_contract_boundaries.py``),
so a kiosk or counter unit needs this package, its drivers and nothing else of the server.

Documented for humans in ``docs/protocol.md``; this package is the machine-readable source of truth.
"""
