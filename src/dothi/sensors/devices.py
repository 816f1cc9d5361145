"""Devices and the broker: which broker Dothi uses, and each Thing's MQTT credentials.

The broker is ``DOTHI_MQTT_URL`` (any MQTT 3.1.1/5 broker; its user must be allowed to
subscribe to ``v1.1/#`` and, for device credentials, to run mosquitto's dynamic-security
commands), or else the private mosquitto in the data folder (``<data>/mqtt``), which the
demo starts. A Thing's device gets the user ``thing-<id>`` and a password shown once; it
may publish only to its own Datastreams' topics and receive only its own tasks.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Mapping

from sqlalchemy import Connection, Table, delete, select, update

from dothi.auth.policy import DEVICE_ROLE, Principal
from dothi.config import Settings
from dothi.errors import ConfigError
from dothi.sensors.mqtt.dynsec import Credentials, DeviceTopics, DynSec
from dothi.sensors.mqtt.local import LocalBroker
from dothi.sensors.mqtt.settings import Broker, broker_from_env
from dothi.sensors.sta.model import BY_NAME
from dothi.sensors.sta.times import now_micros
from dothi.sensors.sta.writes import require_exists
from dothi.sensors.tables import datastream, device, multi_datastream, tasking_capability

_USERNAME = re.compile(r"^thing-(\d{1,18})$")


def admin_broker(settings: Settings, environ: Mapping[str, str] | None = None) -> Broker:
    """The broker as its administrator, to provision devices: ``DOTHI_MQTT_URL`` (its user
    must run mosquitto's dynamic-security commands) or the private broker's administrator."""
    given = broker_from_env(os.environ if environ is None else environ)
    if given is not None:
        return given
    return LocalBroker.in_data_folder(settings.data_dir).admin


def server_broker(settings: Settings, environ: Mapping[str, str] | None = None) -> Broker | None:
    """The broker as Dothi's own clients use it (subscribe ``v1.1/#``, publish under
    ``v1.1/``): ``DOTHI_MQTT_URL``, or the private broker once it has been started here
    (its port is known); None when there is neither."""
    given = broker_from_env(os.environ if environ is None else environ)
    if given is not None:
        return given
    local = LocalBroker.in_data_folder(settings.data_dir)
    if not (local.admin_path.is_file() and local.port_path.is_file()):
        return None
    return local.server()


def require_server_broker(settings: Settings) -> Broker:
    """:func:`server_broker`, or a message that says how to get one."""
    found = server_broker(settings)
    if found is None:
        raise ConfigError(
            "Chưa có máy chủ MQTT: chạy `dothi sensors broker` (hoặc `dothi demo`), hoặc đặt "
            "DOTHI_MQTT_URL.",
            "No MQTT broker yet: run `dothi sensors broker` (or `dothi demo`), or set "
            "DOTHI_MQTT_URL.",
        )
    return found


def device_topics(conn: Connection, thing_id: int) -> DeviceTopics:
    """What the Thing's device may use: its Datastreams, MultiDatastreams and
    TaskingCapabilities."""
    require_exists(conn, BY_NAME["Thing"], thing_id)

    def ids(table: Table) -> list[int]:
        found = conn.execute(select(table.c.id).where(table.c.thing_id == thing_id))
        return [int(i) for i in found.scalars()]

    return DeviceTopics.of(ids(datastream), ids(multi_datastream), ids(tasking_capability))


def issue_credentials(broker: Broker, topics: DeviceTopics, thing_id: int) -> Credentials:
    """New credentials for the Thing's device on the broker (the old password stops
    working there); :func:`record_credentials` makes them good for HTTP too."""
    with DynSec(broker) as dynsec:
        return dynsec.provision_thing(thing_id, topics)


def record_credentials(conn: Connection, thing_id: int, creds: Credentials) -> None:
    """Keep the hash of the device's password, for its HTTP requests."""
    digest = _digest(creds.password)
    conn.execute(delete(device).where(device.c.thing_id == thing_id))
    conn.execute(
        device.insert().values(thing_id=thing_id, password_sha256=digest, issued_at=now_micros())
    )


def forget_credentials(conn: Connection, thing_id: int) -> None:
    """The device's password no longer opens HTTP either."""
    conn.execute(
        update(device)
        .where(device.c.thing_id == thing_id, device.c.revoked_at.is_(None))
        .values(revoked_at=now_micros())
    )


def device_principal(conn: Connection, username: str, password: str) -> Principal | None:
    """The device a ``thing-<id>`` user name and password belong to, or None."""
    m = _USERNAME.match(username)
    digest = _digest(password)
    row = None
    if m is not None:
        row = conn.execute(
            select(device.c.password_sha256).where(
                device.c.thing_id == int(m.group(1)), device.c.revoked_at.is_(None)
            )
        ).first()
    # Compared in constant time, and compared even for unknown names.
    stored = row[0] if row is not None else "0" * 64
    if not hmac.compare_digest(stored, digest) or m is None or row is None:
        return None
    return Principal(id=None, name=username, role=DEVICE_ROLE, device_thing=int(m.group(1)))


def _digest(password: str) -> str:
    return hashlib.sha256(password.encode()).hexdigest()


def refresh_topics(broker: Broker, topics: DeviceTopics, thing_id: int) -> None:
    """The device's rules follow its Thing's Datastreams and TaskingCapabilities."""
    with DynSec(broker) as dynsec:
        dynsec.update_thing_topics(thing_id, topics)


def revoke_credentials(broker: Broker, thing_id: int) -> None:
    """The device may no longer connect."""
    with DynSec(broker) as dynsec:
        dynsec.revoke_thing(thing_id)
