"""The MQTT contract between devices and the office server: topics, payloads, QoS and retain.

Documented for humans in ``docs/protocol.md``; this package is the machine-readable source of truth.
"""
