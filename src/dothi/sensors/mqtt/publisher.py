"""Fan-out of entity updates and tasks: publishing that never blocks the caller.

:meth:`Publisher.publish` puts the message in a bounded queue and returns at once; a
thread hands the queue to the broker while connected (paho reconnects by itself). When
the queue is full — the broker is away or slower than the updates — the message is
dropped and counted: the ingest that calls this must never wait for subscribers.
QoS 1 messages handed to the broker are kept by paho until acknowledged, and sent again
after a reconnect; at most ``max_inflight`` of them are outstanding at once.
"""

from __future__ import annotations

import collections
import logging
import threading
from dataclasses import dataclass
from typing import Any

import paho.mqtt.client as mqtt

from dothi.errors import InvalidInput
from dothi.sensors.mqtt.client import new_client
from dothi.sensors.mqtt.settings import Broker

log = logging.getLogger(__name__)


@dataclass
class PublisherStats:
    """Counters: ``queued`` accepted by :meth:`Publisher.publish`, ``sent`` handed to
    paho, ``dropped`` refused because the queue was full, ``failed`` refused by paho."""

    queued: int = 0
    sent: int = 0
    dropped: int = 0
    failed: int = 0


@dataclass(frozen=True)
class _Outgoing:
    topic: str
    payload: bytes
    qos: int
    retain: bool


class Publisher:
    """A reconnecting publisher with a bounded queue. :meth:`start` it, :meth:`stop` it."""

    def __init__(
        self,
        broker: Broker,
        client_id: str = "",
        *,
        max_queue: int = 10_000,
        max_inflight: int = 1_000,
        min_backoff: int = 1,
        max_backoff: int = 30,
    ) -> None:
        if max_queue < 1 or max_inflight < 1:
            raise InvalidInput(
                "max_queue và max_inflight phải ≥ 1.", "max_queue and max_inflight must be ≥ 1."
            )
        self.broker = broker
        self.max_queue = max_queue
        self.max_inflight = max_inflight
        self.stats = PublisherStats()
        self._queue: collections.deque[_Outgoing] = collections.deque()
        self._inflight: collections.deque[mqtt.MQTTMessageInfo] = collections.deque()
        self._cond = threading.Condition()
        self._connected = False
        self._stopping = False
        self._client = new_client(broker, client_id)
        self._client.reconnect_delay_set(min_backoff, max_backoff)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_publish = self._on_publish
        self._thread: threading.Thread | None = None

    # -- paho's callbacks (its network thread) ----------------------------------------------

    def _on_connect(self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if reason.is_failure:
            log.warning("MQTT publisher: %s refused the connection: %s", self.broker.url, reason)
            return
        with self._cond:
            self._connected = True
            self._cond.notify_all()

    def _on_disconnect(
        self, client: Any, userdata: Any, flags: Any, reason: Any, props: Any
    ) -> None:
        with self._cond:
            self._connected = False
            self._cond.notify_all()

    def _on_publish(self, client: Any, userdata: Any, mid: Any, reason: Any, props: Any) -> None:
        # Called with paho's own lock held: only wake the sender, which checks the infos.
        with self._cond:
            self._cond.notify_all()

    # -- Life -------------------------------------------------------------------------------

    def start(self) -> Publisher:
        """Start connecting (in the background: a broker that is down is not an error
        here) and the sending thread; returns self."""
        if self._thread is None:
            self._client.connect_async(self.broker.host, self.broker.port, keepalive=30)
            self._client.loop_start()
            self._thread = threading.Thread(target=self._run, name="mqtt-publisher", daemon=True)
            self._thread.start()
        return self

    def publish(
        self, topic: str, payload: bytes | str, *, qos: int = 0, retain: bool = False
    ) -> bool:
        """Queue a message; ``False`` (and counted in ``stats.dropped``) when the queue is
        full. Never blocks on the network."""
        if qos not in (0, 1):
            raise InvalidInput("QoS phải là 0 hoặc 1.", "QoS must be 0 or 1.")
        data = payload.encode() if isinstance(payload, str) else bytes(payload)
        with self._cond:
            if len(self._queue) >= self.max_queue:
                self.stats.dropped += 1
                return False
            self._queue.append(_Outgoing(topic, data, qos, retain))
            self.stats.queued += 1
            self._cond.notify_all()
        return True

    def flush(self, timeout: float = 30.0) -> bool:
        """Wait until everything queued was handed over and every QoS 1 message was
        acknowledged; ``False`` if that did not happen within ``timeout`` seconds."""
        with self._cond:
            return self._cond.wait_for(
                lambda: not self._queue and self._prune() == 0, timeout=timeout
            )

    def stop(self, timeout: float = 10.0) -> None:
        """Send what can be sent within ``timeout`` seconds, then disconnect."""
        if self._thread is None:
            return
        self.flush(timeout)
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        self._thread.join(timeout)
        self._thread = None
        self._client.disconnect()
        self._client.loop_stop()

    def __enter__(self) -> Publisher:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- The sending thread -----------------------------------------------------------------

    def _prune(self) -> int:
        """Forget acknowledged QoS 1 messages; return how many are outstanding."""
        while self._inflight:
            info = self._inflight[0]
            try:
                done = info.is_published()
            except (RuntimeError, ValueError):
                # Refused by paho, or queued while the connection was dropping: paho
                # owns it now (it resends after a reconnect); stop counting it here.
                done = True
            if not done:
                break
            self._inflight.popleft()
        return len(self._inflight)

    def _ready(self) -> bool:
        return self._stopping or (
            bool(self._queue) and self._connected and self._prune() < self.max_inflight
        )

    def _run(self) -> None:
        while True:
            with self._cond:
                # A timeout as well: an acknowledgement may land between two checks.
                self._cond.wait_for(self._ready, timeout=0.5)
                if self._stopping:
                    return
                if not (self._queue and self._connected and self._prune() < self.max_inflight):
                    continue
                item = self._queue.popleft()
            # Outside the lock: paho calls on_publish holding its own lock.
            info = self._client.publish(item.topic, item.payload, qos=item.qos, retain=item.retain)
            # A QoS 1 message paho could not send yet (the connection just dropped) stays
            # with paho and goes after the reconnect; a QoS 0 one is lost.
            kept = info.rc == mqtt.MQTT_ERR_SUCCESS or (
                item.qos == 1 and info.rc == mqtt.MQTT_ERR_NO_CONN
            )
            with self._cond:
                if kept:
                    self.stats.sent += 1
                    if item.qos == 1:
                        self._inflight.append(info)
                else:
                    self.stats.failed += 1
