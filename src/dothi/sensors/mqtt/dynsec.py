"""Device credentials and access rules through mosquitto's dynamic-security plugin.

Commands are JSON published by the administrator to ``$CONTROL/dynamic-security/v1``;
the plugin answers each on ``…/v1/response`` with the ``correlationData`` it was given,
and an ``error`` when it refused. Every call here waits for its answers and raises a
bilingual error for a refusal, so a caller never believes a device provisioned when it
is not.

Each Thing's device is a client ``thing-<id>`` with a role of the same name that lets it
publish only to its own Datastreams' and MultiDatastreams' observation topics and
subscribe only to its own TaskingCapabilities' task topics. Dothi's own server client has
a role to subscribe to all of ``v1.1/#`` (shared subscriptions included) and publish
entity updates and tasks there. By default nobody may publish or subscribe.
"""

from __future__ import annotations

import contextlib
import json
import secrets
import threading
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

import paho.mqtt.client as mqtt

from dothi.errors import Conflict, DothiError, InvalidInput, NotFound, Unauthorized
from dothi.sensors.mqtt.client import BrokerUnavailable, connect, new_client
from dothi.sensors.mqtt.settings import Broker
from dothi.sensors.mqtt.topics import (
    VERSION,
    multi_observations_topic,
    observations_topic,
    tasks_topic,
    thing_username,
)

CONTROL_TOPIC = "$CONTROL/dynamic-security/v1"
RESPONSE_TOPIC = f"{CONTROL_TOPIC}/response"
#: Dothi's own client: ingest of observations and tasks, fan-out of updates.
SERVER_USERNAME = "dothi-server"
SERVER_ROLE = "dothi-server"

Command = Mapping[str, Any]


def new_password() -> str:
    """A generated password (32 URL-safe characters, 192 bits)."""
    return secrets.token_urlsafe(24)


@dataclass(frozen=True)
class Credentials:
    """A user name and its password, to hand to a device once."""

    username: str
    password: str = field(repr=False)


def _ids(values: Iterable[int]) -> frozenset[int]:
    return frozenset(values)


@dataclass(frozen=True)
class DeviceTopics:
    """What a Thing's device may use, by ``@iot.id``: its Datastreams and MultiDatastreams
    (it publishes their observations) and its TaskingCapabilities (it receives their
    tasks)."""

    datastreams: frozenset[int] = frozenset()
    multi_datastreams: frozenset[int] = frozenset()
    tasking_capabilities: frozenset[int] = frozenset()

    @classmethod
    def of(
        cls,
        datastreams: Iterable[int] = (),
        multi_datastreams: Iterable[int] = (),
        tasking_capabilities: Iterable[int] = (),
    ) -> DeviceTopics:
        """Built from any iterables of ids."""
        return cls(_ids(datastreams), _ids(multi_datastreams), _ids(tasking_capabilities))

    def acls(self) -> list[dict[str, Any]]:
        """The role's access rules: literal topics only, no wildcard."""
        publish = [observations_topic(i) for i in sorted(self.datastreams)]
        publish += [multi_observations_topic(i) for i in sorted(self.multi_datastreams)]
        tasks = [tasks_topic(i) for i in sorted(self.tasking_capabilities)]
        return [
            *({"acltype": "publishClientSend", "topic": t, "allow": True} for t in publish),
            *({"acltype": "subscribeLiteral", "topic": t, "allow": True} for t in tasks),
        ]


def server_acls() -> list[dict[str, Any]]:
    """The server's rules: subscribe to ``v1.1/#`` (also through ``$share/<group>/``),
    publish anywhere under ``v1.1/``, and read the broker's log of subscriptions."""
    return [
        {"acltype": "subscribePattern", "topic": f"{VERSION}/#", "allow": True},
        {"acltype": "subscribePattern", "topic": f"$share/+/{VERSION}/#", "allow": True},
        {"acltype": "publishClientSend", "topic": f"{VERSION}/#", "allow": True},
        # Who subscribes to what, from the broker's log (the $select variants of updates).
        {"acltype": "subscribePattern", "topic": "$SYS/broker/log/M/#", "allow": True},
    ]


def _refused(command: Command, error: str) -> DothiError:
    name = command.get("command", "?")
    subject = command.get("username") or command.get("rolename") or ""
    about = f" ({subject})" if subject else ""
    vi = f"Máy chủ MQTT từ chối lệnh {name}{about}: {error}."
    en = f"The MQTT broker refused {name}{about}: {error}."
    lowered = error.lower()
    if "already exists" in lowered:
        return Conflict(vi, en)
    if "not found" in lowered or "does not exist" in lowered:
        return NotFound(vi, en)
    if "internal error" in lowered:
        return BrokerUnavailable(vi, en)
    return InvalidInput(vi, en)


class DynSec:
    """The administrator's connection to the plugin; use as a context manager.

    ``admin`` carries the administrator's credentials (for the local broker:
    :attr:`LocalBroker.admin <dothi.sensors.mqtt.local.LocalBroker.admin>`).
    """

    def __init__(self, admin: Broker, *, timeout: float = 10.0) -> None:
        self.admin = admin
        self.timeout = timeout
        self._client: mqtt.Client | None = None
        self._answers: dict[str, dict[str, Any]] = {}
        self._waiting: set[str] = set()
        self._cond = threading.Condition()

    # -- Connection -------------------------------------------------------------------------

    def open(self) -> DynSec:
        """Connect and subscribe to the answers; returns self."""
        if self._client is not None:
            return self
        client = new_client(self.admin, f"dothi-dynsec-{uuid.uuid4().hex[:12]}")
        client.on_message = self._on_message
        subscribed = threading.Event()
        granted: list[Any] = []

        def on_subscribe(c: Any, userdata: Any, mid: Any, codes: Any, props: Any) -> None:
            granted.extend(codes)
            subscribed.set()

        client.on_subscribe = on_subscribe
        connect(client, self.admin, timeout=self.timeout)
        client.subscribe(RESPONSE_TOPIC, qos=1)
        if not subscribed.wait(self.timeout) or any(code.is_failure for code in granted):
            client.disconnect()
            client.loop_stop()
            raise BrokerUnavailable(
                f"Tài khoản {self.admin.username} không nhận được trả lời của plugin "
                f"dynamic-security trên {self.admin.url} (không phải quản trị?).",
                f"{self.admin.username} cannot read the dynamic-security plugin's answers on "
                f"{self.admin.url} (not its administrator?).",
            )
        self._client = client
        return self

    def close(self) -> None:
        """Disconnect."""
        client, self._client = self._client, None
        if client is not None:
            client.disconnect()
            client.loop_stop()

    def __enter__(self) -> DynSec:
        return self.open()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _on_message(self, client: Any, userdata: Any, message: mqtt.MQTTMessage) -> None:
        try:
            responses = json.loads(message.payload)["responses"]
        except (ValueError, KeyError, TypeError):
            return
        with self._cond:
            for response in responses:
                key = response.get("correlationData") if isinstance(response, dict) else None
                if key in self._waiting:
                    self._answers[key] = response
            self._cond.notify_all()

    # -- Commands ---------------------------------------------------------------------------

    def run(self, commands: Sequence[Command]) -> list[dict[str, Any]]:
        """Send ``commands`` in one message and return the plugin's answers in order.

        Raises :class:`~dothi.errors.Conflict` (already exists),
        :class:`~dothi.errors.NotFound`, :class:`~dothi.errors.InvalidInput` or
        :class:`BrokerUnavailable` for the first command refused (the ones before it
        took effect), and :class:`BrokerUnavailable` when no answer comes in time.
        """
        client = self.open()._client
        assert client is not None
        keys = [uuid.uuid4().hex for _ in commands]
        payload = {
            "commands": [{**c, "correlationData": k} for c, k in zip(commands, keys, strict=True)]
        }
        with self._cond:
            self._waiting.update(keys)
        try:
            info = client.publish(CONTROL_TOPIC, json.dumps(payload), qos=1)
            if info.rc != mqtt.MQTT_ERR_SUCCESS:
                raise BrokerUnavailable(
                    f"Không gửi được lệnh tới {self.admin.url}: {mqtt.error_string(info.rc)}.",
                    f"Could not send the command to {self.admin.url}: "
                    f"{mqtt.error_string(info.rc)}.",
                )
            with self._cond:
                done = self._cond.wait_for(
                    lambda: all(k in self._answers for k in keys), self.timeout
                )
                answers = [self._answers.pop(k, None) for k in keys]
        finally:
            with self._cond:
                self._waiting.difference_update(keys)
        if not done:
            raise BrokerUnavailable(
                f"Plugin dynamic-security trên {self.admin.url} không trả lời sau "
                f"{self.timeout:g} giây.",
                f"The dynamic-security plugin on {self.admin.url} did not answer in "
                f"{self.timeout:g} s.",
            )
        results: list[dict[str, Any]] = []
        for command, answer in zip(commands, answers, strict=True):
            assert answer is not None
            if answer.get("error"):
                raise _refused(command, str(answer["error"]))
            results.append(answer)
        return results

    def one(self, command: Command) -> dict[str, Any]:
        """Run one command and return its answer (see :meth:`run`)."""
        return self.run([command])[0]

    # -- The broker's defaults --------------------------------------------------------------

    def deny_by_default(self) -> None:
        """Nobody may publish or subscribe unless a role allows it (what a fresh local
        broker has already; for an external broker set up by hand)."""
        self.one(
            {
                "command": "setDefaultACLAccess",
                "acls": [
                    {"acltype": "publishClientSend", "allow": False},
                    {"acltype": "publishClientReceive", "allow": True},
                    {"acltype": "subscribe", "allow": False},
                    {"acltype": "unsubscribe", "allow": True},
                ],
            }
        )

    def _put_role(self, rolename: str, acls: list[dict[str, Any]], text: str) -> None:
        try:
            self.one(
                {"command": "createRole", "rolename": rolename, "textname": text, "acls": acls}
            )
        except Conflict:
            self.one({"command": "modifyRole", "rolename": rolename, "acls": acls})

    def _put_client(self, username: str, password: str, rolename: str, text: str) -> None:
        roles = [{"rolename": rolename, "priority": 0}]
        try:
            self.one(
                {
                    "command": "createClient",
                    "username": username,
                    "password": password,
                    "textname": text,
                    "roles": roles,
                }
            )
        except Conflict:
            self.one(
                {
                    "command": "modifyClient",
                    "username": username,
                    "password": password,
                    "roles": roles,
                }
            )
            self.one({"command": "enableClient", "username": username})

    def provision_server(
        self, username: str = SERVER_USERNAME, password: str | None = None
    ) -> Credentials:
        """Create (or reset) Dothi's own client with the server's role; returns its
        credentials (``password`` given, or generated)."""
        password = password or new_password()
        self._put_role(SERVER_ROLE, server_acls(), "Dothi: máy chủ / server")
        self._put_client(username, password, SERVER_ROLE, "Dothi: máy chủ / server")
        return Credentials(username, password)

    # -- Things' devices --------------------------------------------------------------------

    def provision_thing(self, thing_id: int, topics: DeviceTopics) -> Credentials:
        """Create (or reset, with a new password) the device client ``thing-<id>`` and its
        role for ``topics``; returns the credentials to hand to the device."""
        username = thing_username(thing_id)
        password = new_password()
        text = f"Thing {thing_id}"
        self._put_role(username, topics.acls(), text)
        self._put_client(username, password, username, text)
        return Credentials(username, password)

    def update_thing_topics(self, thing_id: int, topics: DeviceTopics) -> None:
        """Replace what the device may use (Datastreams or TaskingCapabilities added or
        removed); a connected device stays connected and the new rules apply to its next
        publish or subscribe."""
        self.one(
            {"command": "modifyRole", "rolename": thing_username(thing_id), "acls": topics.acls()}
        )

    def rotate_password(self, thing_id: int) -> Credentials:
        """Give the device a new password; the old one stops working at once (the broker
        disconnects a device still using it)."""
        username = thing_username(thing_id)
        password = new_password()
        self.one({"command": "setClientPassword", "username": username, "password": password})
        return Credentials(username, password)

    def disable_thing(self, thing_id: int) -> None:
        """Refuse the device's connections (and end the current one) until enabled."""
        self.one({"command": "disableClient", "username": thing_username(thing_id)})

    def enable_thing(self, thing_id: int) -> None:
        """Accept the device's connections again."""
        self.one({"command": "enableClient", "username": thing_username(thing_id)})

    def revoke_thing(self, thing_id: int) -> None:
        """Delete the device's client and role for good (a connected device is
        disconnected); nothing happens for a Thing never provisioned."""
        username = thing_username(thing_id)
        for command in (
            {"command": "deleteClient", "username": username},
            {"command": "deleteRole", "rolename": username},
        ):
            with contextlib.suppress(NotFound):
                self.one(command)

    def get_client(self, username: str) -> dict[str, Any] | None:
        """The plugin's record of ``username`` (roles, ``disabled``…), or ``None``."""
        try:
            answer = self.one({"command": "getClient", "username": username})
        except NotFound:
            return None
        client: dict[str, Any] = answer["data"]["client"]
        return client


def anonymous_refused(broker: Broker, *, timeout: float = 10.0) -> bool:
    """Whether ``broker`` refuses a client without credentials (it must: a device may
    only publish as itself)."""
    client = new_client(broker.anonymous(), f"dothi-check-{uuid.uuid4().hex[:12]}")
    try:
        connect(client, broker.anonymous(), timeout=timeout)
    except Unauthorized:
        return True
    client.disconnect()
    client.loop_stop()
    return False
