"""amqtt made to follow motcua's contract: the login and topic plugins, and a broker class with upstream fixes.

Loaded by class path from the embedded broker's config (amqtt 0.12's way). :class:`MotcuaAuthPlugin` checks
every CONNECT against ``accounts_provider()`` (so revocation is immediate); :class:`MotcuaTopicPlugin` answers
every PUBLISH, SUBSCRIBE and delivery with ``topics.may_publish`` / ``topics.may_subscribe``;
:class:`AuthFirstBroker` fixes upstream behaviours (see its methods): it authenticates before touching a session,
binds the client id to the username, takes over a second connection of the same account cleanly and caps the
packet size. Refused logins and denied publishes are logged summarised, per username per minute. Only the embedded
broker imports this.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from amqtt.adapters import StreamWriterAdapter
from amqtt.broker import Broker
from amqtt.contexts import Action
from amqtt.errors import AMQTTError, MQTTError, NoDataError
from amqtt.mqtt.connack import NOT_AUTHORIZED, ConnackPacket
from amqtt.mqtt.protocol.broker_handler import BrokerProtocolHandler
from amqtt.plugins.base import BaseAuthPlugin, BaseTopicPlugin
from amqtt.session import Session

from queue_server.brokers.amqtt_limits import PacketLimitReader
from queue_server.brokers.credentials import hash_password, verify_password
from queue_server.contract import topics
from queue_server.contract.limits import MAX_PACKET_BYTES
from queue_server.log_summary import PerMinuteSummary

logger = logging.getLogger(__name__)
refused_logins = PerMinuteSummary(logger, "refused logins of %s")
denied_publishes = PerMinuteSummary(logger, "denied publishes from %s")
denied_subscriptions = PerMinuteSummary(logger, "denied subscriptions of %s")
oversized_packets = PerMinuteSummary(logger, "closed connections sending oversized packets from %s")
takeovers = PerMinuteSummary(logger, "%s connected again: its previous connection was closed", level=logging.INFO)
SUMMARIES = (refused_logins, denied_publishes, denied_subscriptions, oversized_packets, takeovers)
"""Flushed by the embedded broker's periodic task, so the count of a burst that stopped is still told."""
TAKEOVER_WAIT_SECONDS = 5.0
VERIFIED_HASH = "motcua_verified_hash"
"""Session attribute: the password hash the login was checked against (a re-check compares hashes only)."""

AccountsProvider = Callable[[], Mapping[str, str]]
"""username -> ``$7$`` password hash; called on each CONNECT."""

_TIMING_DECOY = hash_password("motcua-timing-decoy")
"""Checked for unknown users too, so response time does not reveal which device ids exist."""


class MotcuaAuthPlugin(BaseAuthPlugin):  # type: ignore[misc]  # amqtt ships no type hints
    """Accepts a CONNECT only with a known username, its password, and a will the user may publish."""

    @dataclass
    class Config:
        office_id: str = ""
        accounts_provider: Any = None  # AccountsProvider; dacite cannot type-check a parametrised Callable

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        if not topics.valid_id(self.config.office_id) or not callable(self.config.accounts_provider):
            raise ValueError("MotcuaAuthPlugin needs office_id and a callable accounts_provider")
        self._office: str = self.config.office_id
        self._accounts: AccountsProvider = self.config.accounts_provider

    async def authenticate(self, *, session: Session) -> bool:
        username, password = session.username, session.password
        if not username or password is None:
            refused_logins.add("(anonymous)", f"from={session.remote_address}")
            return False
        try:
            # The provider may read a database: keep it off the broker's event loop.
            accounts = await asyncio.to_thread(self._accounts)
            hashed = accounts.get(username)
        except Exception:
            logger.exception("accounts provider failed; refusing %r", username)
            return False
        matches = verify_password(password, hashed if hashed is not None else _TIMING_DECOY)
        if hashed is None or not matches:
            refused_logins.add(_key(username), f"from={session.remote_address} reason=unknown_user_or_bad_password")
            return False
        # amqtt publishes a will without asking the topic plugin, so check it here (Mosquitto instead accepts the
        # connection and drops the will; either way no device can leave a will on a topic it may not publish).
        if session.will_flag and not topics.may_publish(self._office, username, session.will_topic or ""):
            refused_logins.add(_key(username), f"reason=will_topic_not_allowed topic={session.will_topic!r:.120}")
            return False
        setattr(session, VERIFIED_HASH, hashed)
        return True


class MotcuaTopicPlugin(BaseTopicPlugin):  # type: ignore[misc]  # amqtt ships no type hints
    """Publish, subscribe and receive rules from :mod:`queue_server.contract.topics`."""

    @dataclass
    class Config:
        office_id: str = ""

    def __init__(self, context: Any) -> None:
        super().__init__(context)
        if not topics.valid_id(self.config.office_id):
            raise ValueError("MotcuaTopicPlugin needs a valid office_id")
        self._office: str = self.config.office_id

    async def topic_filtering(
        self, *, session: Session | None = None, topic: str | None = None, action: Action | None = None
    ) -> bool:
        username = session.username if session is not None else None
        if not username or not topic:
            return False
        if action == Action.PUBLISH:
            allowed = topics.may_publish(self._office, username, topic)
        elif action in (Action.SUBSCRIBE, Action.RECEIVE):
            # a topic is also a filter: "may receive" == "may subscribe to exactly this topic"
            allowed = topics.may_subscribe(self._office, username, topic)
        else:
            allowed = False
        if not allowed:
            if action == Action.PUBLISH:
                denied_publishes.add(_key(username), f"topic={topic!r:.120}")
            elif action == Action.SUBSCRIBE:
                denied_subscriptions.add(_key(username), f"filter={topic!r:.120}")
        return allowed


def _key(username: str) -> str:
    """A username as a log key: a valid id as it is, anything else cut and quoted (no line forging)."""
    return username if topics.valid_id(username) or username == topics.SERVER_USERNAME else repr(username[:40])


class SubscriptionTable(dict[str, Any]):
    """amqtt's filter -> subscribers table, iterated over a copy.

    amqtt 0.12.1 awaits inside its loops over this table (``_run_broadcast`` asks the topic plugin per
    subscriber; the retained replay on connect): a client subscribing meanwhile adds a key, the loop dies with
    "dictionary changed size during iteration", and the message is lost for the remaining subscribers. Devices
    publish their status as they connect and subscribe, which made it frequent once the server read statuses.
    """

    def __iter__(self) -> Iterator[str]:
        return iter(list(super().keys()))

    def items(self) -> list[tuple[str, Any]]:  # type: ignore[override]
        return list(super().items())


class AuthFirstBroker(Broker):  # type: ignore[misc]  # amqtt ships no type hints
    """amqtt 0.12.1's broker, but authenticating a CONNECT before it touches an existing session.

    Upstream drops (clean) or takes over (persistent) the session with the same client id *before* asking
    the auth plugins: anyone could cut the server off its subscriptions with its client id and a wrong
    password. This is upstream's ``_initialize_client_session`` with the check moved first, then the client id
    replaced by the username and a clean take-over (:meth:`_take_over`). Every connection reads through a
    :class:`PacketLimitReader` (:meth:`stream_connected`). Its subscription table is a :class:`SubscriptionTable`.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        upstream: dict[str, Any] = self.__dict__["_subscriptions"]
        self._subscriptions = SubscriptionTable(upstream)

    async def _publish_retained_messages_for_subscription(self, subscription: tuple[str, int], session: Any) -> None:
        """Replay retained messages only for filters this session holds.

        Upstream, on every CONNECT, replays the retained messages of *every* filter any client ever subscribed
        to, past the topic plugin: a kiosk would receive other devices' state. A filter refused by the ACL is
        never registered, so checking registration also keeps the ACL in force.
        """
        holders = self._subscriptions.get(subscription[0], [])
        if all(holder.client_id != session.client_id for holder, _ in holders):
            return
        await super()._publish_retained_messages_for_subscription(subscription, session)

    async def stream_connected(self, reader: Any, writer: Any, listener_name: str) -> None:
        """Upstream's, with a reader that closes the connection when a packet announces more than the limit."""
        peer = writer.get_extra_info("peername")

        def oversize(length: int) -> None:
            oversized_packets.add(str(peer[0] if peer else "?"), f"length={length} limit={MAX_PACKET_BYTES}")
            writer.transport.abort()  # nothing more is read from this socket

        limited = PacketLimitReader(reader, MAX_PACKET_BYTES, oversize)
        await self._client_connected(listener_name, limited, StreamWriterAdapter(writer))

    async def _initialize_client_session(
        self, reader: Any, writer: Any, remote_address: str, remote_port: int
    ) -> tuple[Any, Any]:
        try:
            handler, session = await BrokerProtocolHandler.init_from_connect(reader, writer, self.plugins_manager)
        except (AMQTTError, MQTTError, NoDataError):
            await writer.close()
            raise
        if not await self._authenticate(session, None):
            await ConnackPacket.build(0, NOT_AUTHORIZED).to_stream(writer)
            await writer.close()
            raise MQTTError(f"{remote_address}:{remote_port} refused: not authorized")
        # Identity is the username (Mosquitto's use_username_as_clientid): whatever client id the CONNECT named,
        # an account can only ever reach its own connection and session, never the server's or another device's.
        session.client_id = session.username
        await self._take_over(session.client_id)

        if session.clean_session:
            await self._delete_session(session.client_id)
            session.parent = 0
        elif session.client_id in self._sessions:
            existing, _ = self._sessions[session.client_id]
            for name in ("will_flag", "will_message", "will_topic", "will_qos", "will_retain", "keep_alive"):
                setattr(existing, name, getattr(session, name))
            existing.username, existing.password = session.username, session.password
            setattr(existing, VERIFIED_HASH, getattr(session, VERIFIED_HASH, None))
            session = existing
            session.parent = 1
        else:
            session.parent = 0
        delay = self.config.get("timeout-disconnect-delay", 0)
        if session.keep_alive > 0 and isinstance(delay, int):
            session.keep_alive += delay
        return handler, session

    async def _take_over(self, client_id: str) -> None:
        """Close the account's connection still open, and wait until amqtt has finished with it.

        Upstream only takes over a persistent session; with a clean one it dropped the old session's
        subscriptions but left its connection open, a zombie that received nothing while its device thought it
        was online. Closing it here first (its will is sent, as for a lost connection) serves both cases.
        """
        existing = self._sessions.get(client_id)
        if existing is None or not existing[0].transitions.is_connected():
            return
        old_session, old_handler = existing
        takeovers.add(_key(client_id))
        await old_handler.handle_connection_closed()
        deadline = asyncio.get_running_loop().time() + TAKEOVER_WAIT_SECONDS
        while old_session.transitions.is_connected() and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.01)
        await old_handler.stop()
