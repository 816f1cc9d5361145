"""Creating SensorThings entities (OGC 18-088 §10.2): one entity, deep insert of related
new entities, links to existing ones by ``@iot.id``, the HistoricalLocations a Thing's new
Locations imply, and the FeatureOfInterest an Observation without one gets from its
Thing's Location. All in the caller's transaction: a failure anywhere writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson
from sqlalchemy import Connection, Table, func, select, update

from dothi.errors import InvalidInput, NotFound
from dothi.sensors.sta.codec import Decoded, dumps
from dothi.sensors.sta.constraints import check_multi_datastream, moved_by_history
from dothi.sensors.sta.model import BY_NAME, EntityType, Nav
from dothi.sensors.sta.observations import check_result, observation_row
from dothi.sensors.sta.times import now_micros
from dothi.sensors.store import insert_observations
from dothi.sensors.tables import TABLES
from dothi.sensors.tasking import check_task


@dataclass
class Created:
    """What a request created, for the answer, the audit and the MQTT fan-out."""

    entities: list[tuple[EntityType, int]] = field(default_factory=list)


@dataclass(frozen=True)
class Parent:
    """The entity a POST to ``Things(1)/Datastreams`` hangs the new one on."""

    entity: EntityType
    id: int
    nav: Nav


def create(conn: Connection, item: Decoded, created: Created, parent: Parent | None = None) -> int:
    """Create ``item`` (and what it carries); its id. Links to existing entities are
    checked; a missing one is :class:`NotFound`."""
    entity = item.entity
    if item.existing_id is not None:
        require_exists(conn, entity, item.existing_id)
        if parent is not None:
            _attach(conn, parent, item.existing_id, created)
        return item.existing_id
    values = dict(item.values)
    # Links held by this row (Datastream → Thing) first: the row needs their ids.
    for nav in entity.navs:
        if nav.local is None:
            continue
        given = item.links.get(nav.name)
        from_path = parent is not None and parent.nav.remote == nav.local
        if given and from_path and parent is not None and given[0].existing_id != parent.id:
            raise InvalidInput(
                f"«{nav.name}» trong nội dung khác với {parent.entity.name}({parent.id}) của "
                "đường dẫn.",
                f"'{nav.name}' in the body differs from {parent.entity.name}({parent.id}) of "
                "the path.",
            )
        if given:
            values[nav.local] = create(conn, given[0], created)
        elif from_path and parent is not None:
            values[nav.local] = parent.id
    _check_required(entity, item, values, parent)
    if entity.name == "Observation":
        new_id = _create_observation(conn, values, item)
    else:
        if item.geometry is not None:
            values["geom"] = item.geometry
        if entity.name == "Task":
            params = orjson.loads(values["tasking_parameters"])
            check_task(conn, values["tasking_capability_id"], params)
            values["creation_time"] = now_micros()
        table = TABLES[entity.table]
        new_id = int(
            conn.execute(table.insert().values(**values).returning(table.c.id)).scalar_one()
        )
    created.entities.append((entity, new_id))
    if parent is not None and parent.nav.link is not None:
        link_pair(conn, parent.nav, parent.id, new_id)
    # Links held elsewhere (Thing → Datastreams, Thing ↔ Locations) once the row exists.
    for nav in entity.navs:
        if nav.local is not None or nav.name not in item.links:
            continue
        ids = []
        for n, child in enumerate(item.links[nav.name]):
            if nav.remote is not None:
                ids.append(create(conn, child, created, Parent(entity, new_id, nav)))
            else:
                ids.append(create(conn, child, created))
                link_pair(conn, nav, new_id, ids[-1], position=n)
        if entity.name == "Thing" and nav.name == "Locations":
            add_historical_location(conn, new_id, ids, created)
    if entity.name == "Location" and parent is not None and parent.entity.name == "Thing":
        add_historical_location(conn, parent.id, [new_id], created)
    if entity.name == "HistoricalLocation":
        moved_by_history(conn, new_id)
    if entity.name == "MultiDatastream":
        check_multi_datastream(conn, new_id)
    elif parent is not None and parent.entity.name == "MultiDatastream":
        check_multi_datastream(conn, parent.id)
    return new_id


def _attach(conn: Connection, parent: Parent, existing: int, created: Created) -> None:
    """``POST Things(1)/Locations`` with ``{"@iot.id": 5}``: link the two."""
    nav = parent.nav
    if nav.link is not None:
        link_pair(conn, nav, parent.id, existing)
        if parent.entity.name == "Thing" and nav.name == "Locations":
            add_historical_location(conn, parent.id, [existing], created)
    elif nav.remote is not None:
        # Thing(1) takes over Datastream 3: the link is the Datastream's own column.
        table = TABLES[BY_NAME[nav.target].table]
        conn.execute(update(table).where(table.c.id == existing).values({nav.remote: parent.id}))


def _check_required(
    entity: EntityType, item: Decoded, values: dict[str, Any], parent: Parent | None
) -> None:
    missing = []
    for nav in entity.navs:
        if not nav.required:
            continue
        if nav.local is not None:
            given = values.get(nav.local) is not None
        else:
            given = bool(item.links.get(nav.name)) or _via(parent, nav)
        if not given:
            missing.append(nav.name)
    if entity.name == "Observation" and (
        (values.get("datastream_id") is None) == (values.get("multi_datastream_id") is None)
    ):
        missing.append("Datastream | MultiDatastream")
    if missing:
        raise InvalidInput(
            f"{entity.name} cần liên kết tới: {', '.join(missing)} "
            '(một thực thể mới, hoặc {"@iot.id": …} của thực thể có sẵn).',
            f"{entity.name} needs a link to: {', '.join(missing)} "
            '(a new entity, or {"@iot.id": …} of an existing one).',
        )


def _via(parent: Parent | None, nav: Nav) -> bool:
    """The new entity is posted under an entity of ``nav``'s target through a link table."""
    return parent is not None and parent.nav.link is not None and parent.entity.name == nav.target


def require_exists(conn: Connection, entity: EntityType, entity_id: int) -> None:
    """:class:`NotFound` unless the entity exists."""
    table = TABLES[entity.table]
    if conn.execute(select(table.c.id).where(table.c.id == entity_id)).first() is None:
        raise NotFound(
            f"Không có {entity.name} với @iot.id {entity_id}.",
            f"No {entity.name} with @iot.id {entity_id}.",
        )


def link_pair(
    conn: Connection, nav: Nav, this_id: int, other_id: int, position: int | None = None
) -> None:
    """Link two entities through ``nav``'s link table (once). In a table that keeps an
    order (a MultiDatastream's ObservedProperties), ``position`` None appends."""
    assert nav.link is not None
    table_name, this_col, other_col = nav.link
    table: Table = TABLES[table_name]
    values: dict[str, Any] = {this_col: this_id, other_col: other_id}
    exists = conn.execute(
        select(table.c[this_col]).where(
            table.c[this_col] == this_id, table.c[other_col] == other_id
        )
    ).first()
    if exists is not None:
        return
    if "position" in table.c:
        values["position"] = _next_position(conn, table, values) if position is None else position
    conn.execute(table.insert().values(**values))


def _next_position(conn: Connection, table: Table, values: dict[str, Any]) -> int:
    """After the last position of the entity the order belongs to (the other column of
    the unique index on the position)."""
    index = next(i for i in table.indexes if "position" in i.columns)
    owner = next(c for c in index.columns if c.name != "position")
    last = conn.execute(
        select(func.max(table.c.position)).where(owner == values[owner.name])
    ).scalar()
    return 0 if last is None else int(last) + 1


def add_historical_location(
    conn: Connection, thing_id: int, location_ids: list[int], created: Created
) -> None:
    """A Thing's Locations changed: record where it is from now on (§8.2.3)."""
    hl = TABLES["sta_historical_location"]
    link = TABLES["sta_historical_location_location"]
    hl_id = int(
        conn.execute(
            hl.insert().values(thing_id=thing_id, time=now_micros()).returning(hl.c.id)
        ).scalar_one()
    )
    for loc in location_ids:
        conn.execute(link.insert().values(historical_location_id=hl_id, location_id=loc))
    created.entities.append((BY_NAME["HistoricalLocation"], hl_id))


def _create_observation(conn: Connection, values: dict[str, Any], item: Decoded) -> int:
    stream = check_result(conn, values)
    if values.get("feature_id") is None:
        values["feature_id"] = feature_from_location(conn, stream.thing_id)
    row = observation_row(values)
    return insert_observations(conn, [row])[0]


def feature_from_location(conn: Connection, thing_id: int) -> int:
    """The FeatureOfInterest made from the Thing's (first) Location, made once (§8.2.7)."""
    link = TABLES["sta_thing_location"]
    loc = TABLES["sta_location"]
    feat = TABLES["sta_feature"]
    row = conn.execute(
        select(
            loc.c.id, loc.c.name, loc.c.description, loc.c.encoding_type, loc.c.location, loc.c.geom
        )
        .join(link, link.c.location_id == loc.c.id)
        # A Location in another encoding than GeoJSON (an address) has no geometry.
        .where(link.c.thing_id == thing_id, loc.c.geom.is_not(None))
        .order_by(loc.c.id)
        .limit(1)
    ).first()
    if row is None:
        raise InvalidInput(
            "Observation thiếu FeatureOfInterest, và Thing của Datastream chưa có Location "
            "GeoJSON để tạo ra nó.",
            "The Observation has no FeatureOfInterest and the Datastream's Thing has no "
            "GeoJSON Location to make one from.",
        )
    found = conn.execute(select(feat.c.id).where(feat.c.location_id == row.id)).scalar()
    if found is not None:
        return int(found)
    return int(
        conn.execute(
            feat.insert()
            .values(
                name=row.name,
                description=row.description,
                encoding_type=row.encoding_type,
                feature=row.location,
                geom=row.geom,
                location_id=row.id,
                properties=dumps({"generatedFrom": f"Locations({row.id})"}),
            )
            .returning(feat.c.id)
        ).scalar_one()
    )
