"""The SensorThings API 1.1 data model (OGC 18-088, Part 1) and Tasking Core (OGC 17-079), as
data: every entity type with its properties and navigation links, and where each is stored.

Everything that reads or writes entities (paths, query options, JSON, deep insert, MQTT
topics) walks this registry instead of naming entity types one by one, so that a property
or a relation exists in exactly one place.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from dothi.errors import NotFound

#: How a property's value is stored and checked.
#:
#: - ``text``: a string; ``json``: any JSON (stored as text); ``object``: a JSON object;
#: - ``time``: an ISO 8601 instant (µs since the epoch in storage);
#: - ``interval``: an instant or ``start/end`` (two µs columns, ``_end`` NULL for an instant);
#: - ``geojson``: a GeoJSON geometry (or Feature) kept as given, with an indexed ``geom``;
#: - ``result``: an Observation's result (number, string, boolean or JSON);
#: - ``derived``: computed by the server, never written by clients.
Kind = Literal["text", "json", "object", "time", "interval", "geojson", "result", "derived"]


@dataclass(frozen=True)
class Prop:
    """One property of an entity type."""

    name: str
    kind: Kind
    #: The column (or, for ``interval``/``result``, the column stem) that stores it.
    column: str
    #: Clients must give it on create.
    required: bool = False


@dataclass(frozen=True)
class Nav:
    """One navigation link from an entity type to another.

    Exactly one of ``local`` (this table's column holds the target's id), ``remote`` (the
    target table's column holds this entity's id) or ``link`` (a table of pairs
    ``(table, this_column, target_column)``) says how the two are joined.
    """

    name: str
    target: str
    many: bool
    local: str | None = None
    remote: str | None = None
    link: tuple[str, str, str] | None = None
    #: An entity cannot be created without it (Datastream → Thing, Sensor, ObservedProperty).
    required: bool = False


@dataclass(frozen=True)
class EntityType:
    """One entity type: its singular name (``Thing``), its set (``Things``), its table."""

    name: str
    set_name: str
    table: str
    props: tuple[Prop, ...]
    navs: tuple[Nav, ...]

    def prop(self, name: str) -> Prop | None:
        """The property called ``name``, if any."""
        return self._props_by_name.get(name)

    def nav(self, name: str) -> Nav | None:
        """The navigation link called ``name``, if any."""
        return self._navs_by_name.get(name)

    # Looked up for every property of every entity read or written: by name, not by scan.
    @cached_property
    def _props_by_name(self) -> dict[str, Prop]:
        return {p.name: p for p in self.props}

    @cached_property
    def _navs_by_name(self) -> dict[str, Nav]:
        return {n.name: n for n in self.navs}


def _described(*extra: Prop) -> tuple[Prop, ...]:
    return (
        Prop("name", "text", "name", True),
        Prop("description", "text", "description", True),
        *extra,
    )


_TL = "sta_thing_location"
_MDP = "sta_multi_datastream_property"
_PROPERTIES = Prop("properties", "object", "properties")
_ENCODED = Prop("encodingType", "text", "encoding_type", True)

ENTITY_TYPES: tuple[EntityType, ...] = (
    EntityType(
        "Thing",
        "Things",
        "sta_thing",
        _described(_PROPERTIES),
        (
            Nav(
                "Locations",
                "Location",
                True,
                link=(_TL, "thing_id", "location_id"),
            ),
            Nav("HistoricalLocations", "HistoricalLocation", True, remote="thing_id"),
            Nav("Datastreams", "Datastream", True, remote="thing_id"),
            Nav("MultiDatastreams", "MultiDatastream", True, remote="thing_id"),
            Nav("TaskingCapabilities", "TaskingCapability", True, remote="thing_id"),
        ),
    ),
    EntityType(
        "Location",
        "Locations",
        "sta_location",
        _described(_ENCODED, Prop("location", "geojson", "location", True), _PROPERTIES),
        (
            Nav("Things", "Thing", True, link=(_TL, "location_id", "thing_id")),
            Nav(
                "HistoricalLocations",
                "HistoricalLocation",
                True,
                link=("sta_historical_location_location", "location_id", "historical_location_id"),
            ),
        ),
    ),
    EntityType(
        "HistoricalLocation",
        "HistoricalLocations",
        "sta_historical_location",
        (Prop("time", "time", "time", True),),
        (
            Nav("Thing", "Thing", False, local="thing_id", required=True),
            Nav(
                "Locations",
                "Location",
                True,
                link=("sta_historical_location_location", "historical_location_id", "location_id"),
            ),
        ),
    ),
    EntityType(
        "Datastream",
        "Datastreams",
        "sta_datastream",
        _described(
            Prop("unitOfMeasurement", "object", "unit_of_measurement", True),
            Prop("observationType", "text", "observation_type", True),
            Prop("observedArea", "derived", "observed_area"),
            Prop("phenomenonTime", "derived", "phenomenon_time"),
            Prop("resultTime", "derived", "result_time"),
            _PROPERTIES,
        ),
        (
            Nav("Thing", "Thing", False, local="thing_id", required=True),
            Nav("Sensor", "Sensor", False, local="sensor_id", required=True),
            Nav(
                "ObservedProperty",
                "ObservedProperty",
                False,
                local="observed_property_id",
                required=True,
            ),
            Nav("Observations", "Observation", True, remote="datastream_id"),
        ),
    ),
    EntityType(
        "MultiDatastream",
        "MultiDatastreams",
        "sta_multi_datastream",
        _described(
            Prop("unitOfMeasurements", "json", "units_of_measurement", True),
            Prop("observationType", "text", "observation_type", True),
            Prop("multiObservationDataTypes", "json", "multi_observation_data_types", True),
            Prop("observedArea", "derived", "observed_area"),
            Prop("phenomenonTime", "derived", "phenomenon_time"),
            Prop("resultTime", "derived", "result_time"),
            _PROPERTIES,
        ),
        (
            Nav("Thing", "Thing", False, local="thing_id", required=True),
            Nav("Sensor", "Sensor", False, local="sensor_id", required=True),
            Nav(
                "ObservedProperties",
                "ObservedProperty",
                True,
                link=(
                    "sta_multi_datastream_property",
                    "multi_datastream_id",
                    "observed_property_id",
                ),
                required=True,
            ),
            Nav("Observations", "Observation", True, remote="multi_datastream_id"),
        ),
    ),
    EntityType(
        "Sensor",
        "Sensors",
        "sta_sensor",
        _described(_ENCODED, Prop("metadata", "json", "metadata", True), _PROPERTIES),
        (
            Nav("Datastreams", "Datastream", True, remote="sensor_id"),
            Nav("MultiDatastreams", "MultiDatastream", True, remote="sensor_id"),
        ),
    ),
    EntityType(
        "ObservedProperty",
        "ObservedProperties",
        "sta_observed_property",
        (
            Prop("name", "text", "name", True),
            Prop("definition", "text", "definition", True),
            Prop("description", "text", "description", True),
            _PROPERTIES,
        ),
        (
            Nav("Datastreams", "Datastream", True, remote="observed_property_id"),
            Nav(
                "MultiDatastreams",
                "MultiDatastream",
                True,
                link=(
                    "sta_multi_datastream_property",
                    "observed_property_id",
                    "multi_datastream_id",
                ),
            ),
        ),
    ),
    EntityType(
        "Observation",
        "Observations",
        "sta_observation",
        (
            Prop("phenomenonTime", "interval", "phenomenon_time"),
            Prop("result", "result", "result", True),
            Prop("resultTime", "time", "result_time"),
            Prop("resultQuality", "json", "result_quality"),
            Prop("validTime", "interval", "valid_time"),
            Prop("parameters", "object", "parameters"),
        ),
        (
            Nav("Datastream", "Datastream", False, local="datastream_id"),
            Nav("MultiDatastream", "MultiDatastream", False, local="multi_datastream_id"),
            Nav("FeatureOfInterest", "FeatureOfInterest", False, local="feature_id"),
        ),
    ),
    EntityType(
        "FeatureOfInterest",
        "FeaturesOfInterest",
        "sta_feature",
        _described(_ENCODED, Prop("feature", "geojson", "feature", True), _PROPERTIES),
        (Nav("Observations", "Observation", True, remote="feature_id"),),
    ),
    EntityType(
        "TaskingCapability",
        "TaskingCapabilities",
        "sta_tasking_capability",
        _described(Prop("taskingParameters", "object", "tasking_parameters", True), _PROPERTIES),
        (
            Nav("Thing", "Thing", False, local="thing_id", required=True),
            Nav("Actuator", "Actuator", False, local="actuator_id", required=True),
            Nav("Tasks", "Task", True, remote="tasking_capability_id"),
        ),
    ),
    EntityType(
        "Task",
        "Tasks",
        "sta_task",
        (
            Prop("creationTime", "derived", "creation_time"),
            Prop("taskingParameters", "object", "tasking_parameters", True),
        ),
        (
            Nav(
                "TaskingCapability",
                "TaskingCapability",
                False,
                local="tasking_capability_id",
                required=True,
            ),
        ),
    ),
    EntityType(
        "Actuator",
        "Actuators",
        "sta_actuator",
        _described(_ENCODED, Prop("metadata", "json", "metadata", True), _PROPERTIES),
        (Nav("TaskingCapabilities", "TaskingCapability", True, remote="actuator_id"),),
    ),
)

BY_NAME: dict[str, EntityType] = {e.name: e for e in ENTITY_TYPES}
BY_SET: dict[str, EntityType] = {e.set_name: e for e in ENTITY_TYPES}


def entity_set(name: str) -> EntityType:
    """The entity type whose set is called ``name`` (``Things``); :class:`NotFound` otherwise."""
    found = BY_SET.get(name)
    if found is None:
        raise NotFound(
            f"Không có tập thực thể «{name}». Các tập: {', '.join(BY_SET)}.",
            f"No entity set '{name}'. The sets are: {', '.join(BY_SET)}.",
        )
    return found


def target(nav: Nav) -> EntityType:
    """The entity type a navigation link leads to."""
    return BY_NAME[nav.target]
