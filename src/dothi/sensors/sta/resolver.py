"""Names in ``$filter`` and ``$orderby`` turned into columns of an entity's table, and the
navigation between tables that resource paths and property paths need.

A path through links to one entity (``Datastream/Thing/name`` from Observations) is a
correlated subquery of one value. A path through a link to many (``Datastreams/name``
from Things) cannot be one value: a filter that uses one is evaluated over the rows of the
entity joined with its related rows, and an entity is kept when one of those combinations
matches (``Things?$filter=Datastreams/name eq 'x'`` keeps the Things that have a Datastream
called x). The same path prefix is one join, so that ``Datastreams/Observations/result gt 1
and Datastreams/Observations/result lt 5`` asks it of one Observation, as FROST-Server
does.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, FromClause, Select, select

from dothi.db.spatial import SpatialPort
from dothi.errors import InvalidInput
from dothi.sensors.sta.filter_sql import Column, ResultColumns, TimeInterval
from dothi.sensors.sta.model import EntityType, Nav, target
from dothi.sensors.sta.paths import ResourcePath
from dothi.sensors.tables import TABLES


class ToMany(Exception):
    """A property path goes through a link to many entities: the caller evaluates the
    filter over joined rows (see :class:`TableResolver`)."""


def path_ids(rp: ResourcePath, upto: int | None = None) -> Select[Any]:
    """A query of the ids of the entities ``rp`` names (one step after another); with
    ``upto``, of its first ``upto`` steps only."""
    ids: Select[Any] | None = None
    source: EntityType | None = None
    for step in rp.steps[:upto]:
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


class TableResolver:
    """Names in ``$filter``/``$orderby`` → columns of an entity's table (and, through
    navigation links, of related tables).

    Without ``joins`` a path through a link to many raises :class:`ToMany`; with it, the
    related tables are joined (see :attr:`joins`) and their columns returned.
    """

    def __init__(
        self,
        entity: EntityType,
        table: FromClause,
        dialect: str,
        port: SpatialPort,
        *,
        joins: bool = False,
    ) -> None:
        self.entity = entity
        self.table = table
        self.dialect = dialect
        self.port = port
        self.allow_joins = joins
        #: The joined tables in order, each with its ON condition.
        self.joins: list[tuple[FromClause, ColumnElement[bool]]] = []
        self._aliases: dict[tuple[str, ...], FromClause] = {}

    def column(self, path: tuple[str, ...]) -> Column | ResultColumns | TimeInterval:
        """The column (or the result's columns) that ``path`` names."""
        if self.allow_joins:
            return self._joined(self.entity, self.table, path, ())
        return resolve(self.entity, self.table, path)

    def source(self) -> FromClause:
        """The table with every join the resolved paths made."""
        src = self.table
        for other, on in self.joins:
            src = src.join(other, on)
        return src

    def _joined(
        self, entity: EntityType, table: FromClause, path: tuple[str, ...], prefix: tuple[str, ...]
    ) -> Column | ResultColumns | TimeInterval:
        nav = entity.nav(path[0])
        if nav is None or len(path) == 1:
            return resolve(entity, table, path)
        here = (*prefix, nav.name)
        other = self._aliases.get(here)
        if other is None:
            other = self._join(nav, table)
            self._aliases[here] = other
        return self._joined(target(nav), other, path[1:], here)

    def _join(self, nav: Nav, table: FromClause) -> FromClause:
        other = TABLES[target(nav).table].alias()
        if nav.local is not None:
            self.joins.append((other, other.c.id == table.c[nav.local]))
        elif nav.remote is not None:
            self.joins.append((other, other.c[nav.remote] == table.c.id))
        else:
            assert nav.link is not None
            link_name, this_col, other_col = nav.link
            link = TABLES[link_name].alias()
            self.joins.append((link, link.c[this_col] == table.c.id))
            self.joins.append((other, other.c.id == link.c[other_col]))
        return other


def resolve(
    entity: EntityType, table: FromClause, path: tuple[str, ...]
) -> Column | ResultColumns | TimeInterval:
    """The column ``path`` names in ``table`` (an entity's table or an alias of it); paths
    through links to one entity are correlated subqueries, through links to many
    :class:`ToMany`."""
    head = path[0]
    if head in ("id", "@iot.id") and len(path) == 1:
        return Column(table.c.id, "id", nullable=False)
    prop = entity.prop(head)
    if prop is not None:
        return _prop_column(entity, table, prop.kind, prop.column, path)
    nav = entity.nav(head)
    if nav is not None and len(path) > 1:
        if nav.many:
            raise ToMany(nav.name)
        if nav.local is not None and path[1:] in (("id",), ("@iot.id",)):
            # Datastream/id is the Observation's own column: no subquery, and its index.
            return Column(table.c[nav.local], "id")
        kind = target(nav)
        other = TABLES[kind.table].alias()
        inner = resolve(kind, other, path[1:])
        if not isinstance(inner, Column):
            raise _unknown(entity, path)
        if nav.local is not None:
            link = other.c.id == table.c[nav.local]
        else:
            assert nav.remote is not None
            link = other.c[nav.remote] == table.c.id
        sub = select(inner.expr).where(link).correlate(table).limit(1).scalar_subquery()
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


__all__ = ["TableResolver", "ToMany", "nav_condition", "path_ids", "resolve"]
