"""Shared fixtures: real brokers and databases, started per test session on free loopback ports."""

pytest_plugins = [
    "tests.fixtures.postgres",
    "tests.fixtures.mosquitto",
    "tests.fixtures.gpio",
    "tests.fixtures.browser",
]
