"""The office side of gap fill: answers the province's "resend after seq N" from the office's own store.

The events are republished on the office's ``events`` topic exactly as after a commit (``province_record``),
then a replay report says which seqs exist in the span covered, so the province can tell lost messages from
seqs the office never used. At most ``max_events`` per request: the province asks again when ``more`` is set.

Uses its own MQTT connection and its own account (``motcua-replayer``: it may only read ``events/resend`` and
publish ``events`` and ``events/replayed``; the client id is the username on the broker, so it cannot share the
server's account), and the office server's request path is untouched: ``EventReplayer.connect(...)`` makes and
starts it; ``EventReplayer(store, client)`` takes a client you made yourself (tests) and owns its
``on_connect``/``on_message``.
"""

from __future__ import annotations

import logging
import threading
from itertools import islice
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt

from queue_server.contract import messages as msg
from queue_server.contract import topics
from queue_server.contract.mqtt_client import make_client
from queue_server.log_summary import PerMinuteSummary
from queue_server.province import messages
from queue_server.store.event_store import EventStore
from queue_server.store.jsonl import province_record

logger = logging.getLogger(__name__)
_refused = PerMinuteSummary(logger, "broker refused the event replayer: %s", level=logging.ERROR)
MAX_EVENTS = 500


class EventReplayer:
    def __init__(self, store: EventStore, client: mqtt.Client, *, max_events: int = MAX_EVENTS) -> None:
        if max_events < 1:
            raise ValueError("max_events must be at least 1")
        self.store, self.client, self.max_events = store, client, max_events
        self.office_id = store.office_id
        self._topic = topics.resend_request(self.office_id)
        self._lock = threading.Lock()
        self.subscribed = threading.Event()
        client.on_connect = self._on_connect
        client.on_subscribe = lambda *_args: self.subscribed.set()
        client.message_callback_add(self._topic, self._on_request)

    @classmethod
    def connect(
        cls,
        store: EventStore,
        *,
        host: str,
        port: int,
        username: str = topics.REPLAYER_USERNAME,
        password: str,
        ca_file: Path | None = None,
    ) -> EventReplayer:
        """A replayer on its own connection, started (reconnects by itself); ``stop()`` ends it."""
        client = make_client(username, username, password, clean_session=True, ca_file=ca_file)
        replayer = cls(store, client)
        client.connect_async(host, port, keepalive=30)
        client.loop_start()
        return replayer

    def stop(self) -> None:
        self.client.disconnect()
        self.client.loop_stop()

    def _on_connect(self, client: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            # paho retries every few seconds: one line a minute (e.g. a Mosquitto passwd without motcua-replayer,
            # written before this account existed: `motcua broker config` adds it)
            _refused.add(str(reason))
            return
        client.subscribe(self._topic, qos=1)

    def _on_request(self, client: mqtt.Client, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            request = messages.parse_request(bytes(message.payload))
        except messages.PayloadError as exc:
            logger.warning("ignored a malformed resend request: %s", exc)
            return
        try:
            self.replay(request.after_seq)
        except Exception:
            logger.exception("resend after seq %d failed; the province will ask again", request.after_seq)

    def replay(self, after_seq: int) -> messages.ReplayReport:
        """Republish up to ``max_events`` events after ``after_seq``, then the report; returns the report."""
        with self._lock:  # two requests at once would interleave their events and reports
            stream = topics.event_stream(self.office_id)
            found = list(islice(self.store.events(after_seq, batch_size=self.max_events + 1), self.max_events + 1))
            more = len(found) > self.max_events
            seqs = [stored.seq for stored in found[: self.max_events]]
            for stored in found[: self.max_events]:
                self.client.publish(stream, msg.encode(province_record(stored)), qos=1)
            # Only up to the last event read: one committed meanwhile must not be reported as never existing.
            through = seqs[-1] if seqs else after_seq
            report = messages.ReplayReport(after_seq, through, tuple(messages.seq_ranges(seqs)), more)
            self.client.publish(topics.replay_report(self.office_id), messages.encode_report(report), qos=1)
        logger.info("resent %d events after seq %d (through %d)", len(seqs), after_seq, through)
        return report
