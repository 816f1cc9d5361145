"""A minimal MQTT 5 client on a plain socket, for load generation only: QoS 1 PUBLISH with
a window of unacknowledged messages, and a bare QoS 1 subscriber that only counts.

paho-mqtt spends some 100 µs of Python per message; a load generator written with it
would be the bottleneck of the very ceilings it is meant to measure. Here a message is a
few bytes appended to a buffer, sent in bulk, and acknowledgements are parsed in bulk.
Only what the benchmark needs is implemented (MQTT 5.0 §3.1–3.9); it is not a client for
anything else.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Callable


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        byte, n = n % 128, n // 128
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _str(s: str | bytes) -> bytes:
    b = s.encode() if isinstance(s, str) else s
    return struct.pack("!H", len(b)) + b


def _packet(first: int, body: bytes) -> bytes:
    return bytes([first]) + _varint(len(body)) + body


class Wire:
    """One connection; :meth:`packets` splits what came in into (type byte, body)."""

    def __init__(
        self,
        host: str,
        port: int,
        client_id: str,
        username: str | None,
        password: str | None,
        receive_maximum: int = 65535,
    ) -> None:
        self.sock = socket.create_connection((host, port), timeout=30)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        flags = 0x02 | (0x80 if username else 0) | (0x40 if password else 0)
        props = b"\x21" + struct.pack("!H", receive_maximum)
        body = _str("MQTT") + bytes([5, flags]) + struct.pack("!H", 60)
        body += _varint(len(props)) + props + _str(client_id)
        if username:
            body += _str(username)
        if password:
            body += _str(password)
        self.buf = b""
        self.sock.sendall(_packet(0x10, body))
        kind, ack = self._one()
        if kind >> 4 != 2 or ack[1] != 0:
            raise ConnectionError(f"CONNACK refused: {ack[1:2].hex()}")
        #: How many unacknowledged QoS 1 messages the broker takes (its Receive Maximum).
        self.window = 65535
        plen_end = 2
        n, shift = 0, 0
        while True:
            b = ack[plen_end]
            n |= (b & 0x7F) << shift
            plen_end += 1
            shift += 7
            if not b & 0x80:
                break
        props, i = ack[plen_end : plen_end + n], 0
        while i < len(props):
            pid, i = props[i], i + 1
            if pid == 0x21:
                self.window = struct.unpack_from("!H", props, i)[0]
            if pid in _PROP_SIZE:
                i += _PROP_SIZE[pid]
            elif pid in _STRING_PROPS:
                i += 2 + struct.unpack_from("!H", props, i)[0]
            elif pid == 0x26:  # a user property: two strings
                for _ in range(2):
                    i += 2 + struct.unpack_from("!H", props, i)[0]
            else:
                break

    def _one(self) -> tuple[int, bytes]:
        while True:
            got = self.packets()
            if got:
                return got[0]
            data = self.sock.recv(65536)
            if not data:
                raise ConnectionError("the broker closed the connection")
            self.buf += data

    def packets(self) -> list[tuple[int, bytes]]:
        """Complete packets in the buffer (the rest stays for the next call)."""
        out = []
        buf, i = self.buf, 0
        while i + 2 <= len(buf):
            n, shift, j = 0, 0, i + 1
            while j < len(buf):
                b = buf[j]
                n |= (b & 0x7F) << shift
                shift += 7
                j += 1
                if not b & 0x80:
                    break
            else:
                break
            if j + n > len(buf):
                break
            out.append((buf[i], buf[j : j + n]))
            i = j + n
        self.buf = buf[i:]
        return out

    def read(self) -> list[tuple[int, bytes]]:
        """Block until something comes; the complete packets."""
        data = self.sock.recv(1 << 18)
        if not data:
            raise ConnectionError("the broker closed the connection")
        self.buf += data
        return self.packets()

    def close(self) -> None:
        try:
            self.sock.sendall(b"\xe0\x00")
        finally:
            self.sock.close()


# Sizes of the CONNACK properties, to walk past the ones this client does not use.
_PROP_SIZE = {
    0x11: 4,
    0x13: 2,
    0x21: 2,
    0x22: 2,
    0x24: 1,
    0x25: 1,
    0x27: 4,
    0x28: 1,
    0x29: 1,
    0x2A: 1,
}
_STRING_PROPS = {0x12, 0x15, 0x16, 0x1A, 0x1C, 0x1F}


def publish_packet(topic: bytes, packet_id: int, payload: bytes) -> bytes:
    """A QoS 1 PUBLISH without properties."""
    body = struct.pack("!H", len(topic)) + topic + struct.pack("!H", packet_id) + b"\x00" + payload
    return b"\x32" + _varint(len(body)) + body


def count_pubacks(packets: list[tuple[int, bytes]]) -> int:
    """How many of ``packets`` are PUBACKs with a success code."""
    n = 0
    for kind, body in packets:
        if kind >> 4 == 4:
            if len(body) > 2 and body[2] >= 0x80:
                raise ConnectionError(f"PUBACK refused: {body[2]:#x}")
            n += 1
        elif kind >> 4 == 14:
            raise ConnectionError(f"DISCONNECT from the broker: {body[:1].hex()}")
    return n


def subscribe(wire: Wire, topic_filter: str) -> None:
    """SUBSCRIBE at QoS 1 and wait for the SUBACK."""
    body = struct.pack("!H", 1) + b"\x00" + _str(topic_filter) + b"\x01"
    wire.sock.sendall(_packet(0x82, body))
    while True:
        for kind, ack in wire.read():
            if kind >> 4 == 9:
                if ack[-1] >= 0x80:
                    raise ConnectionError(f"SUBACK refused: {ack[-1]:#x}")
                return


def count_messages(wire: Wire, add: Callable[[int], None], running: Callable[[], bool]) -> None:
    """Acknowledge and count QoS 1 messages until ``running()`` is false."""
    wire.sock.settimeout(0.2)
    while running():
        try:
            packets = wire.read()
        except TimeoutError:
            continue
        acks = []
        n = 0
        for kind, body in packets:
            if kind >> 4 != 3:
                continue
            n += 1
            if kind & 0x06:  # QoS 1: topic, then the packet id
                (tlen,) = struct.unpack_from("!H", body, 0)
                acks.append(b"\x40\x02" + body[2 + tlen : 4 + tlen])
        if acks:
            wire.sock.sendall(b"".join(acks))
        if n:
            add(n)
