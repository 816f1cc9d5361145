"""Devices and the broker: which broker Dothi uses, and each Thing's MQTT credentials.

The broker is ``DOTHI_MQTT_URL`` (any MQTT 3.1.1/5 broker; its user must be allowed to
subscribe to ``v1.1/#`` and, for device credentials, to run mosquitto's dynamic-security
commands), or else the private mosquitto in the data folder (``<data>/mqtt``), which the
demo starts. A Thing's device gets the user ``thing-<id>`` and a password shown once; it
may publish only to its own Datastreams' topics and receive only its own tasks.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from sqlalchemy import Connection, Table, select

from dothi.config import Settings
from dothi.sensors.mqtt.dynsec import Credentials, DeviceTopics, DynSec
from dothi.sensors.mqtt.local import LocalBroker
from dothi.sensors.mqtt.settings import Broker, broker_from_env
from dothi.sensors.sta.model import BY_NAME
from dothi.sensors.sta.writes import require_exists
from dothi.sensors.tables import datastream, multi_datastream, tasking_capability


def server_broker(settings: Settings, environ: Mapping[str, str] | None = None) -> Broker:
    """The broker Dothi's own clients connect to, with credentials that may administer it."""
    given = broker_from_env(os.environ if environ is None else environ)
    if given is not None:
        return given
    return LocalBroker.in_data_folder(settings.data_dir).admin


def device_topics(conn: Connection, thing_id: int) -> DeviceTopics:
    """What the Thing's device may use: its Datastreams, MultiDatastreams and
    TaskingCapabilities."""
    require_exists(conn, BY_NAME["Thing"], thing_id)

    def ids(table: Table) -> list[int]:
        found = conn.execute(select(table.c.id).where(table.c.thing_id == thing_id))
        return [int(i) for i in found.scalars()]

    return DeviceTopics.of(ids(datastream), ids(multi_datastream), ids(tasking_capability))


def issue_credentials(broker: Broker, topics: DeviceTopics, thing_id: int) -> Credentials:
    """New credentials for the Thing's device (the old password stops working)."""
    with DynSec(broker) as dynsec:
        return dynsec.provision_thing(thing_id, topics)


def refresh_topics(broker: Broker, topics: DeviceTopics, thing_id: int) -> None:
    """The device's rules follow its Thing's Datastreams and TaskingCapabilities."""
    with DynSec(broker) as dynsec:
        dynsec.update_thing_topics(thing_id, topics)


def revoke_credentials(broker: Broker, thing_id: int) -> None:
    """The device may no longer connect."""
    with DynSec(broker) as dynsec:
        dynsec.revoke_thing(thing_id)
