"""The MQTT side of a Dothi process: after each commit, the entities created or changed are
published (:mod:`dothi.sensors.fanout`) — by the web app for HTTP writes, by the ingest
worker for what devices published.

The broker is ``DOTHI_MQTT_URL``, or the data folder's private mosquitto once something
(the demo, ``dothi sensors broker``) has started it; with neither, nothing is published and
nothing fails. Payload links start at ``DOTHI_STA_URL`` (the service root as clients reach
it; by default ``http://127.0.0.1:8000/sta/v1.1``).
"""

from __future__ import annotations

import logging
import os
import queue
import threading
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select

from dothi.config import Settings
from dothi.db.engine import Database
from dothi.errors import DothiError
from dothi.sensors.devices import server_broker
from dothi.sensors.fanout import SUBSCRIBE_LOG, Fanout, Sink, Update, Variants, parents_of
from dothi.sensors.mqtt.client import connect, new_client
from dothi.sensors.mqtt.publisher import Publisher
from dothi.sensors.mqtt.settings import Broker
from dothi.sensors.sta.codec import encode
from dothi.sensors.sta.model import BY_NAME, EntityType
from dothi.sensors.store import COLUMNS, ObservationRow
from dothi.sensors.tables import TABLES

log = logging.getLogger(__name__)

STA_URL_VAR = "DOTHI_STA_URL"
DEFAULT_STA_URL = "http://127.0.0.1:8000/sta/v1.1"
_OBSERVATION = BY_NAME["Observation"]
#: Batches of stored observations that may wait to be published.
BACKLOG_BATCHES = 64


class Updates:
    """A publisher, the listener of subscriptions' ``$select`` variants, and the fan-out.

    The ingest worker passes its subscriber as ``sink``: the updates of what it stored
    leave on its own connection with the batch's acknowledgements, where a publisher of
    their own would cost as much Python per message as the ingest itself."""

    def __init__(self, broker: Broker, base: str, sink: Sink | None = None) -> None:
        self.base = base.rstrip("/")
        name = f"dothi-updates-{uuid.uuid4().hex[:12]}"
        #: The publisher this object owns (None when it publishes through ``sink``).
        self.publisher: Publisher | None = None
        if sink is None:
            sink = self.publisher = Publisher(broker, name)
        self._sink_flush = None if self.publisher is not None else sink.flush
        self.variants = Variants()
        self.fanout = Fanout(sink, self.variants)
        #: Stored observations waiting for :meth:`_publish_loop` (a list per batch).
        self._stored: queue.Queue[list[tuple[int, ObservationRow]] | None] = queue.Queue(
            BACKLOG_BATCHES
        )
        self._thread = threading.Thread(target=self._publish_loop, name=name, daemon=True)
        #: Observations not published because the backlog was full.
        self.dropped = 0
        self._listener = new_client(broker, name + "-log")
        self._broker = broker
        #: Where clients connect, for the landing page (no credentials in it).
        self.endpoint = broker.anonymous().url

    def start(self) -> Updates:
        """Connect (without failing when the broker is away: the clients reconnect)."""
        if self.publisher is not None:
            self.publisher.start()
        self._thread.start()

        def on_message(_c: Any, _u: Any, message: Any) -> None:
            self.variants.note_log_line(message.payload.decode("utf-8", "replace"))

        self._listener.on_message = on_message
        self._listener.on_connect = lambda c, *_: c.subscribe(SUBSCRIBE_LOG, qos=0)
        try:
            connect(self._listener, self._broker)
        except DothiError as exc:
            log.warning("MQTT: %s", exc.en)
        self._listener.loop_start()
        return self

    def stop(self) -> None:
        """Send what is queued, then disconnect."""
        if self._thread.is_alive():
            self._stored.put(None)
            self._thread.join(10)
        if self.publisher is not None:
            self.publisher.flush(5)
            self.publisher.stop()
        self._listener.loop_stop()
        self._listener.disconnect()

    def entities(
        self, db: Database, touched: Iterable[tuple[EntityType, int]], created: bool
    ) -> None:
        """Publish entities just committed (read again: their JSON as the API gives it)."""
        updates = []
        with db.read() as conn:
            for entity, entity_id in touched:
                table = TABLES[entity.table]
                row = conn.execute(select(table).where(table.c.id == entity_id)).mappings().first()
                if row is None:
                    continue
                parents = parents_of(entity, dict(row)) if created else ()
                updates.append(
                    Update(entity, entity_id, encode(entity, row, self.base), created, parents)
                )
        self.fanout.publish(updates)

    def observations(self, stored: Iterable[tuple[int, ObservationRow]]) -> None:
        """Publish observations the ingest just committed (no second read). Never waits:
        a thread of its own encodes and publishes them while the ingest goes on with its
        next batch; past :data:`BACKLOG_BATCHES` batches they are dropped and counted."""
        batch = list(stored)
        try:
            self._stored.put_nowait(batch)
        except queue.Full:
            self.dropped += len(batch)

    def _publish_loop(self) -> None:
        while (batch := self._stored.get()) is not None:
            try:
                self.fanout.publish(self._observation_updates(batch))
                if self._sink_flush is not None:
                    self._sink_flush()
            except Exception:  # a bad update must not end the updates of the ones after it
                log.exception("MQTT updates: publishing %d observations failed", len(batch))

    def _observation_updates(self, stored: list[tuple[int, ObservationRow]]) -> list[Update]:
        updates = []
        for obs_id, row in stored:
            values = dict(zip(COLUMNS, row.values(obs_id), strict=True))
            body = encode(_OBSERVATION, values, self.base)
            updates.append(
                Update(_OBSERVATION, obs_id, body, True, parents_of(_OBSERVATION, values))
            )
        return updates


def updates_from_environment(settings: Settings, sink: Sink | None = None) -> Updates | None:
    """Started updates for this process (through ``sink`` when given), or None when no
    broker is configured."""
    broker = server_broker(settings)
    if broker is None:
        return None
    return Updates(broker, os.environ.get(STA_URL_VAR, DEFAULT_STA_URL), sink).start()
