"""The embedded broker's subscription table survives a subscription added while a broadcast walks it."""

from __future__ import annotations

import asyncio

from queue_server.brokers.amqtt_rules import AuthFirstBroker, SubscriptionTable


def test_walking_the_table_while_a_client_subscribes() -> None:
    table = SubscriptionTable({"motcua/v1/q1/dev/+/req": []})
    walked = []
    for topic_filter, _ in table.items():  # amqtt's _run_broadcast awaits here; another task subscribes
        table["motcua/v1/q1/dev/kiosk-01/res"] = []
        walked.append(topic_filter)
    for topic_filter in table:  # and the retained replay on connect
        table.setdefault("motcua/v1/q1/state/#", [])
        walked.append(topic_filter)
    assert walked == ["motcua/v1/q1/dev/+/req", "motcua/v1/q1/dev/+/req", "motcua/v1/q1/dev/kiosk-01/res"]
    assert len(table) == 3


def test_the_embedded_broker_uses_it() -> None:
    async def make() -> AuthFirstBroker:  # amqtt binds the broker to the running loop
        return AuthFirstBroker({"listeners": {"default": {"type": "tcp", "bind": "127.0.0.1:0"}}, "plugins": {}})

    assert isinstance(asyncio.run(make())._subscriptions, SubscriptionTable)
