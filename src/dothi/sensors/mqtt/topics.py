"""The SensorThings MQTT topics Dothi uses (OGC 18-088, 14.2 and 14.3; Tasking Core)."""

from __future__ import annotations

VERSION = "v1.1"
#: What the server subscribes to for creation by publish: observations of Datastreams
#: and MultiDatastreams, tasks of TaskingCapabilities.
INGEST_FILTERS = (f"{VERSION}/+/Observations", f"{VERSION}/+/Tasks")


def _check_id(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"an @iot.id is a positive integer, not {value!r}")
    return value


def observations_topic(datastream_id: int) -> str:
    """``v1.1/Datastreams(ID)/Observations``: a device publishes its observations there."""
    return f"{VERSION}/Datastreams({_check_id(datastream_id)})/Observations"


def multi_observations_topic(multi_datastream_id: int) -> str:
    """``v1.1/MultiDatastreams(ID)/Observations``."""
    return f"{VERSION}/MultiDatastreams({_check_id(multi_datastream_id)})/Observations"


def tasks_topic(tasking_capability_id: int) -> str:
    """``v1.1/TaskingCapabilities(ID)/Tasks``: tasks are created by publishing there, and a
    device receives its tasks by subscribing to it (the server republishes after commit)."""
    return f"{VERSION}/TaskingCapabilities({_check_id(tasking_capability_id)})/Tasks"


def thing_username(thing_id: int) -> str:
    """The MQTT user name of a Thing's device: ``thing-<id>``."""
    return f"thing-{_check_id(thing_id)}"
