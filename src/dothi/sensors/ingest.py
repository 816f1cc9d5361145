"""Observations created by publishing over MQTT (OGC 18-088 §14.2): a batch of messages
from the subscriber becomes one write transaction, acknowledged to the broker only after
the commit (:mod:`dothi.sensors.mqtt.subscriber`).

- A message the broker delivers again (the process died between commit and acknowledgement)
  is stored once: the SHA-256 of its topic and payload is kept with the batch, for messages
  that carry their ``phenomenonTime`` (without one, two equal readings are two readings).
- A bad message (not JSON, an unknown Datastream, a result of the wrong type, an
  implausible value) is refused and recorded with its reason for the operators; it never
  stops the batch, and it is acknowledged (sending it again would not mend it).
- The server's own publications of created entities (they carry ``@iot.id``) are skipped.

Tasks published to ``v1.1/TaskingCapabilities(ID)/Tasks`` are created the same way, each
checked against its capability; the server then publishes the stored task (with its
``@iot.id``) on that topic, which is what the device acts on.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, delete, func, select
from sqlalchemy.dialects import sqlite

from dothi.db.engine import Database
from dothi.errors import DothiError, InvalidInput, NotFound
from dothi.sensors.mqtt.subscriber import Message
from dothi.sensors.sta.codec import decode
from dothi.sensors.sta.model import BY_NAME
from dothi.sensors.sta.observations import Stream, check_against, observation_row, stream_of
from dothi.sensors.sta.times import now_micros
from dothi.sensors.sta.writes import (
    Created,
    Parent,
    create,
    feature_from_location,
    require_exists,
)
from dothi.sensors.store import ObservationRow, among, insert_observations, pg_array
from dothi.sensors.tables import datastream, feature, ingest_key, ingest_reject, thing_location

log = logging.getLogger(__name__)

_TOPIC = re.compile(r"^v1\.1/(Datastreams|MultiDatastreams)\((\d{1,18})\)/Observations$")
_TASKS = re.compile(r"^v1\.1/TaskingCapabilities\((\d{1,18})\)/Tasks$")
#: How long the keys of stored messages are kept: a redelivery comes within minutes.
KEY_DAYS = 2
_OBSERVATION = BY_NAME["Observation"]


@dataclass
class Parsed:
    """A message that passed the checks that need no database."""

    topic: str
    values: dict[str, Any]
    key: str | None


@dataclass
class Outcome:
    """What one batch did."""

    stored: list[tuple[int, ObservationRow]] = field(default_factory=list)
    #: Tasks created by publishing to a TaskingCapability's topic.
    tasks: list[int] = field(default_factory=list)
    duplicates: int = 0
    rejected: dict[str, int] = field(default_factory=dict)


class Rejected(Exception):
    """A message refused, with a code to count by."""

    def __init__(self, reason: str, error: DothiError | str) -> None:
        super().__init__(str(error))
        self.reason = reason
        self.text = error.en if isinstance(error, DothiError) else error


def parse(message: Message) -> Parsed | None:
    """The observation a message asks to create; None for the server's own echo."""
    if message.qos == 0 and b'"@iot.id"' in message.payload:
        # The server's own update (v1.1/Datastreams(5)/Observations after a commit): known
        # before parsing it; devices publish at QoS 1 and never name the id.
        return None
    m = _TOPIC.match(message.topic)
    if m is None:
        raise Rejected("bad_topic", f"not an observations topic: {message.topic}")
    try:
        data = orjson.loads(message.payload)
    except orjson.JSONDecodeError:
        raise Rejected("bad_json", "the payload is not valid JSON") from None
    if isinstance(data, dict) and "@iot.id" in data:
        return None
    try:
        item = decode(_OBSERVATION, data, where="Observation")
    except InvalidInput as exc:
        raise Rejected("bad_observation", exc) from None
    if item.links.keys() - {"FeatureOfInterest"}:
        raise Rejected("bad_observation", "the topic names the Datastream; the payload may not")
    values = dict(item.values)
    key = "multi_datastream_id" if m.group(1) == "MultiDatastreams" else "datastream_id"
    values[key] = int(m.group(2))
    feature = item.links.get("FeatureOfInterest")
    if feature:
        if feature[0].existing_id is None:
            raise Rejected("bad_observation", 'FeatureOfInterest over MQTT is {"@iot.id": n}')
        values["feature_id"] = feature[0].existing_id
    digest = None
    if isinstance(data, dict) and data.get("phenomenonTime") is not None:
        digest = hashlib.sha256(message.topic.encode() + b"\n" + message.payload).hexdigest()
    return Parsed(message.topic, values, digest)


class Ingest:
    """The subscriber's batch handler: store, record refusals, then tell ``on_stored``."""

    def __init__(
        self,
        db: Database,
        on_stored: Callable[[Outcome], None] | None = None,
    ) -> None:
        self.db = db
        self.on_stored = on_stored
        self.totals = Outcome()

    def __call__(self, messages: list[Message]) -> None:
        """Handle one batch (raises only when the database fails: then nothing is
        acknowledged and the broker delivers the batch again)."""
        outcome = self.store(messages)
        self.totals.duplicates += outcome.duplicates
        for reason, n in outcome.rejected.items():
            self.totals.rejected[reason] = self.totals.rejected.get(reason, 0) + n
        if self.on_stored is not None and (outcome.stored or outcome.tasks):
            self.on_stored(outcome)

    def store(self, messages: Sequence[Message]) -> Outcome:
        """Write the batch in one transaction."""
        now = now_micros()
        outcome = Outcome()
        parsed: list[tuple[Parsed, Message]] = []
        refused: list[tuple[Message, Rejected]] = []
        tasks: list[Message] = []
        for m in messages:
            if _TASKS.match(m.topic):
                tasks.append(m)
                continue
            try:
                p = parse(m)
            except Rejected as exc:
                refused.append((m, exc))
                continue
            if p is not None:
                parsed.append((p, m))
        with self.db.write() as conn:
            fresh = _new_keys(conn, [p.key for p, _ in parsed if p.key is not None], now)
            streams, features = _known(conn, [p for p, _ in parsed])
            rows: list[ObservationRow] = []
            seen: set[str] = set()
            for p, m in parsed:
                if p.key is not None and (p.key not in fresh or p.key in seen):
                    outcome.duplicates += 1
                    continue
                try:
                    rows.append(_row(conn, p, streams, features, now))
                except Rejected as exc:
                    refused.append((m, exc))
                    continue
                if p.key is not None:
                    seen.add(p.key)
            ids = insert_observations(conn, rows)
            outcome.stored = list(zip(ids, rows, strict=True))
            for m in tasks:
                try:
                    task_id = _task(conn, m)
                except Rejected as exc:
                    refused.append((m, exc))
                    continue
                if task_id is not None:
                    outcome.tasks.append(task_id)
            for m, why in refused:
                outcome.rejected[why.reason] = outcome.rejected.get(why.reason, 0) + 1
                conn.execute(
                    ingest_reject.insert().values(
                        received_at=now,
                        topic=m.topic[:300],
                        reason=why.reason,
                        message=why.text,
                        excerpt=m.payload[:300].decode("utf-8", "replace"),
                    )
                )
        return outcome


def _new_keys(conn: Connection, keys: list[str], now: int) -> set[str]:
    """Record ``keys``; the ones not recorded before (an upsert that skips the others)."""
    if not keys:
        return set()
    unique = sorted(set(keys))  # sorted: two workers meeting the same keys lock in one order
    if conn.dialect.name == "postgresql":
        inserted = conn.exec_driver_sql(
            "INSERT INTO sta_ingest_key (key, received_at) "
            "SELECT k, %(now)s FROM unnest(%(keys)s::varchar[]) AS k "
            "ON CONFLICT (key) DO NOTHING RETURNING key",
            {"keys": pg_array(unique), "now": now},
        )
        return {r[0] for r in inserted}
    # Many parameter sets to one cached statement (SQLAlchemy sends them as multi-row
    # INSERTs): a statement with the batch's values inlined was compiled anew every batch.
    stmt = sqlite.insert(ingest_key).on_conflict_do_nothing(index_elements=[ingest_key.c.key])
    inserted = conn.execute(
        stmt.returning(ingest_key.c.key), [{"key": k, "received_at": now} for k in unique]
    )
    return {r[0] for r in inserted}


def _known(
    conn: Connection, parsed: Sequence[Parsed]
) -> tuple[dict[tuple[str, int], Stream | Rejected], dict[int, int]]:
    """The batch's Datastreams and their Things' FeaturesOfInterest, read in two queries
    (one each per message cost more than writing the rows). What is not found here
    (MultiDatastreams, unknown ids, a Thing without a feature yet) goes the long way in
    :func:`_row`."""
    ids = {p.values["datastream_id"] for p in parsed if "datastream_id" in p.values}
    streams: dict[tuple[str, int], Stream | Rejected] = {}
    if not ids:
        return streams, {}
    found = conn.execute(
        select(datastream.c.id, datastream.c.thing_id, datastream.c.observation_type).where(
            among(conn, datastream.c.id, ids)
        )
    )
    for row in found:
        streams[("Datastream", int(row.id))] = Stream(
            int(row.id), False, int(row.thing_id), row.observation_type
        )
    things = sorted({s.thing_id for s in streams.values() if isinstance(s, Stream)})
    link = thing_location.alias("link")
    first = (
        select(func.min(thing_location.c.location_id))
        .where(thing_location.c.thing_id == link.c.thing_id)
        .scalar_subquery()
    )
    made = conn.execute(
        select(link.c.thing_id, func.min(feature.c.id))
        .join(feature, feature.c.location_id == link.c.location_id)
        .where(among(conn, link.c.thing_id, things))
        .where(link.c.location_id == first)
        .group_by(link.c.thing_id)
    )
    return streams, {int(t): int(f) for t, f in made}


def _row(
    conn: Connection,
    p: Parsed,
    streams: dict[tuple[str, int], Stream | Rejected],
    features: dict[int, int],
    now: int,
) -> ObservationRow:
    multi = "multi_datastream_id" in p.values
    ref = (
        ("MultiDatastream", p.values["multi_datastream_id"])
        if multi
        else (
            "Datastream",
            p.values["datastream_id"],
        )
    )
    stream = streams.get(ref)
    if stream is None:
        try:
            stream = stream_of(
                conn, p.values.get("datastream_id"), p.values.get("multi_datastream_id")
            )
        except NotFound as exc:
            stream = Rejected("unknown_datastream", exc)
        streams[ref] = stream
    if isinstance(stream, Rejected):
        raise stream
    try:
        check_against(stream, p.values)
    except InvalidInput as exc:
        raise Rejected("wrong_result", exc) from None
    if p.values.get("feature_id") is None:
        found = features.get(stream.thing_id)
        if found is None:
            try:
                found = features[stream.thing_id] = feature_from_location(conn, stream.thing_id)
            except InvalidInput as exc:
                raise Rejected("no_feature", exc) from None
        p.values["feature_id"] = found
    else:
        try:
            require_exists(conn, BY_NAME["FeatureOfInterest"], p.values["feature_id"])
        except NotFound as exc:
            raise Rejected("unknown_feature", exc) from None
    return observation_row(p.values, now)


def _task(conn: Connection, message: Message) -> int | None:
    """Create the Task a message asks for (in a savepoint: a refused one leaves nothing);
    None for the server's own echo of a stored task."""
    m = _TASKS.match(message.topic)
    assert m is not None
    try:
        data = orjson.loads(message.payload)
    except orjson.JSONDecodeError:
        raise Rejected("bad_json", "the payload is not valid JSON") from None
    if isinstance(data, dict) and "@iot.id" in data:
        return None
    capability = BY_NAME["TaskingCapability"]
    nav = capability.nav("Tasks")
    assert nav is not None
    try:
        item = decode(BY_NAME["Task"], data, where="Task")
        with conn.begin_nested():
            return create(conn, item, Created(), Parent(capability, int(m.group(1)), nav))
    except (InvalidInput, NotFound) as exc:
        raise Rejected("bad_task", exc) from None


def prune_keys(conn: Connection, now: int | None = None) -> int:
    """Forget the keys of messages stored more than :data:`KEY_DAYS` ago; how many."""
    cutoff = (now_micros() if now is None else now) - KEY_DAYS * 86_400_000_000
    return int(conn.execute(delete(ingest_key).where(ingest_key.c.received_at < cutoff)).rowcount)


def rejected_counts(conn: Connection, since: int) -> dict[str, int]:
    """Refused messages by reason since ``since`` (µs), for the operators."""
    rows = conn.execute(
        select(ingest_reject.c.reason, func.count())
        .where(ingest_reject.c.received_at >= since)
        .group_by(ingest_reject.c.reason)
    )
    return {r[0]: int(r[1]) for r in rows}
