"""CQL2 expression trees compiled to one SQLAlchemy condition on the ``feature`` table.

Everything runs in the database: properties are read from the JSON column with the
accessor their queryable type calls for, geometry literals go through the spatial port.
NOT is pushed down to the leaves (De Morgan holds in SQL's three-valued logic) because a
port's spatial clause may be FALSE rather than NULL for a feature without geometry, and
only a leaf knows how to negate itself safely.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pyproj
import shapely
from shapely.geometry.base import BaseGeometry
from sqlalchemy import ColumnElement, String, and_, cast, false, literal, not_, or_, true

from dothi.db.schema import feature
from dothi.db.spatial.base import Predicate, SpatialPort
from dothi.db.textsql import text_like
from dothi.errors import InvalidInput
from dothi.geo import crs as crsmod
from dothi.geo.transform import move
from dothi.ogcapi import cql2_ast as ast
from dothi.ogcapi.cql2_json import parse_json
from dothi.ogcapi.cql2_text import parse_text
from dothi.ogcapi.queryables import property_sql, value_kind

#: The port's predicate with the literal second, and with it first (S_CONTAINS(literal,
#: geometry) asks whether the feature lies within the literal).
_SPATIAL: dict[str, tuple[Predicate, Predicate]] = {
    "s_intersects": ("intersects", "intersects"),
    "s_within": ("within", "contains"),
    "s_contains": ("contains", "within"),
}
_OPS: dict[str, Callable[[Any, Any], Any]] = {
    "=": operator.eq, "<>": operator.ne, "<": operator.lt,
    ">": operator.gt, "<=": operator.le, ">=": operator.ge,
}  # fmt: skip
_LITERAL_KINDS = {bool: "boolean", int: "number", float: "number", str: "string"}
# Booleans are ordered too (false < true): the CQL2 tests compare them with < and >.
_COMPARABLE = frozenset({"string", "number", "boolean", "date", "timestamp"})
_KIND_VI = {"string": "chuỗi", "number": "số", "boolean": "đúng/sai", "date": "ngày"}
_KIND_VI |= {"timestamp": "thời điểm", "geometry": "hình học"}


# --------------------------------------------------------------------------- compiler


@dataclass(frozen=True)
class _Value:
    kind: str  # string, number, boolean, date, timestamp, geometry
    sql: Any = None  # SQL expression (None for geometry)
    const: Any = None  # the Python value of a literal
    is_const: bool = False
    geom: BaseGeometry | None = None  # a geometry literal in WGS 84


def _error(vi: str, en: str, node: Any) -> InvalidInput:
    return ast.cql2_error(vi, en, getattr(node, "pos", None))


class _Compiler:
    def __init__(
        self, queryables: Mapping[str, Mapping[str, Any]], port: SpatialPort, crs: pyproj.CRS | None
    ) -> None:
        self.queryables = queryables
        self.port = port
        self.crs = crs

    # -- boolean structure ------------------------------------------------------------
    def boolean(self, node: Any, negate: bool) -> ColumnElement[bool]:
        if isinstance(node, ast.And | ast.Or):
            parts = [self.boolean(a, negate) for a in node.args]
            return or_(*parts) if isinstance(node, ast.And) == negate else and_(*parts)
        if isinstance(node, ast.Not):
            return self.boolean(node.arg, not negate)
        if isinstance(node, ast.Literal) and isinstance(node.value, bool):
            return true() if node.value != negate else false()
        if isinstance(node, ast.Spatial):
            return self.spatial(node, negate)
        leaf = self.leaf(node)
        if isinstance(leaf, bool):
            return true() if leaf != negate else false()
        return not_(leaf) if negate else leaf

    def leaf(self, node: Any) -> ColumnElement[bool] | bool:
        if isinstance(node, ast.Like):
            return self.like(node)
        if isinstance(node, ast.IsNull):
            return self.is_null(node.arg)
        if isinstance(node, ast.Compare):
            operands: tuple[Any, ...] = (node.left, node.right)
        elif isinstance(node, ast.Between):
            operands = (node.arg, node.low, node.high)
        elif isinstance(node, ast.In):
            operands = (node.arg, *node.items)
        else:
            self.value(node)  # a function: refused there
            raise _error("Cần một điều kiện ở đây.", "A condition is required here.", node)
        first, *rest = values = [self.value(n) for n in operands]
        op = node.op if isinstance(node, ast.Compare) else type(node).__name__.upper()
        for v, n in zip(rest, operands[1:], strict=True):
            self.same(op, first, v, n)
        # Literal against literal is decided here: SQL would only see untyped parameters.
        folded = all(v.is_const for v in values)
        a, *b = [v.const if folded else v.sql for v in values]
        if isinstance(node, ast.Compare):
            result = _OPS[node.op](a, b[0])
        elif isinstance(node, ast.Between):
            result = (b[0] <= a <= b[1]) if folded else a.between(b[0], b[1])
        else:
            result = (a in b) if folded else a.in_(b)
        return bool(result) if folded else result

    # -- values -----------------------------------------------------------------------
    def kind_of(self, prop: ast.Property) -> str:
        spec = self.queryables.get(prop.name)
        kind = value_kind(prop.name, spec)
        if kind is None:
            known = ", ".join(sorted(self.queryables)[:30]) or "—"
            why_vi, why_en = (
                ("kiểu không lọc được", "its type cannot be filtered on")
                if spec
                else ("không có thuộc tính này", "there is no such queryable")
            )
            raise _error(
                f"Không lọc được theo «{prop.name}»: {why_vi}. Các thuộc tính lọc được: {known}.",
                f"Cannot filter on '{prop.name}': {why_en}. Queryables: {known}.",
                prop,
            )
        return kind

    def value(self, node: Any) -> _Value:
        if isinstance(node, ast.Property):
            kind = self.kind_of(node)
            if kind == "geometry":
                return _Value(kind)
            return _Value(kind.replace("integer", "number"), property_sql(node.name, kind))
        if isinstance(node, ast.Literal | ast.Instant):
            v = node.value
            kind = node.kind if isinstance(node, ast.Instant) else _LITERAL_KINDS[type(v)]
            return _Value(kind, literal(v), v, True)
        if isinstance(node, ast.Geometry):
            return _Value("geometry", geom=_to_wgs84(node, self.crs))
        name = getattr(node, "name", getattr(node, "op", "?")).upper()
        raise _error(
            f"Hàm {name} không được hỗ trợ.", f"The function {name} is not supported.", node
        )

    def same(self, op: str, a: _Value, b: _Value, node: Any) -> None:
        wanted = {"LIKE": {"string"}}.get(op, {"geometry"} if op.startswith("S_") else _COMPARABLE)
        if a.kind == b.kind and a.kind in wanted:
            return
        kinds = {a.kind, b.kind}
        hint_vi = hint_en = ""
        if kinds & {"date", "timestamp"} and "string" in kinds:
            hint_vi = " Viết ngày dạng DATE('2026-01-01') hoặc TIMESTAMP('2026-01-01T08:00:00Z')."
            hint_en = " Write dates as DATE('2026-01-01') or TIMESTAMP('2026-01-01T08:00:00Z')."
        elif "geometry" in kinds and not op.startswith("S_"):
            hint_vi = " Với hình học, dùng S_INTERSECTS, S_WITHIN, S_CONTAINS hoặc S_DISJOINT."
            hint_en = " For geometry use S_INTERSECTS, S_WITHIN, S_CONTAINS or S_DISJOINT."
        raise _error(
            f"Sai kiểu: không dùng được {op} với {_KIND_VI[a.kind]} và {_KIND_VI[b.kind]}."
            + hint_vi,
            f"Type mismatch: {op} cannot take {a.kind} and {b.kind}.{hint_en}",
            node,
        )

    # -- leaves ------------------------------------------------------------------------
    def like(self, node: ast.Like) -> ColumnElement[bool] | bool:
        arg = self.value(node.arg)
        pattern = node.pattern
        if not isinstance(pattern, ast.Literal) or not isinstance(pattern.value, str):
            raise _error(
                "Mẫu LIKE phải là một chuỗi.", "The LIKE pattern must be a string.", pattern
            )
        self.same("LIKE", arg, _Value("string"), node.arg)
        text = pattern.value
        if (len(text) - len(text.rstrip("\\"))) % 2:
            raise _error(
                "Mẫu LIKE kết thúc bằng ký tự thoát \\ đơn lẻ.",
                "The LIKE pattern ends with a lone escape character \\.",
                pattern,
            )
        return text_like(cast(arg.sql, String) if arg.is_const else arg.sql, text)

    def is_null(self, node: Any) -> ColumnElement[bool] | bool:
        if isinstance(node, ast.Property):
            if self.kind_of(node) == "geometry":
                return feature.c.geom.is_(None)
            # The raw text, not a typed cast: a cast could fail on a malformed value.
            raw: ColumnElement[Any] = feature.c.properties[node.name].as_string()
            return raw.is_(None)
        self.value(node)  # literals are never NULL; functions are refused here
        return False

    def spatial(self, node: ast.Spatial, negate: bool) -> ColumnElement[bool]:
        op = node.op
        if op == "s_disjoint":
            return self.spatial(ast.Spatial("s_intersects", node.left, node.right), not negate)
        if op not in _SPATIAL:
            raise _error(
                f"{op.upper()} không được hỗ trợ; dùng S_INTERSECTS, S_WITHIN, S_CONTAINS "
                "hoặc S_DISJOINT.",
                f"{op.upper()} is not supported; use S_INTERSECTS, S_WITHIN, S_CONTAINS or "
                "S_DISJOINT.",
                node,
            )
        left, right = self.value(node.left), self.value(node.right)
        for v, n in ((left, node.left), (right, node.right)):
            self.same(op.upper(), v, _Value("geometry"), n)
        if left.geom is not None and right.geom is not None:
            result = getattr(left.geom, _SPATIAL[op][0])(right.geom)
            return true() if result != negate else false()
        if right.geom is not None:
            clause = self.port.spatial_clause(_SPATIAL[op][0], right.geom)
        elif left.geom is not None:
            clause = self.port.spatial_clause(_SPATIAL[op][1], left.geom)
        else:
            raise _error(
                f"{op.upper()} cần một hình học cụ thể (WKT, GeoJSON hoặc BBOX) làm đối số.",
                f"{op.upper()} needs a geometry literal (WKT, GeoJSON or BBOX) as one argument.",
                node,
            )
        if negate:
            # A feature without geometry matches neither the test nor its negation.
            return and_(feature.c.geom.is_not(None), not_(clause))
        return clause


def _to_wgs84(node: ast.Geometry, crs: pyproj.CRS | None) -> BaseGeometry:
    """A geometry literal written in ``crs`` (its own axis order) as WGS 84 lon/lat.

    OGC API: with ``filter-crs`` EPSG:4326 (or EPSG:4756) literals are latitude first, as
    those CRSs define; with CRS84 (the default) longitude first. The axis order is read
    from the CRS definition, not assumed from its code.
    """
    geom = node.value
    axes = [] if crs is None else crs.axis_info
    lat_first = bool(axes) and axes[0].direction in ("north", "south")
    if lat_first:
        geom = shapely.transform(geom, lambda c: c[:, ::-1])
    if crs is not None and not crsmod.is_geographic_wgs84(crs):
        geom = move(geom, crs, pyproj.CRS.from_epsg(4326))  # always_xy: lon, lat
    minx, miny, maxx, maxy = geom.bounds
    if not (-180 <= minx <= maxx <= 180 and -90 <= miny <= maxy <= 90):
        order_vi = "vĩ độ trước, kinh độ sau" if lat_first else "kinh độ trước, vĩ độ sau"
        order_en = "latitude first" if lat_first else "longitude first"
        raise ast.cql2_error(
            "Tọa độ của hình học nằm ngoài phạm vi kinh độ/vĩ độ. Trong hệ tọa độ của bộ "
            f"lọc, tọa độ được viết {order_vi}.",
            "The geometry's coordinates fall outside the longitude/latitude range. In the "
            f"filter CRS coordinates are written {order_en}.",
            node.pos,
        )
    if not geom.is_valid:
        reason = shapely.is_valid_reason(geom)
        raise ast.cql2_error(
            f"Hình học không hợp lệ: {reason}.", f"Invalid geometry: {reason}.", node.pos
        )
    return geom


def compile_filter(
    expr: ast.Expr,
    *,
    queryables: Mapping[str, Mapping[str, Any]],
    port: SpatialPort,
    filter_crs: pyproj.CRS | None = None,
) -> ColumnElement[bool]:
    """The SQL condition for a parsed CQL2 filter, for ``port.find(..., where=[...])``.

    ``queryables`` maps queryable names to their JSON Schema (``properties`` of
    :func:`dothi.ogcapi.queryables.queryables`); ``filter_crs`` is the CRS of geometry
    literals (default CRS84, longitude first), in its own axis order.
    """
    return _Compiler(queryables, port, filter_crs).boolean(expr, negate=False)


def parse_filter(text_or_json: str, lang: str) -> ast.Expr:
    """Parse a filter given as ``cql2-text`` or ``cql2-json`` (the ``filter-lang`` values)."""
    if lang == "cql2-text":
        return parse_text(text_or_json)
    if lang == "cql2-json":
        return parse_json(text_or_json)
    raise ast.cql2_error(
        f"filter-lang «{lang}» không được hỗ trợ; dùng cql2-text hoặc cql2-json.",
        f"Unsupported filter-lang '{lang}'; use cql2-text or cql2-json.",
    )
