"""One MQTT 5 connection on a plain (or TLS) socket, for the ingest's hot path.

paho-mqtt spends some 100 µs of Python on each message it receives or sends; at the
rates a city's sensors reach, that alone would fill a core. Here incoming packets are
split in bulk from what one ``recv`` returns, acknowledgements of a whole batch leave in
one ``send``, and QoS 0 publications are bytes appended to a buffer.

What is implemented is what a subscriber that acknowledges by hand needs (MQTT 5.0
§3.1–3.14): CONNECT with a persistent session, SUBSCRIBE with options, PUBLISH received
at QoS 0 and 1, PUBACK sent, PUBLISH sent at QoS 0, PINGREQ for the keep-alive, and
DISCONNECT. The broker is never offered topic aliases, enhanced authentication or QoS 2
(a QoS 2 message, which a QoS 1 subscription cannot bring, ends the connection).
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.reasoncodes import ReasonCode

from dothi.errors import DothiError
from dothi.sensors.mqtt.client import refusal, unreachable
from dothi.sensors.mqtt.settings import Broker

_CONNACK, _PUBLISH, _PUBACK, _SUBACK, _PINGRESP, _DISCONNECT = 2, 3, 4, 9, 13, 14
_PINGREQ = b"\xc0\x00"
_U16 = struct.Struct("!H")


@dataclass(frozen=True, slots=True)
class Message:
    """A PUBLISH received: ``redelivered`` is the broker's DUP flag, ``packet_id`` 0 for
    QoS 0."""

    topic: str
    payload: bytes
    qos: int
    retain: bool
    redelivered: bool
    packet_id: int = 0


@dataclass(frozen=True)
class Subscription:
    """A topic filter and its options (MQTT 5.0, 3.8.3.1)."""

    topic_filter: str
    qos: int = 1
    no_local: bool = False
    retain_handling: int = 2

    def encode(self) -> bytes:
        options = self.qos | (self.no_local << 2) | (self.retain_handling << 4)
        return _text(self.topic_filter) + bytes([options])


class ProtocolError(DothiError):
    """The broker sent what MQTT 5 does not allow here (the connection is dropped)."""

    status = 502
    code = "MqttProtocolError"


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        n, byte = divmod(n, 128)
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _text(s: str) -> bytes:
    b = s.encode("utf-8")
    return _U16.pack(len(b)) + b


def _packet(first: int, body: bytes) -> bytes:
    return bytes([first]) + _varint(len(body)) + body


def _properties(props: bytes = b"") -> bytes:
    return _varint(len(props)) + props


def _skip_varint(data: bytes | memoryview, i: int) -> tuple[int, int]:
    """The variable byte integer at ``i`` and the index after it."""
    value, shift = 0, 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, i
        shift += 7
        if shift > 21:
            raise ValueError("malformed variable byte integer")


def _protocol_error(broker: Broker, what: str) -> ProtocolError:
    return ProtocolError(
        f"Máy chủ MQTT {broker.url} gửi gói tin không hợp lệ: {what}.",
        f"The MQTT broker {broker.url} sent a malformed packet: {what}.",
    )


class Connection:
    """One connection. :meth:`open` it; a reader thread hands PUBLISH packets to
    ``on_messages`` (a list per read, in order) and sets :attr:`lost` when it ends."""

    def __init__(
        self,
        broker: Broker,
        client_id: str,
        on_messages: Callable[[list[Message]], None],
        *,
        keepalive: int = 30,
    ) -> None:
        self.broker = broker
        self.client_id = client_id
        self.on_messages = on_messages
        self.keepalive = keepalive
        self.lost = threading.Event()
        #: Why the connection ended (None while it lives, or after :meth:`close`).
        self.error: DothiError | None = None
        self._sock: socket.socket | None = None
        self._send_lock = threading.Lock()
        self._last_send = time.monotonic()
        self._next_id = 0
        self._suback: dict[int, list[int]] = {}
        self._suback_ready = threading.Condition()
        self._outbox = bytearray()
        self._reader: threading.Thread | None = None

    # -- Opening ----------------------------------------------------------------------------

    def open(
        self,
        *,
        clean_start: bool,
        session_expiry: int = 0,
        receive_maximum: int = 0,
        timeout: float = 10.0,
    ) -> bool:
        """Connect and wait for CONNACK; whether the broker still had the session. Raises
        :class:`~dothi.errors.Unauthorized` or ``BrokerUnavailable`` as ``connect`` does."""
        try:
            sock = socket.create_connection((self.broker.host, self.broker.port), timeout=timeout)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self.broker.tls:
                context = ssl.create_default_context()
                sock = context.wrap_socket(sock, server_hostname=self.broker.host)
        except (OSError, ssl.SSLError) as exc:
            raise unreachable(self.broker, exc) from None
        self._sock = sock
        props = b""
        if session_expiry:
            props += b"\x11" + struct.pack("!I", session_expiry)
        if receive_maximum:
            props += b"\x21" + _U16.pack(receive_maximum)
        b = self.broker
        flags = (0x02 if clean_start else 0) | (0x80 if b.username is not None else 0)
        flags |= 0x40 if b.password is not None else 0
        body = _text("MQTT") + bytes([5, flags]) + _U16.pack(self.keepalive) + _properties(props)
        body += _text(self.client_id)
        if b.username is not None:
            body += _text(b.username)
        if b.password is not None:
            body += _text(b.password)
        try:
            sock.sendall(_packet(0x10, body))
            first, packet, rest = self._read_one(sock, timeout)
        except (OSError, ssl.SSLError, ValueError) as exc:
            self._close_socket()
            raise unreachable(self.broker, f"no CONNACK in {timeout:g} s ({exc})") from None
        if first >> 4 != _CONNACK or len(packet) < 2:
            self._close_socket()
            raise _protocol_error(self.broker, "expected CONNACK")
        if packet[1] >= 0x80:
            self._close_socket()
            raise refusal(self.broker, ReasonCode(PacketTypes.CONNACK, identifier=packet[1]))
        sock.settimeout(max(1.0, self.keepalive / 4))
        self._reader = threading.Thread(
            target=self._read_loop, args=(rest,), name=f"mqtt-{self.client_id}", daemon=True
        )
        self._reader.start()
        return bool(packet[0] & 0x01)

    def _read_one(self, sock: socket.socket, timeout: float) -> tuple[int, bytes, bytes]:
        """The first packet (CONNACK) and whatever came after it in the same reads."""
        deadline = time.monotonic() + timeout
        buf = b""
        while True:
            if len(buf) >= 2:
                try:
                    length, start = _skip_varint(buf, 1)
                except IndexError:
                    length, start = -1, 0
                if length >= 0 and len(buf) >= start + length:
                    return buf[0], buf[start : start + length], buf[start + length :]
            sock.settimeout(max(0.01, deadline - time.monotonic()))
            chunk = sock.recv(65536)
            if not chunk:
                raise OSError("the broker closed the connection")
            buf += chunk

    # -- Subscribing, acknowledging, publishing ---------------------------------------------

    def subscribe(self, subscriptions: Sequence[Subscription], timeout: float) -> list[int] | None:
        """Send SUBSCRIBE and wait for SUBACK: its reason codes (≥ 0x80 a refusal), or
        None when none came within ``timeout``."""
        packet_id = self._packet_id()
        body = _U16.pack(packet_id) + _properties()
        body += b"".join(s.encode() for s in subscriptions)
        self._send(_packet(0x82, body))
        with self._suback_ready:
            self._suback_ready.wait_for(
                lambda: packet_id in self._suback or self.lost.is_set(), timeout
            )
            return self._suback.pop(packet_id, None)

    def acknowledge(self, packet_ids: Sequence[int]) -> bool:
        """PUBACK each id, in this order, in one send (with QoS 0 publications waiting);
        False when the connection is gone."""
        acks = b"".join(b"\x40\x02" + _U16.pack(i) for i in packet_ids)
        return self._send(acks)

    def publish(self, topic: str, payload: bytes) -> None:
        """Queue a QoS 0 PUBLISH; it leaves with the next acknowledgement or :meth:`flush`."""
        body = _text(topic) + b"\x00" + payload
        with self._send_lock:
            self._outbox += _packet(0x30, body)

    def flush(self) -> bool:
        """Send the queued publications; False when the connection is gone."""
        return self._send(b"")

    def _send(self, data: bytes) -> bool:
        sock = self._sock
        if sock is None or self.lost.is_set():
            return False
        with self._send_lock:
            if self._outbox:
                data, self._outbox = bytes(self._outbox) + data, bytearray()
            if not data:
                return True
            try:
                sock.sendall(data)
            except (OSError, ssl.SSLError) as exc:
                self._end(unreachable(self.broker, exc))
                return False
            self._last_send = time.monotonic()
        return True

    def _packet_id(self) -> int:
        self._next_id = self._next_id % 65535 + 1
        return self._next_id

    # -- Reading ----------------------------------------------------------------------------

    def _read_loop(self, pending: bytes) -> None:
        sock = self._sock
        assert sock is not None
        buf = bytearray(pending)
        last_heard = time.monotonic()
        try:
            while not self.lost.is_set():
                if buf:
                    used = self._parse(buf)
                    del buf[:used]
                now = time.monotonic()
                if now - self._last_send > self.keepalive / 2:
                    self._send(_PINGREQ)
                if now - last_heard > self.keepalive * 1.5:
                    raise OSError(f"nothing heard for {now - last_heard:.0f} s")
                try:
                    chunk = sock.recv(262144)
                except TimeoutError:
                    continue
                if not chunk:
                    raise OSError("the broker closed the connection")
                buf += chunk
                last_heard = time.monotonic()
        except (OSError, ssl.SSLError) as exc:
            self._end(unreachable(self.broker, exc))
        except ProtocolError as exc:
            self._end(exc)
        except (ValueError, IndexError, UnicodeDecodeError) as exc:
            self._end(_protocol_error(self.broker, str(exc)))

    def _parse(self, buf: bytearray) -> int:
        """Handle the whole packets at the start of ``buf``; how many bytes they took."""
        view = memoryview(buf)
        i, end = 0, len(buf)
        messages: list[Message] = []
        try:
            while i + 2 <= end:
                first = view[i]
                try:
                    length, start = _skip_varint(view, i + 1)
                except IndexError:
                    break  # the length itself is not all here yet
                stop = start + length
                if stop > end:
                    break
                kind = first >> 4
                if kind == _PUBLISH:
                    messages.append(self._publish(first, view[start:stop]))
                elif kind == _SUBACK:
                    self._subacked(view[start:stop])
                elif kind == _DISCONNECT:
                    reason = view[start] if length else 0
                    raise ProtocolError(
                        f"Máy chủ MQTT {self.broker.url} ngắt kết nối (mã 0x{reason:02x}).",
                        f"The MQTT broker {self.broker.url} disconnected (reason 0x{reason:02x}).",
                    )
                elif kind not in (_PINGRESP, _PUBACK):
                    raise _protocol_error(self.broker, f"unexpected packet type {kind}")
                i = stop
        finally:
            view.release()
            if messages:
                self.on_messages(messages)
        return i

    def _publish(self, first: int, body: memoryview) -> Message:
        qos = (first >> 1) & 0x03
        if qos > 1:
            raise _protocol_error(self.broker, "a QoS 2 message on a QoS 1 subscription")
        n = (body[0] << 8) | body[1]
        topic = bytes(body[2 : 2 + n]).decode("utf-8")
        i = 2 + n
        packet_id = 0
        if qos:
            packet_id = (body[i] << 8) | body[i + 1]
            i += 2
        props, i = _skip_varint(body, i)
        return Message(
            topic, bytes(body[i + props :]), qos, bool(first & 0x01), bool(first & 0x08), packet_id
        )

    def _subacked(self, body: memoryview) -> None:
        packet_id = (body[0] << 8) | body[1]
        props, i = _skip_varint(body, 2)
        with self._suback_ready:
            self._suback[packet_id] = list(body[i + props :])
            self._suback_ready.notify_all()

    # -- Ending -----------------------------------------------------------------------------

    def _end(self, error: DothiError) -> None:
        if not self.lost.is_set():
            self.error = error
            self.lost.set()
        with self._suback_ready:
            self._suback_ready.notify_all()

    def close(self) -> None:
        """Send DISCONNECT (the session stays as agreed at CONNECT) and close."""
        if self._sock is not None and not self.lost.is_set():
            self._send(b"\xe0\x00")
        self.lost.set()
        self._close_socket()
        if self._reader is not None and self._reader is not threading.current_thread():
            self._reader.join(5)

    def _close_socket(self) -> None:
        sock, self._sock = self._sock, None
        if sock is not None:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()
