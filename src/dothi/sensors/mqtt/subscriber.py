"""At-least-once ingest from MQTT: messages are acknowledged only once handled.

The subscriber keeps a persistent session on the broker (a fixed client id, MQTT v5
``clean_start`` false and a long session expiry) and subscribes with QoS 1 and manual
acknowledgements. Messages are handed to the callback in batches (up to ``batch_size``
messages, or what came in ``batch_ms`` milliseconds after the first), and each batch is
acknowledged after the callback returns — the callback commits them. If it raises, no
acknowledgement is sent: the subscriber drops the connection and reconnects after a
pause, and the broker sends the unacknowledged messages again (MQTT sends them again
only on a new connection of the same session). A subscriber killed outright loses
nothing either: its session keeps them for the next start with the same client id.

So a message may be handed over twice (the callback committed, the process died before
the acknowledgement left): the callback must tolerate a message it has already seen.

The connection is :class:`~dothi.sensors.mqtt.wire.Connection`: packets split in bulk,
a batch's acknowledgements sent together; it also carries the QoS 0 publications of the
worker that owns the subscriber (:meth:`Subscriber.publish`).

With ``share_group`` the filters become shared subscriptions (``$share/<group>/…``):
workers with different client ids in one group split the traffic. mosquitto 2.0 keeps
sending a group member's share to its session while it is offline, so a worker that dies
must be started again (same client id) to pass on what was kept for it.
"""

from __future__ import annotations

import logging
import queue
import random
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from dothi.errors import DothiError, Forbidden, InvalidInput, Unauthorized
from dothi.sensors.mqtt.client import BrokerUnavailable
from dothi.sensors.mqtt.settings import Broker
from dothi.sensors.mqtt.wire import Connection, Message, Subscription

log = logging.getLogger(__name__)

__all__ = ["BatchHandler", "Message", "Subscriber", "SubscriberStats", "shared_filter"]

#: Errors that trying again will not mend (until someone changes the broker's rules).
REFUSALS = (Unauthorized, Forbidden)
#: A week: how long the broker keeps an offline subscriber's session and its messages.
SESSION_EXPIRY = 7 * 24 * 3600
#: Retain handling: 0 send retained messages at subscribe, 2 never (MQTT 5.0, 3.8.3.1).
_SEND_RETAINED, _NO_RETAINED = 0, 2

BatchHandler = Callable[[list[Message]], None]


@dataclass
class SubscriberStats:
    """Counters, for logs and tests (``published``/``unsent``: QoS 0 publications sent
    and lost with a connection)."""

    connections: int = 0
    batches: int = 0
    acknowledged: int = 0
    failures: int = 0
    published: int = 0
    unsent: int = 0


_Item = tuple[Connection, Message]


def shared_filter(group: str, topic_filter: str) -> str:
    """``$share/<group>/<filter>``, the group name checked (MQTT 5.0, 4.8.2)."""
    if not group or any(ch in group for ch in "/+#"):
        raise InvalidInput(
            f"Tên nhóm chia sẻ «{group}» không hợp lệ: không được rỗng hay chứa / + #.",
            f"The share group name «{group}» is not valid: it may not be empty or contain / + #.",
        )
    return f"$share/{group}/{topic_filter}"


class Subscriber:
    """Hands QoS 1 messages of ``filters`` to ``handler`` in batches; acknowledges a batch
    only after ``handler`` returns. :meth:`start` it, :meth:`stop` it."""

    def __init__(
        self,
        broker: Broker,
        client_id: str,
        filters: Sequence[str],
        handler: BatchHandler,
        *,
        batch_size: int = 100,
        batch_ms: int = 200,
        share_group: str | None = None,
        no_local: bool = False,
        send_retained: bool = False,
        session_expiry: int = SESSION_EXPIRY,
        receive_maximum: int | None = None,
        min_backoff: float = 0.2,
        max_backoff: float = 30.0,
        timeout: float = 10.0,
    ) -> None:
        if not client_id:
            raise InvalidInput(
                "Bộ nhận cần một mã máy khách cố định để giữ phiên trên máy chủ MQTT.",
                "The subscriber needs a fixed client id to keep its session on the broker.",
            )
        if not filters or batch_size < 1 or batch_ms < 0:
            raise InvalidInput(
                "Cần ít nhất một bộ lọc chủ đề, batch_size ≥ 1 và batch_ms ≥ 0.",
                "At least one topic filter, batch_size ≥ 1 and batch_ms ≥ 0 are needed.",
            )
        if share_group is not None and no_local:
            # MQTT 5.0, 3.8.3.1: No Local on a shared subscription is a protocol error.
            raise InvalidInput(
                "Không dùng được no_local với đăng ký chia sẻ.",
                "no_local cannot be used with a shared subscription.",
            )
        self.broker = broker
        self.client_id = client_id
        self.filters = [
            shared_filter(share_group, f) if share_group is not None else f for f in filters
        ]
        self.handler = handler
        self.batch_size = batch_size
        self.batch_seconds = batch_ms / 1000
        self.session_expiry = session_expiry
        self.receive_maximum = min(receive_maximum or 2 * batch_size, 65535)
        self.min_backoff = min_backoff
        self.max_backoff = max_backoff
        self.timeout = timeout
        self.stats = SubscriberStats()
        self._subscriptions = [
            Subscription(f, 1, no_local, _SEND_RETAINED if send_retained else _NO_RETAINED)
            for f in self.filters
        ]
        #: What the connection's reader hands over, a list per read.
        self._queue: queue.Queue[tuple[Connection, list[Message]]] = queue.Queue()
        self._pending: list[_Item] = []
        self._conn: Connection | None = None
        self._resumed = False
        self._stop = threading.Event()
        self._subscribed = threading.Event()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        #: The last connection or subscription error, while not subscribed.
        self.error: DothiError | None = None

    # -- Life -------------------------------------------------------------------------------

    def start(self) -> Subscriber:
        """Start the worker thread (connection, batches, acknowledgements); returns self."""
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name=f"mqtt-subscriber-{self.client_id}", daemon=True
            )
            self._thread.start()
        return self

    def wait_subscribed(self, timeout: float = 30.0) -> None:
        """Wait until the subscriptions are in place. Raise at once when the broker
        refuses the credentials or a subscription (the worker keeps trying, in case that
        is put right), and the last error after ``timeout`` seconds."""
        with self._changed:
            self._changed.wait_for(
                lambda: self._subscribed.is_set() or isinstance(self.error, REFUSALS), timeout
            )
        if not self._subscribed.is_set():
            raise self.error or BrokerUnavailable(
                f"Chưa đăng ký được {self.filters} trên {self.broker.url} sau {timeout:g} giây.",
                f"Not subscribed to {self.filters} on {self.broker.url} after {timeout:g} s.",
            )

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the batch in hand (its handler finishes and it is acknowledged);
        what is not acknowledged stays with the broker for the next start."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def __enter__(self) -> Subscriber:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- The worker -------------------------------------------------------------------------

    def _run(self) -> None:
        failures = 0
        try:
            while not self._stop.is_set():
                conn = self._conn
                if conn is None or conn.lost.is_set():
                    if conn is not None:
                        self._drop()
                        failures += 1
                        self._pause(failures)
                        continue
                    try:
                        self._connect()
                    except DothiError as exc:
                        with self._changed:
                            self.error = exc
                            self._changed.notify_all()
                        log.warning("MQTT subscriber %s: %s", self.client_id, exc.en)
                        failures += 1
                        self._pause(failures)
                    continue
                batch = self._collect(conn)
                if not batch:
                    continue
                try:
                    self.handler([m for _, m in batch])
                except Exception:
                    # Not acknowledged: a new connection makes the broker send them again.
                    log.exception("MQTT subscriber %s: the handler failed", self.client_id)
                    self.stats.failures += 1
                    failures += 1
                    self._drop()
                    self._pause(failures)
                    continue
                self.stats.batches += 1
                self._acknowledge(batch)
                failures = 0
        finally:
            self._drop()

    def _pause(self, failures: int) -> None:
        """Wait before trying again: doubling from ``min_backoff`` up to ``max_backoff``,
        with jitter so that workers restarted together do not reconnect together."""
        delay = min(self.max_backoff, self.min_backoff * 2 ** min(failures - 1, 16))
        self._stop.wait(delay * random.uniform(0.5, 1.0))

    def _connect(self) -> None:
        conn = Connection(
            self.broker, self.client_id, lambda messages: self._queue.put((conn, messages))
        )
        resumed = conn.open(
            clean_start=False,
            session_expiry=self.session_expiry,
            receive_maximum=self.receive_maximum,
            timeout=self.timeout,
        )
        self._conn, self._resumed = conn, resumed
        self.stats.connections += 1
        # Subscribing again in a resumed session only replaces the same subscriptions.
        codes = conn.subscribe(self._subscriptions, self.timeout)
        if codes is None or any(code >= 0x80 for code in codes):
            pairs = zip(self.filters, codes or [], strict=False)
            refused = [f for f, code in pairs if code >= 0x80]
            self._drop()
            if refused:
                raise Forbidden(
                    f"Máy chủ MQTT {self.broker.url} không cho {self.broker.username} đăng ký "
                    f"{', '.join(refused)}.",
                    f"The MQTT broker {self.broker.url} does not let {self.broker.username} "
                    f"subscribe to {', '.join(refused)}.",
                )
            raise BrokerUnavailable(
                f"Máy chủ MQTT {self.broker.url} không trả lời yêu cầu đăng ký.",
                f"The MQTT broker {self.broker.url} did not answer the subscription.",
            )
        with self._changed:
            self.error = None
            self._subscribed.set()
            self._changed.notify_all()

    def _drop(self) -> None:
        """End the current connection; the session and its unacknowledged messages stay."""
        conn, self._conn = self._conn, None
        if conn is not None:
            conn.close()

    def _usable(self, source: Connection, conn: Connection) -> bool:
        """Whether to hand over what came on ``source``: it is this connection, or an
        earlier one whose session the broker did not keep (it will not come again)."""
        return source is conn or not self._resumed

    def _collect(self, conn: Connection) -> list[_Item]:
        """Up to ``batch_size`` messages: those that come within ``batch_ms`` of the first,
        and after that whatever is already waiting."""
        batch: list[_Item] = []
        deadline: float | None = None
        while len(batch) < self.batch_size and not conn.lost.is_set():
            if not self._pending:
                wait = 0.1 if deadline is None else deadline - time.monotonic()
                try:
                    source, messages = (
                        self._queue.get(timeout=wait) if wait > 0 else self._queue.get_nowait()
                    )
                except queue.Empty:
                    if deadline is None:
                        return batch  # idle: back to the loop, which checks for a stop
                    if wait <= 0:
                        break
                    continue
                if self._usable(source, conn):
                    self._pending = [(source, m) for m in messages]
                continue
            room = self.batch_size - len(batch)
            batch += self._pending[:room]
            del self._pending[:room]
            if deadline is None:
                deadline = time.monotonic() + self.batch_seconds
        return batch

    def _acknowledge(self, batch: list[_Item]) -> None:
        """PUBACK in the order received (MQTT 5.0, 4.6), in one send, on the connection the
        messages came by; one from an ended connection is not acknowledged (that is not
        allowed on a new one), the broker sends it again."""
        conn = self._conn
        ids = [m.packet_id for source, m in batch if source is conn and m.qos]
        if conn is not None and ids and conn.acknowledge(ids):
            self.stats.acknowledged += len(ids)

    def publish(self, topic: str, payload: bytes, *, qos: int = 0) -> bool:
        """Send a QoS 0 message with the next acknowledgements (the worker's updates ride
        on its connection); False, and counted, when there is no connection."""
        if qos != 0:
            raise InvalidInput(
                "Bộ nhận chỉ gửi bản tin QoS 0.", "The subscriber only publishes at QoS 0."
            )
        conn = self._conn
        if conn is None or conn.lost.is_set():
            self.stats.unsent += 1
            return False
        conn.publish(topic, payload)
        self.stats.published += 1
        return True

    def flush(self) -> None:
        """Send what :meth:`publish` queued."""
        conn = self._conn
        if conn is not None:
            conn.flush()
