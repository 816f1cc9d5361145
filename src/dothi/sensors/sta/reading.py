"""Reading SensorThings entities (OGC 18-088 §9): a resource path and its query options
turned into queries, and the answer written as the standard says — one entity, a collection
with ``@iot.count`` and ``@iot.nextLink``, a property, ``$value``, ``$ref``, ``$expand``ed
related entities with their own options (and their own counts and next links),
``$resultFormat=dataArray``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import ColumnElement, Connection, Select, Table, func, select

from dothi.db.spatial import SpatialPort
from dothi.errors import InvalidInput, NotFound
from dothi.sensors.sta.codec import encode, encode_value, self_link
from dothi.sensors.sta.filter_sql import order_by, where
from dothi.sensors.sta.model import EntityType, Nav, target
from dothi.sensors.sta.odata import Expr
from dothi.sensors.sta.paths import ResourcePath
from dothi.sensors.sta.query import Expand, OrderBy, QueryOptions, nested_expands, options_text
from dothi.sensors.sta.resolver import TableResolver, ToMany, nav_condition, path_ids, resolve
from dothi.sensors.tables import TABLES

#: Entities per page when the client does not say, and at most: a larger ``$top`` is
#: discarded for this limit (18-088, ``request-data/top``) and the rest is a next link away.
DEFAULT_TOP = 100
MAX_TOP = 10_000
#: Left as they are in a next link's query: OData's own punctuation reads better unescaped.
_SAFE = "$(),/'"
#: Names ``$select`` takes besides properties and navigation links.
_CONTROL = frozenset({"id", "@iot.id", "@iot.selfLink", "selfLink"})


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
                last = rp.steps[-1]
                if last.id is None and rp.prop is None and len(rp.steps) > 1:
                    # An empty link to one entity (the Datastream of an Observation of a
                    # MultiDatastream): nothing to answer, 204 (OData 4.0 §11.2.6).
                    self._require_parent(rp, len(rp.steps) - 1)
                    return None
                raise NotFound(
                    f"Không có {entity.name} ở đường dẫn này.", f"No {entity.name} at this path."
                )
            if rp.prop is not None:
                value = _dig(encode_value(rp.prop, row), rp)
                return value if rp.value else {(rp.prop_path or (rp.prop.name,))[-1]: value}
            if rp.ref:
                return {"@iot.selfLink": self_link(self.base, entity, int(row["id"]))}
            out = encode(entity, row, self.base, _selected(opts, entity))
            self._expand(entity, [row], [out], opts.expand)
            return out
        self._require_parent(rp)
        order = _link_order(rp, table)
        return self._collection(entity, table, table.c.id.in_(ids), opts, params, rp.ref, order)

    def _require_parent(self, rp: ResourcePath, upto: int | None = None) -> None:
        """A collection below an entity that is not there (``Things(9)/Datastreams``, or a
        Datastream that is not the Thing's) is 404, not an empty collection."""
        steps = rp.steps[:-1] if upto is None else rp.steps[:upto]
        single = [
            n
            for n, step in enumerate(steps)
            if step.id is not None or (step.nav is not None and not step.nav.many)
        ]
        if single and self.conn.execute(path_ids(rp, single[-1] + 1).limit(1)).first() is None:
            raise NotFound("Không có thực thể ở đường dẫn này.", "No entity at this path.")

    def filtered(self, entity: EntityType, table: Table, expr: Expr) -> ColumnElement[bool]:
        """The condition of a ``$filter`` on ``table``'s rows (see :mod:`.resolver` for
        paths through links to many)."""
        dialect = self.conn.dialect.name
        try:
            return where(expr, TableResolver(entity, table, dialect, self.port))
        except ToMany:
            pass
        base = table.alias()
        joined = TableResolver(entity, base, dialect, self.port, joins=True)
        cond = where(expr, joined)
        return table.c.id.in_(select(base.c.id).select_from(joined.source()).where(cond))

    def _order(
        self, items: Sequence[OrderBy], entity: EntityType, table: Table
    ) -> list[ColumnElement[Any]]:
        try:
            return order_by(items, TableResolver(entity, table, self.conn.dialect.name, self.port))
        except ToMany as exc:
            raise InvalidInput(
                f"$orderby: «{exc}» là liên kết tới nhiều thực thể; không sắp xếp theo nó được.",
                f"$orderby: '{exc}' links to many entities; it cannot order a collection.",
            ) from None

    def _collection(
        self,
        entity: EntityType,
        table: Table,
        scope: ColumnElement[bool],
        opts: QueryOptions,
        params: dict[str, str],
        ref: bool = False,
        order: Sequence[ColumnElement[Any]] = (),
    ) -> dict[str, Any]:
        conds = [scope]
        if opts.filter is not None:
            conds.append(self.filtered(entity, table, opts.filter))
        top = _page(opts.top)
        skip = opts.skip or 0
        selected = _selected(opts, entity)
        stmt = select(table).where(*conds)
        stmt = stmt.order_by(*self._order(opts.orderby, entity, table), *order, table.c.id)
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
        values = [encode(entity, r, self.base, selected) for r in rows]
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
            self._expand_one(entity, nav, rows, outs, exp.options)

    def _expand_one(
        self,
        entity: EntityType,
        nav: Nav,
        rows: Sequence[Any],
        outs: list[dict[str, Any]],
        opts: QueryOptions,
    ) -> None:
        kind = target(nav)
        child_table = TABLES[kind.table]
        selected = _selected(opts, kind)
        key, stmt, link_order = _related(nav, entity, child_table, [int(r["id"]) for r in rows])
        if opts.filter is not None:
            stmt = stmt.where(self.filtered(kind, child_table, opts.filter))
        top, skip = _page(opts.top), opts.skip or 0
        by_parent: dict[int, list[Any]] = {}
        counts: dict[int, int] = {}
        if nav.many:
            order = [*self._order(opts.orderby, kind, child_table), *link_order, child_table.c.id]
            rank = func.row_number().over(partition_by=key, order_by=order).label("dothi_rank")
            ranked = stmt.add_columns(rank).subquery()
            window = (ranked.c.dothi_rank > skip, ranked.c.dothi_rank <= skip + top + 1)
            stmt2 = select(ranked).where(*window)
            stmt2 = stmt2.order_by(ranked.c.dothi_parent, ranked.c.dothi_rank)
            for r in self.conn.execute(stmt2).mappings():
                by_parent.setdefault(int(r["dothi_parent"]), []).append(r)
            if opts.count:
                sub = stmt.subquery()
                per = select(sub.c.dothi_parent, func.count()).group_by(sub.c.dothi_parent)
                counts = {int(p): int(n) for p, n in self.conn.execute(per)}
        else:
            for r in self.conn.execute(stmt).mappings():
                by_parent.setdefault(int(r["dothi_parent"]), []).append(r)
        for row, out in zip(rows, outs, strict=True):
            children = by_parent.get(int(row["id"]), [])
            if nav.many and opts.count:
                out[f"{nav.name}@iot.count"] = counts.get(int(row["id"]), 0)
            encoded = [encode(kind, c, self.base, selected) for c in children[:top]]
            self._expand(kind, children[:top], encoded, opts.expand)
            if not nav.many:
                out[nav.name] = encoded[0] if encoded else None
                continue
            out[nav.name] = encoded
            if len(children) > top:
                link = f"{self_link(self.base, entity, int(row['id']))}/{nav.name}"
                query = options_text(replace(opts, top=top, skip=skip + top))
                out[f"{nav.name}@iot.nextLink"] = f"{link}?{urlencode(query, safe=_SAFE)}"


def _dig(value: Any, rp: ResourcePath) -> Any:
    """The part of a JSON property that ``Things(1)/properties/owner`` names; 404 if the
    property has no such member."""
    for key in rp.prop_path:
        if isinstance(value, list) and key.isdigit() and int(key) < len(value):
            value = value[int(key)]
        elif isinstance(value, dict) and key in value:
            value = value[key]
        else:
            raise NotFound(
                f"Thuộc tính «{rp.prop.name if rp.prop else ''}» không có «{key}».",
                f"The property '{rp.prop.name if rp.prop else ''}' has no '{key}'.",
            )
    return value


def _link_order(rp: ResourcePath, table: Table) -> list[ColumnElement[Any]]:
    """``MultiDatastreams(1)/ObservedProperties`` in the order of the components (the
    order of ``unitOfMeasurements`` and of each result)."""
    last = rp.steps[-1]
    if last.nav is None or last.nav.link is None or len(rp.steps) < 2:
        return []
    link_name, this_col, other_col = last.nav.link
    link = TABLES[link_name]
    if "position" not in link.c:
        return []
    parents = path_ids(rp, len(rp.steps) - 1)
    position = (
        select(func.min(link.c.position))
        .where(link.c[other_col] == table.c.id, link.c[this_col].in_(parents))
        .scalar_subquery()
    )
    return [position]


def _selected(opts: QueryOptions, entity: EntityType) -> frozenset[str] | None:
    """The names of ``$select``, checked against the entity type (400 for a name it does
    not have)."""
    if not opts.select:
        return None
    known = {*_CONTROL, *(p.name for p in entity.props), *(n.name for n in entity.navs)}
    unknown = [name for name in opts.select if name not in known]
    if unknown:
        raise InvalidInput(
            f"$select: «{entity.name}» không có thuộc tính hay liên kết «{unknown[0]}».",
            f"$select: '{entity.name}' has no property or navigation link '{unknown[0]}'.",
        )
    return frozenset(opts.select)


def _page(top: int | None) -> int:
    """The page size: ``$top``, the default without it, at most :data:`MAX_TOP`."""
    return DEFAULT_TOP if top is None else min(top, MAX_TOP)


def _next_link(base: str, params: dict[str, str], skip: int, top: int) -> str:
    query = {k: v for k, v in params.items() if k not in ("$skip", "$top")}
    query["$top"] = str(top)
    query["$skip"] = str(skip)
    path = params.get("_path", "")
    query.pop("_path", None)
    return f"{base}/{path}?{urlencode(query, safe=_SAFE)}"


def _related(
    nav: Nav, source: EntityType, child: Table, parent_ids: list[int]
) -> tuple[ColumnElement[Any], Select[Any], list[ColumnElement[Any]]]:
    """The children of ``parent_ids`` through ``nav``, each with its parent's id as
    ``dothi_parent``; the parent key column (for per-parent windows); the link table's
    order of the children, if it keeps one."""
    if nav.local is not None:
        src = TABLES[source.table]
        key = src.c.id
        stmt = select(child, key.label("dothi_parent")).join(src, src.c[nav.local] == child.c.id)
        return key, stmt.where(src.c.id.in_(parent_ids)), []
    if nav.remote is not None:
        key = child.c[nav.remote]
        return key, select(child, key.label("dothi_parent")).where(key.in_(parent_ids)), []
    assert nav.link is not None
    link_name, this_col, other_col = nav.link
    link = TABLES[link_name]
    key = link.c[this_col]
    stmt = select(child, key.label("dothi_parent")).join(link, link.c[other_col] == child.c.id)
    order: list[ColumnElement[Any]] = [link.c.position] if "position" in link.c else []
    return key, stmt.where(key.in_(parent_ids)), order


def data_array(
    entity: EntityType, rows: Sequence[Any], base: str, opts: QueryOptions
) -> list[dict[str, Any]]:
    """Observations as ``dataArray`` (§11.3): one block per Datastream, components named:
    ``id`` and every property, or what ``$select`` names (in the entity's order)."""
    selected = _selected(opts, entity)
    with_id = selected is None or bool({"id", "@iot.id"} & selected)
    names = [p.name for p in entity.props if selected is None or p.name in selected]
    chosen = ["id", *names] if with_id else names
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


__all__ = [
    "DEFAULT_TOP",
    "MAX_TOP",
    "Reader",
    "TableResolver",
    "data_array",
    "nav_condition",
    "path_ids",
    "resolve",
]
