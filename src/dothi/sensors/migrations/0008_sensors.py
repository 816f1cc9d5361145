"""The SensorThings entities, their links, and the observations table per backend.

Revision ID: 0008_sensors
Revises: 0007_layer_deleted
Create Date: 2026-12-06
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import context, op

revision = "0008_sensors"
down_revision = "0007_layer_deleted"
branch_labels = None
depends_on = None

# The tables as this revision made them: later changes are later revisions.
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_US = sa.BigInteger()


def _id() -> sa.Column[int]:
    return sa.Column("id", _ID, primary_key=True, autoincrement=True)


def _fk(name: str, table: str) -> sa.Column[int]:
    return sa.Column(name, _ID, sa.ForeignKey(f"{table}.id", ondelete="CASCADE"), nullable=False)


def _described(*, encoded: bool = False) -> list[sa.Column[Any]]:
    cols = [
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
    ]
    if encoded:
        cols.append(sa.Column("encoding_type", sa.String(100), nullable=False))
    return cols


def _stream() -> list[sa.Column[Any]]:
    return [
        _id(),
        *_described(),
        sa.Column("observation_type", sa.String(200), nullable=False),
        sa.Column("properties", sa.Text),
        _fk("thing_id", "sta_thing"),
        _fk("sensor_id", "sta_sensor"),
        sa.Column("phenomenon_time_start", _US),
        sa.Column("phenomenon_time_end", _US),
        sa.Column("result_time_start", _US),
        sa.Column("result_time_end", _US),
        sa.Column("observed_area", sa.Text),
        sa.Column("retention_days", sa.Integer),
    ]


_SEQUENCE = "sta_observation_id_seq"


def _create_observation_table(conn: sa.Connection) -> None:
    # Per backend, outside the declared metadata: monthly partitions with a BRIN index on
    # PostgreSQL (dothi.sensors.store makes the partitions), a plain table on SQLite.
    if conn.dialect.name == "postgresql":
        _create_postgresql(conn)
    else:
        _create_sqlite(conn)


def _drop_observation_table(conn: sa.Connection) -> None:
    conn.exec_driver_sql("DROP TABLE IF EXISTS sta_observation")
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"DROP SEQUENCE IF EXISTS {_SEQUENCE}")


def _column_ddl(postgres: bool) -> str:
    text = "text"
    big = "bigint"
    return ",\n".join(
        [
            f"id {'bigint NOT NULL' if postgres else 'INTEGER PRIMARY KEY'}",
            f"datastream_id {big}",
            f"multi_datastream_id {big}",
            f"feature_id {big}",
            f"phenomenon_time_start {big} NOT NULL",
            f"phenomenon_time_end {big}",
            f"result_time {big}",
            f"valid_time_start {big}",
            f"valid_time_end {big}",
            "result_kind smallint NOT NULL",
            f"result_number {'double precision' if postgres else 'REAL'}",
            f"result_text {text}",
            f"result_json {text}",
            f"result_quality {text}",
            f"parameters {text}",
            "flagged boolean NOT NULL DEFAULT false"
            if postgres
            else "flagged INTEGER NOT NULL DEFAULT 0",
        ]
    )


def _create_postgresql(conn: sa.Connection) -> None:
    conn.exec_driver_sql(f"CREATE SEQUENCE {_SEQUENCE}")
    conn.exec_driver_sql(
        f"CREATE TABLE sta_observation ({_column_ddl(True)}) "
        "PARTITION BY RANGE (phenomenon_time_start)"
    )
    _shared_indexes(conn)
    # Time-ordered appends: a BRIN index is a few pages per partition and finds a time range.
    conn.exec_driver_sql(
        "CREATE INDEX ix_sta_observation_time ON sta_observation USING brin (phenomenon_time_start)"
    )
    conn.exec_driver_sql("CREATE INDEX ix_sta_observation_id ON sta_observation (id)")


def _create_sqlite(conn: sa.Connection) -> None:
    conn.exec_driver_sql(f"CREATE TABLE sta_observation ({_column_ddl(False)})")
    _shared_indexes(conn)


def _shared_indexes(conn: sa.Connection) -> None:
    # The latest reading of a stream, a stream's time range, a feature's readings.
    for name, cols in (
        ("stream", "datastream_id, phenomenon_time_start"),
        ("multi", "multi_datastream_id, phenomenon_time_start"),
        ("feature", "feature_id"),
    ):
        conn.exec_driver_sql(f"CREATE INDEX ix_sta_observation_{name} ON sta_observation ({cols})")


def upgrade() -> None:
    port = context.config.attributes["port"]
    conn = op.get_bind()
    op.create_table(
        "sta_thing",
        _id(),
        *_described(),
        sa.Column("properties", sa.Text),
        sa.Column("layer_id", sa.String(63)),
        sa.Column("fid", sa.String(200)),
    )
    op.create_table(
        "sta_location",
        _id(),
        *_described(encoded=True),
        sa.Column("location", sa.Text, nullable=False),
        sa.Column("properties", sa.Text),
    )
    port.add_geometry_column(conn, "sta_location", "geom")
    op.create_table(
        "sta_thing_location", _fk("thing_id", "sta_thing"), _fk("location_id", "sta_location")
    )
    op.create_index(
        "ix_sta_thing_location_pair", "sta_thing_location", ["thing_id", "location_id"], unique=True
    )
    op.create_index("ix_sta_thing_location_location", "sta_thing_location", ["location_id"])
    op.create_table(
        "sta_historical_location",
        _id(),
        _fk("thing_id", "sta_thing"),
        sa.Column("time", _US, nullable=False),
    )
    op.create_index(
        "ix_sta_historical_location_thing", "sta_historical_location", ["thing_id", "time"]
    )
    op.create_table(
        "sta_historical_location_location",
        _fk("historical_location_id", "sta_historical_location"),
        _fk("location_id", "sta_location"),
    )
    op.create_index(
        "ix_sta_hll_pair",
        "sta_historical_location_location",
        ["historical_location_id", "location_id"],
        unique=True,
    )
    op.create_index("ix_sta_hll_location", "sta_historical_location_location", ["location_id"])
    op.create_table(
        "sta_sensor",
        _id(),
        *_described(encoded=True),
        sa.Column("metadata", sa.Text, nullable=False),
        sa.Column("properties", sa.Text),
    )
    op.create_table(
        "sta_observed_property",
        _id(),
        sa.Column("name", sa.String(300), nullable=False),
        sa.Column("definition", sa.Text, nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("properties", sa.Text),
    )
    op.create_table(
        "sta_datastream",
        *_stream(),
        sa.Column("unit_of_measurement", sa.Text, nullable=False),
        _fk("observed_property_id", "sta_observed_property"),
    )
    op.create_index("ix_sta_datastream_thing", "sta_datastream", ["thing_id"])
    op.create_index("ix_sta_datastream_sensor", "sta_datastream", ["sensor_id"])
    op.create_index("ix_sta_datastream_property", "sta_datastream", ["observed_property_id"])
    op.create_table(
        "sta_multi_datastream",
        *_stream(),
        sa.Column("units_of_measurement", sa.Text, nullable=False),
        sa.Column("multi_observation_data_types", sa.Text, nullable=False),
    )
    op.create_index("ix_sta_multi_datastream_thing", "sta_multi_datastream", ["thing_id"])
    op.create_index("ix_sta_multi_datastream_sensor", "sta_multi_datastream", ["sensor_id"])
    op.create_table(
        "sta_multi_datastream_property",
        _fk("multi_datastream_id", "sta_multi_datastream"),
        _fk("observed_property_id", "sta_observed_property"),
        sa.Column("position", sa.SmallInteger, nullable=False),
    )
    op.create_index(
        "ix_sta_mdp_pair",
        "sta_multi_datastream_property",
        ["multi_datastream_id", "position"],
        unique=True,
    )
    op.create_index(
        "ix_sta_mdp_property", "sta_multi_datastream_property", ["observed_property_id"]
    )
    op.create_table(
        "sta_feature",
        _id(),
        *_described(encoded=True),
        sa.Column("feature", sa.Text, nullable=False),
        sa.Column("properties", sa.Text),
        sa.Column("location_id", _ID, sa.ForeignKey("sta_location.id", ondelete="SET NULL")),
    )
    op.create_index("ix_sta_feature_location", "sta_feature", ["location_id"])
    port.add_geometry_column(conn, "sta_feature", "geom")
    op.create_table(
        "sta_actuator",
        _id(),
        *_described(encoded=True),
        sa.Column("metadata", sa.Text, nullable=False),
        sa.Column("properties", sa.Text),
    )
    op.create_table(
        "sta_tasking_capability",
        _id(),
        *_described(),
        sa.Column("tasking_parameters", sa.Text, nullable=False),
        sa.Column("properties", sa.Text),
        _fk("thing_id", "sta_thing"),
        _fk("actuator_id", "sta_actuator"),
    )
    op.create_index("ix_sta_tasking_capability_thing", "sta_tasking_capability", ["thing_id"])
    op.create_index("ix_sta_tasking_capability_actuator", "sta_tasking_capability", ["actuator_id"])
    op.create_table(
        "sta_task",
        _id(),
        _fk("tasking_capability_id", "sta_tasking_capability"),
        sa.Column("creation_time", _US, nullable=False),
        sa.Column("tasking_parameters", sa.Text, nullable=False),
    )
    op.create_index(
        "ix_sta_task_capability", "sta_task", ["tasking_capability_id", "creation_time"]
    )
    op.create_table(
        "sta_rollup",
        _fk("datastream_id", "sta_datastream"),
        sa.Column("resolution", sa.String(4), nullable=False),
        sa.Column("bucket", _US, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("minimum", sa.Float, nullable=False),
        sa.Column("maximum", sa.Float, nullable=False),
        sa.Column("total", sa.Float, nullable=False),
        sa.Column("last_time", _US, nullable=False),
        sa.Column("last_value", sa.Float, nullable=False),
    )
    op.create_index(
        "ix_sta_rollup_key", "sta_rollup", ["datastream_id", "resolution", "bucket"], unique=True
    )
    op.create_table(
        "sta_device",
        sa.Column(
            "thing_id",
            _ID,
            sa.ForeignKey("sta_thing.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("password_sha256", sa.String(64), nullable=False),
        sa.Column("issued_at", _US, nullable=False),
        sa.Column("revoked_at", _US),
    )
    op.create_table(
        "sta_ingest_key",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("received_at", _US, nullable=False),
    )
    op.create_index("ix_sta_ingest_key_time", "sta_ingest_key", ["received_at"])
    op.create_table(
        "sta_ingest_reject",
        _id(),
        sa.Column("received_at", _US, nullable=False),
        sa.Column("topic", sa.String(300), nullable=False),
        sa.Column("reason", sa.String(40), nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("excerpt", sa.String(300), nullable=False),
    )
    op.create_index("ix_sta_ingest_reject_time", "sta_ingest_reject", ["received_at"])
    _create_observation_table(conn)


def downgrade() -> None:
    port = context.config.attributes["port"]
    conn = op.get_bind()
    _drop_observation_table(conn)
    op.drop_table("sta_rollup")
    op.drop_table("sta_ingest_reject")
    op.drop_table("sta_ingest_key")
    op.drop_table("sta_device")
    for table in (
        "sta_task",
        "sta_tasking_capability",
        "sta_actuator",
    ):
        op.drop_table(table)
    port.drop_geometry_column(conn, "sta_feature", "geom")
    op.drop_table("sta_feature")
    for table in (
        "sta_multi_datastream_property",
        "sta_multi_datastream",
        "sta_datastream",
        "sta_observed_property",
        "sta_sensor",
        "sta_historical_location_location",
        "sta_historical_location",
        "sta_thing_location",
    ):
        op.drop_table(table)
    port.drop_geometry_column(conn, "sta_location", "geom")
    op.drop_table("sta_location")
    op.drop_table("sta_thing")
