"""paho-mqtt clients for a :class:`~dothi.sensors.mqtt.settings.Broker`: made alike
(MQTT v5, the callback API of paho 2), connected with errors a user can act on."""

from __future__ import annotations

import ssl
import threading
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from paho.mqtt.packettypes import PacketTypes
from paho.mqtt.properties import Properties
from paho.mqtt.reasoncodes import ReasonCode

from dothi.errors import DothiError, Unauthorized
from dothi.sensors.mqtt.settings import Broker

#: CONNACK reason codes that mean "these credentials are not accepted" (MQTT 5.0, 3.2.2.2).
REFUSED_CREDENTIALS = {134: "Bad user name or password", 135: "Not authorized", 138: "Banned"}


class BrokerUnavailable(DothiError):
    """The MQTT broker cannot be reached or refused to work (HTTP 503)."""

    status = 503
    code = "BrokerUnavailable"


def new_client(
    broker: Broker,
    client_id: str = "",
    *,
    manual_ack: bool = False,
    reconnect_on_failure: bool = True,
) -> mqtt.Client:
    """A paho client for ``broker`` (MQTT v5, TLS for ``mqtts://``), not yet connected."""
    client = mqtt.Client(
        CallbackAPIVersion.VERSION2,
        client_id=client_id,
        protocol=mqtt.MQTTv5,
        reconnect_on_failure=reconnect_on_failure,
        manual_ack=manual_ack,
    )
    if broker.username is not None:
        client.username_pw_set(broker.username, broker.password)
    if broker.tls:
        client.tls_set_context(ssl.create_default_context())
    return client


def connect_properties(*, session_expiry: int = 0, receive_maximum: int = 0) -> Properties:
    """CONNECT properties: how long the broker keeps the session after a disconnect
    (seconds, 0: not at all) and how many unacknowledged QoS 1 messages it may send at
    once (0: the protocol's default, 65,535)."""
    props = Properties(PacketTypes.CONNECT)  # type: ignore[no-untyped-call]
    if session_expiry:
        props.SessionExpiryInterval = session_expiry
    if receive_maximum:
        props.ReceiveMaximum = receive_maximum
    return props


def refusal(broker: Broker, reason: ReasonCode) -> DothiError:
    """The error for a CONNACK that refused the connection."""
    who = broker.username or "(ẩn danh)"
    who_en = broker.username or "(anonymous)"
    if reason.value in REFUSED_CREDENTIALS:
        return Unauthorized(
            f"Máy chủ MQTT {broker.url} từ chối đăng nhập của {who}: {reason.getName()}. "
            "Kiểm tra tên người dùng và mật khẩu.",
            f"The MQTT broker {broker.url} refused {who_en}: {reason.getName()}. "
            "Check the user name and password.",
        )
    return BrokerUnavailable(
        f"Máy chủ MQTT {broker.url} từ chối kết nối: {reason.getName()}.",
        f"The MQTT broker {broker.url} refused the connection: {reason.getName()}.",
    )


def unreachable(broker: Broker, exc: BaseException | str) -> BrokerUnavailable:
    """The error for a broker that cannot be reached."""
    return BrokerUnavailable(
        f"Không kết nối được máy chủ MQTT {broker.url} ({exc}). Máy chủ có đang chạy không?",
        f"Cannot reach the MQTT broker {broker.url} ({exc}). Is it running?",
    )


def connect(
    client: mqtt.Client,
    broker: Broker,
    *,
    timeout: float = 10.0,
    clean_start: bool = True,
    properties: Properties | None = None,
    keepalive: int = 30,
) -> bool:
    """Connect ``client``, start its network thread and wait for the broker's answer.

    Returns whether the broker still had a session for this client id. Raises
    :class:`~dothi.errors.Unauthorized` for refused credentials and
    :class:`BrokerUnavailable` when the broker cannot be reached or does not answer; the
    network thread is stopped then.
    """
    answered = threading.Event()
    answer: dict[str, Any] = {}
    chained: Any = client.on_connect

    def on_connect(c: mqtt.Client, userdata: Any, flags: Any, reason: Any, props: Any) -> None:
        if not answered.is_set():
            answer["reason"], answer["session"] = reason, flags.session_present
            answered.set()
        if chained is not None:
            chained(c, userdata, flags, reason, props)

    client.on_connect = on_connect
    try:
        client.connect(
            broker.host,
            broker.port,
            keepalive=keepalive,
            clean_start=clean_start,
            properties=properties,
        )
    except (OSError, ssl.SSLError) as exc:
        client.on_connect = chained
        raise unreachable(broker, exc) from None
    client.loop_start()
    ok = answered.wait(timeout)
    client.on_connect = chained
    reason: ReasonCode | None = answer.get("reason")
    if ok and reason is not None and not reason.is_failure:
        return bool(answer["session"])
    client.disconnect()
    client.loop_stop()
    if reason is None:
        raise unreachable(broker, f"no CONNACK in {timeout:g} s")
    raise refusal(broker, reason)
