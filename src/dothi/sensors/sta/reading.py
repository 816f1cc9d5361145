"""Reading SensorThings entities (OGC 18-088 §9): a resource path and its query options
turned into queries, and the answer written as the standard says — one entity, a collection
with ``@iot.count`` and ``@iot.nextLink``, a property, ``$value``, ``$ref``, ``$expand``ed
related entities with their own options, ``$resultFormat=dataArray``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Connection, FromClause, Select, Table, func, select

from dothi.db.spatial import SpatialPort
from dothi.errors import InvalidInput, NotFound
from dothi.sensors.sta.codec import encode, encode_value, self_link
from dothi.sensors.sta.filter_sql import Column, ResultColumns, TimeInterval, order_by, where
from dothi.sensors.sta.model import EntityType, Nav, target
from dothi.sensors.sta.paths import ResourcePath
from dothi.sensors.sta.query import Expand, QueryOptions, nested_expands
from dothi.sensors.tables import TABLES

#: Entities per page when the client does not say, and at most.
DEFAULT_TOP = 100
MAX_TOP = 10_000
#: Left as they are in a next link's query: OData's own punctuation reads better unescaped.
_SAFE = "$(),/'"


@dataclass(frozen=True)
class Reader:
    """Reads with one connection, on one backend, for one service root."""

    conn: Connection
    port: SpatialPort
    base: str

    def read(self, rp: ResourcePath, opts: QueryOptions, params: dict[str, str]) -> Any:
        """The answer to ``GET <path>?<params>``."""
        entity = rp.entity
        table = TABLES[entity.table]
        ids = path_ids(rp)
        if rp.single:
            row = self.conn.execute(select(table).where(table.c.id.in_(ids))).mappings().first()
            if row is None:
                raise NotFound(
                    f"Không có {entity.name} ở đường dẫn này.", f"No {entity.name} at this path."
                )
            if rp.prop is not None:
                value = encode_value(rp.prop, row)
                return value if rp.value else {rp.prop.name: value}
            if rp.ref:
                return {"@iot.selfLink": self_link(self.base, entity, int(row["id"]))}
            out = encode(entity, row, self.base, _selected(opts))
            self._expand(entity, [row], [out], opts.expand)
            return out
        return self._collection(entity, table, table.c.id.in_(ids), opts, params, rp.ref)

    def _collection(
        self,
        entity: EntityType,
        table: Table,
        scope: ColumnElement[bool],
        opts: QueryOptions,
        params: dict[str, str],
        ref: bool = False,
    ) -> dict[str, Any]:
        resolver = TableResolver(entity, table, self.conn.dialect.name, self.port)
        conds = [scope]
        if opts.filter is not None:
            conds.append(where(opts.filter, resolver))
        top = _top(opts.top)
        skip = opts.skip or 0
        stmt = select(table).where(*conds)
        stmt = stmt.order_by(*order_by(opts.orderby, resolver), table.c.id)
        rows = list(self.conn.execute(stmt.offset(skip).limit(top + 1)).mappings())
        out: dict[str, Any] = {}
        if opts.count:
            count = select(func.count()).select_from(table).where(*conds)
            out["@iot.count"] = int(self.conn.execute(count).scalar_one())
        if len(rows) > top:
            rows = rows[:top]
            out["@iot.nextLink"] = _next_link(self.base, params, skip + top, top)
        if ref:
            out["value"] = [
                {"@iot.selfLink": self_link(self.base, entity, int(r["id"]))} for r in rows
            ]
            return out
        if opts.result_format == "dataArray" and entity.name == "Observation":
            out["value"] = data_array(entity, rows, self.base, opts)
            return out
        values = [encode(entity, r, self.base, _selected(opts)) for r in rows]
        self._expand(entity, rows, values, opts.expand)
        out["value"] = values
        return out

    def _expand(
        self,
        entity: EntityType,
        rows: Sequence[Any],
        outs: list[dict[str, Any]],
        expands: Sequence[Expand],
    ) -> None:
        """Write the related entities of ``rows`` into ``outs``, one query per link."""
        if not rows:
            return
        for exp in nested_expands(expands):
            nav = entity.nav(exp.path[0])
            if nav is None:
                raise InvalidInput(
                    f"$expand: «{entity.name}» không có liên kết «{exp.path[0]}».",
                    f"$expand: '{entity.name}' has no navigation link '{exp.path[0]}'.",
                )
            kind = target(nav)
            child_table = TABLES[kind.table]
            opts = exp.options
            key, stmt = _related(nav, entity, child_table, [int(r["id"]) for r in rows])
            resolver = TableResolver(kind, child_table, self.conn.dialect.name, self.port)
            if opts.filter is not None:
                stmt = stmt.where(where(opts.filter, resolver))
            order = [*order_by(opts.orderby, resolver), child_table.c.id]
            by_parent: dict[int, list[Any]] = {}
            if nav.many:
                top, skip = _top(opts.top), opts.skip or 0
                rank = func.row_number().over(partition_by=key, order_by=order).label("dothi_rank")
                ranked = stmt.add_columns(rank).subquery()
                window = (ranked.c.dothi_rank > skip, ranked.c.dothi_rank <= skip + top + 1)
                stmt2 = select(ranked).where(*window)
                stmt2 = stmt2.order_by(ranked.c.dothi_parent, ranked.c.dothi_rank)
                for r in self.conn.execute(stmt2).mappings():
                    by_parent.setdefault(int(r["dothi_parent"]), []).append(r)
            else:
                for r in self.conn.execute(stmt).mappings():
                    by_parent.setdefault(int(r["dothi_parent"]), []).append(r)
            for row, out in zip(rows, outs, strict=True):
                children = by_parent.get(int(row["id"]), [])
                if nav.many:
                    top, skip = _top(opts.top), opts.skip or 0
                    more = len(children) > top
                    children = children[:top]
                    link = f"{self_link(self.base, entity, int(row['id']))}/{nav.name}"
                    if more:
                        out[f"{nav.name}@iot.nextLink"] = f"{link}?$top={top}&$skip={skip + top}"
                encoded = [encode(kind, c, self.base, _selected(opts)) for c in children]
                self._expand(kind, children, encoded, opts.expand)
                out[nav.name] = encoded if nav.many else (encoded[0] if encoded else None)


def _selected(opts: QueryOptions) -> frozenset[str] | None:
    return frozenset(opts.select) if opts.select else None


def _top(top: int | None) -> int:
    if top is None:
        return DEFAULT_TOP
    if top > MAX_TOP:
        raise InvalidInput(
            f"$top tối đa là {MAX_TOP}; dùng @iot.nextLink để đọc tiếp.",
            f"$top is at most {MAX_TOP}; follow @iot.nextLink for more.",
        )
    return top


def _next_link(base: str, params: dict[str, str], skip: int, top: int) -> str:
    query = {k: v for k, v in params.items() if k not in ("$skip", "$top")}
    query["$top"] = str(top)
    query["$skip"] = str(skip)
    path = params.get("_path", "")
    query.pop("_path", None)
    return f"{base}/{path}?{urlencode(query, safe=_SAFE)}"


def path_ids(rp: ResourcePath) -> Select[Any]:
    """A query of the ids of the entities ``rp`` names (one step after another)."""
    ids: Select[Any] | None = None
    source: EntityType | None = None
    for step in rp.steps:
        table = TABLES[step.entity.table]
        q = select(table.c.id)
        if step.nav is not None and ids is not None and source is not None:
            q = q.where(nav_condition(step.nav, source, table, ids))
        if step.id is not None:
            q = q.where(table.c.id == step.id)
        ids, source = q, step.entity
    assert ids is not None
    return ids


def nav_condition(
    nav: Nav, source: EntityType, target_table: FromClause, source_ids: Select[Any]
) -> ColumnElement[bool]:
    """Rows of ``target_table`` linked through ``nav`` to the entities ``source_ids``."""
    if nav.local is not None:
        src = TABLES[source.table]
        return target_table.c.id.in_(select(src.c[nav.local]).where(src.c.id.in_(source_ids)))
    if nav.remote is not None:
        return target_table.c[nav.remote].in_(source_ids)
    assert nav.link is not None
    link_name, this_col, other_col = nav.link
    link = TABLES[link_name]
    return target_table.c.id.in_(select(link.c[other_col]).where(link.c[this_col].in_(source_ids)))


def _related(
    nav: Nav, source: EntityType, child: Table, parent_ids: list[int]
) -> tuple[ColumnElement[Any], Select[Any]]:
    """The children of ``parent_ids`` through ``nav``, each with its parent's id as
    ``dothi_parent``; the parent key column (for per-parent windows)."""
    if nav.local is not None:
        src = TABLES[source.table]
        key = src.c.id
        stmt = select(child, key.label("dothi_parent")).join(src, src.c[nav.local] == child.c.id)
        return key, stmt.where(src.c.id.in_(parent_ids))
    if nav.remote is not None:
        key = child.c[nav.remote]
        return key, select(child, key.label("dothi_parent")).where(key.in_(parent_ids))
    assert nav.link is not None
    link_name, this_col, other_col = nav.link
    link = TABLES[link_name]
    key = link.c[this_col]
    stmt = select(child, key.label("dothi_parent")).join(link, link.c[other_col] == child.c.id)
    return key, stmt.where(key.in_(parent_ids))


def data_array(
    entity: EntityType, rows: Sequence[Any], base: str, opts: QueryOptions
) -> list[dict[str, Any]]:
    """Observations as ``dataArray`` (§11.3): one block per Datastream, components named."""
    names = [p.name for p in entity.props if p.name != "parameters"]
    chosen = ["id", *[n for n in names if _selected(opts) is None or n in _selected(opts)]]  # type: ignore[operator]
    blocks: dict[tuple[str, int], list[list[Any]]] = {}
    for r in rows:
        multi = r["datastream_id"] is None
        key = (
            ("MultiDatastream", r["multi_datastream_id"])
            if multi
            else ("Datastream", r["datastream_id"])
        )
        row_out = []
        for name in chosen:
            if name == "id":
                row_out.append(int(r["id"]))
            else:
                prop = entity.prop(name)
                assert prop is not None
                row_out.append(encode_value(prop, r))
        blocks.setdefault(key, []).append(row_out)
    return [
        {
            f"{kind}@iot.navigationLink": f"{base}/{kind}s({stream_id})",
            "components": chosen,
            "dataArray@iot.count": len(data),
            "dataArray": data,
        }
        for (kind, stream_id), data in blocks.items()
    ]


class TableResolver:
    """Names in ``$filter``/``$orderby`` → columns of an entity's table (and, through
    navigation links, correlated subqueries of related tables)."""

    def __init__(self, entity: EntityType, table: Table, dialect: str, port: SpatialPort) -> None:
        self.entity = entity
        self.table = table
        self.dialect = dialect
        self.port = port

    def column(self, path: tuple[str, ...]) -> Column | ResultColumns | TimeInterval:
        """The column (or the result's columns) that ``path`` names."""
        return resolve(self.entity, self.table, path)


def resolve(
    entity: EntityType, table: FromClause, path: tuple[str, ...]
) -> Column | ResultColumns | TimeInterval:
    """See :meth:`TableResolver.column`."""
    head = path[0]
    if head in ("id", "@iot.id") and len(path) == 1:
        return Column(table.c.id, "id", nullable=False)
    prop = entity.prop(head)
    if prop is not None:
        return _prop_column(entity, table, prop.kind, prop.column, path)
    nav = entity.nav(head)
    if nav is not None and not nav.many and len(path) > 1:
        kind = target(nav)
        other = TABLES[kind.table].alias()
        inner = resolve(kind, other, path[1:])
        if not isinstance(inner, Column):
            raise _unknown(entity, path)
        link = nav_condition(nav, entity, other, select(table.c.id))  # correlated
        sub = select(inner.expr).where(link).correlate(table).scalar_subquery()
        return Column(sub, inner.kind, json_path=inner.json_path)
    raise _unknown(entity, path)


def _prop_column(
    entity: EntityType, table: FromClause, kind: str, column: str, path: tuple[str, ...]
) -> Column | ResultColumns | TimeInterval:
    if kind == "result":
        t = table.c
        return ResultColumns(t.result_number, t.result_text, t.result_json, t.result_kind)
    if kind in ("object", "json"):
        return Column(table.c[column], "json", json_path=path[1:])
    if len(path) > 1:
        raise _unknown(entity, path)
    if kind == "text":
        return Column(table.c[column], "text")
    if kind == "time" or column == "creation_time":
        return Column(table.c[column], "time")
    if kind == "interval" or column in ("phenomenon_time", "result_time"):
        return TimeInterval(table.c[f"{column}_start"], table.c[f"{column}_end"])
    if kind == "geojson":
        return Column(table.c.geom, "geometry")
    raise _unknown(entity, path)


def _unknown(entity: EntityType, path: tuple[str, ...]) -> InvalidInput:
    name = "/".join(path)
    return InvalidInput(
        f"«{entity.name}» không có thuộc tính «{name}» để lọc hay sắp xếp.",
        f"'{entity.name}' has no property '{name}' to filter or order by.",
    )
