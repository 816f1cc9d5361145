"""Tables of the ``sensors`` capability: the SensorThings entities (``sta_*``), device
credentials, ingest rejections and the rollups of observations.

Times are BIGINT microseconds since 1970-01-01T00:00:00Z on both backends (one compiler for
``$filter``, compact rows, plain integer indexes); an interval is two such columns, the end
NULL for an instant. JSON values are text. Locations and FeaturesOfInterest keep the GeoJSON
as given and an indexed WGS 84 ``geom`` from the storage port.

The observations table itself is built per backend by :mod:`dothi.sensors.store` (monthly
partitions with a BRIN index on PostgreSQL) and is declared on a metadata of its own, so
that the schema comparison of the migrations test leaves it to that module's own test.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
)

from dothi.db.schema import BigId, metadata
from dothi.db.spatial import ShapelyGeometry

#: Microseconds since the epoch, UTC.
Micros = BigInteger


def _fk(name: str, table: str, *, nullable: bool = False, cascade: bool = True) -> Column[int]:
    return Column(
        name,
        BigId,
        ForeignKey(f"{table}.id", ondelete="CASCADE" if cascade else "SET NULL"),
        nullable=nullable,
    )


def _described(*, encoded: bool = False) -> list[Column[Any]]:
    """An entity's id, name and description (and encoding type), as most types have them."""
    cols: list[Column[Any]] = [
        Column("id", BigId, primary_key=True, autoincrement=True),
        Column("name", String(300), nullable=False),
        Column("description", Text, nullable=False),
    ]
    if encoded:
        cols.append(Column("encoding_type", String(100), nullable=False))
    return cols


thing = Table(
    "sta_thing",
    metadata,
    *_described(),
    Column("properties", Text),
    # The feature of the urban database the device belongs to (a streetlight, a road).
    Column("layer_id", String(63)),
    Column("fid", String(200)),
)

location = Table(
    "sta_location",
    metadata,
    *_described(encoded=True),
    Column("location", Text, nullable=False),
    Column("properties", Text),
    Column("geom", ShapelyGeometry("GEOMETRY")),
)

thing_location = Table(
    "sta_thing_location",
    metadata,
    _fk("thing_id", "sta_thing"),
    _fk("location_id", "sta_location"),
    Index("ix_sta_thing_location_pair", "thing_id", "location_id", unique=True),
    Index("ix_sta_thing_location_location", "location_id"),
)

historical_location = Table(
    "sta_historical_location",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    _fk("thing_id", "sta_thing"),
    Column("time", Micros, nullable=False),
    Index("ix_sta_historical_location_thing", "thing_id", "time"),
)

historical_location_location = Table(
    "sta_historical_location_location",
    metadata,
    _fk("historical_location_id", "sta_historical_location"),
    _fk("location_id", "sta_location"),
    Index("ix_sta_hll_pair", "historical_location_id", "location_id", unique=True),
    Index("ix_sta_hll_location", "location_id"),
)

sensor = Table(
    "sta_sensor",
    metadata,
    *_described(encoded=True),
    Column("metadata", Text, nullable=False),
    Column("properties", Text),
)

observed_property = Table(
    "sta_observed_property",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("name", String(300), nullable=False),
    Column("definition", Text, nullable=False),
    Column("description", Text, nullable=False),
    Column("properties", Text),
)


def _stream_columns() -> list[Column[Any]]:
    """What Datastreams and MultiDatastreams share: the time ranges kept per ingest batch
    (never by a trigger per row), the observed area, and the retention of raw readings."""
    return [
        *_described(),
        Column("observation_type", String(200), nullable=False),
        Column("properties", Text),
        _fk("thing_id", "sta_thing"),
        _fk("sensor_id", "sta_sensor"),
        Column("phenomenon_time_start", Micros),
        Column("phenomenon_time_end", Micros),
        Column("result_time_start", Micros),
        Column("result_time_end", Micros),
        Column("observed_area", Text),
        # Raw observations older than this many days are dropped; rollups stay.
        Column("retention_days", Integer),
    ]


datastream = Table(
    "sta_datastream",
    metadata,
    *_stream_columns(),
    Column("unit_of_measurement", Text, nullable=False),
    _fk("observed_property_id", "sta_observed_property"),
    Index("ix_sta_datastream_thing", "thing_id"),
    Index("ix_sta_datastream_sensor", "sensor_id"),
    Index("ix_sta_datastream_property", "observed_property_id"),
)

multi_datastream = Table(
    "sta_multi_datastream",
    metadata,
    *_stream_columns(),
    Column("units_of_measurement", Text, nullable=False),
    Column("multi_observation_data_types", Text, nullable=False),
    Index("ix_sta_multi_datastream_thing", "thing_id"),
    Index("ix_sta_multi_datastream_sensor", "sensor_id"),
)

multi_datastream_property = Table(
    "sta_multi_datastream_property",
    metadata,
    _fk("multi_datastream_id", "sta_multi_datastream"),
    _fk("observed_property_id", "sta_observed_property"),
    # The component's place: the order of unitOfMeasurements and of each result array.
    Column("position", SmallInteger, nullable=False),
    Index("ix_sta_mdp_pair", "multi_datastream_id", "position", unique=True),
    Index("ix_sta_mdp_property", "observed_property_id"),
)

feature = Table(
    "sta_feature",
    metadata,
    *_described(encoded=True),
    Column("feature", Text, nullable=False),
    Column("properties", Text),
    Column("geom", ShapelyGeometry("GEOMETRY")),
    # The Location it was generated from, so that one Location gives one feature.
    Column("location_id", BigId, ForeignKey("sta_location.id", ondelete="SET NULL")),
    Index("ix_sta_feature_location", "location_id"),
)

actuator = Table(
    "sta_actuator",
    metadata,
    *_described(encoded=True),
    Column("metadata", Text, nullable=False),
    Column("properties", Text),
)

tasking_capability = Table(
    "sta_tasking_capability",
    metadata,
    *_described(),
    Column("tasking_parameters", Text, nullable=False),
    Column("properties", Text),
    _fk("thing_id", "sta_thing"),
    _fk("actuator_id", "sta_actuator"),
    Index("ix_sta_tasking_capability_thing", "thing_id"),
    Index("ix_sta_tasking_capability_actuator", "actuator_id"),
)

task = Table(
    "sta_task",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    _fk("tasking_capability_id", "sta_tasking_capability"),
    Column("creation_time", Micros, nullable=False),
    Column("tasking_parameters", Text, nullable=False),
    Index("ix_sta_task_capability", "tasking_capability_id", "creation_time"),
)

rollup = Table(
    "sta_rollup",
    metadata,
    _fk("datastream_id", "sta_datastream"),
    # "hour" or "day" (the city's local day, UTC+7).
    Column("resolution", String(4), nullable=False),
    Column("bucket", Micros, nullable=False),
    Column("count", Integer, nullable=False),
    Column("minimum", Float, nullable=False),
    Column("maximum", Float, nullable=False),
    Column("total", Float, nullable=False),
    Column("last_time", Micros, nullable=False),
    Column("last_value", Float, nullable=False),
    Index("ix_sta_rollup_key", "datastream_id", "resolution", "bucket", unique=True),
)

device = Table(
    "sta_device",
    metadata,
    # A Thing's device: the same user name and password over MQTT and HTTP (Basic).
    Column("thing_id", BigId, ForeignKey("sta_thing.id", ondelete="CASCADE"), primary_key=True),
    # SHA-256 of the generated password (random, so a slow hash adds nothing).
    Column("password_sha256", String(64), nullable=False),
    Column("issued_at", Micros, nullable=False),
    Column("revoked_at", Micros),
)

ingest_key = Table(
    "sta_ingest_key",
    metadata,
    # SHA-256 of topic and payload of an MQTT message already stored: a message the broker
    # delivers again after a crash is recognised and stored once.
    Column("key", String(64), primary_key=True),
    Column("received_at", Micros, nullable=False),
    Index("ix_sta_ingest_key_time", "received_at"),
)

ingest_reject = Table(
    "sta_ingest_reject",
    metadata,
    Column("id", BigId, primary_key=True, autoincrement=True),
    Column("received_at", Micros, nullable=False),
    Column("topic", String(300), nullable=False),
    # A stable code to count by (bad_json, unknown_datastream, wrong_result, ...).
    Column("reason", String(40), nullable=False),
    Column("message", Text, nullable=False),
    # The start of the payload, for the operator who looks into it.
    Column("excerpt", String(300), nullable=False),
    Index("ix_sta_ingest_reject_time", "received_at"),
)

# -- Observations: built per backend by dothi.sensors.store --------------------------------

observation_metadata = MetaData()

observation = Table(
    "sta_observation",
    observation_metadata,
    Column("id", BigInteger, nullable=False),
    Column("datastream_id", BigInteger),
    Column("multi_datastream_id", BigInteger),
    Column("feature_id", BigInteger),
    Column("phenomenon_time_start", Micros, nullable=False),
    Column("phenomenon_time_end", Micros),
    Column("result_time", Micros),
    Column("valid_time_start", Micros),
    Column("valid_time_end", Micros),
    # 0 number, 1 string, 2 boolean (1/0 in result_number), 3 JSON (result_json).
    Column("result_kind", SmallInteger, nullable=False),
    Column("result_number", Float),
    Column("result_text", Text),
    Column("result_json", Text),
    Column("result_quality", Text),
    Column("parameters", Text),
    # Readings from the future beyond the tolerance are kept and flagged.
    Column("flagged", Boolean, nullable=False, default=False),
)


#: Every table of an entity type or a link, by name (the observations' included).
TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        thing,
        location,
        thing_location,
        historical_location,
        historical_location_location,
        sensor,
        observed_property,
        datastream,
        multi_datastream,
        multi_datastream_property,
        feature,
        actuator,
        tasking_capability,
        task,
        rollup,
        device,
        ingest_key,
        ingest_reject,
        observation,
    )
}
