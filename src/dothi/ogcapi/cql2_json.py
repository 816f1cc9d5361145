"""CQL2 JSON (OGC 21-065, the ``cql2.json`` schema) read into the same tree as CQL2 text.

Errors name the place in the document as a JSON pointer (``/args/1/bbox``), since a JSON
body has no useful character position once decoded.
"""

from __future__ import annotations

import json
import unicodedata
from typing import Any

from shapely import GeometryCollection
from shapely.geometry import shape

from dothi.errors import InvalidInput
from dothi.ogcapi import cql2_ast as ast

_GEOJSON_TYPES = {
    t.upper(): t
    for t in ("Point", "LineString", "Polygon", "MultiPoint", "MultiLineString", "MultiPolygon")
}
_COMPARISONS = frozenset({"=", "<>", "<", ">", "<=", ">="})
_ARITY = {"not": 1, "like": 2, "between": 3, "in": 2, "isnull": 1, **dict.fromkeys(_COMPARISONS, 2)}


def _error(vi: str, en: str, path: str) -> InvalidInput:
    where = path or "/"
    return ast.cql2_error(f"CQL2 JSON: {vi} (tại {where})", f"CQL2 JSON: {en} (at {where})")


def _deeper(depth: int) -> int:
    if depth >= ast.MAX_DEPTH:
        raise ast.too_deep()
    return depth + 1


def _call(node: Any, path: str) -> tuple[str, list[Any]]:
    op, args = node.get("op"), node.get("args")
    if not isinstance(op, str) or not isinstance(args, list):
        raise _error(
            'cần một đối tượng {"op": "...", "args": [...]}',
            'expected an object {"op": "...", "args": [...]}',
            path,
        )
    want = _ARITY.get(op.lower())
    if want is not None and len(args) != want:
        raise _error(
            f"phép «{op}» cần {want} đối số, có {len(args)}",
            f"'{op}' takes {want} argument(s), got {len(args)}",
            path + "/args",
        )
    return op, args


def _expr(node: Any, path: str, depth: int) -> ast.Expr:
    if isinstance(node, bool):
        return ast.Literal(node)
    if not isinstance(node, dict):
        raise _error(
            "cần một điều kiện (đối tượng có op và args) hoặc true/false",
            "expected a condition (an object with op and args) or true/false",
            path,
        )
    inner = _deeper(depth)
    op, args = _call(node, path)
    low = op.lower()

    def arg(i: int) -> Any:
        return _scalar(args[i], f"{path}/args/{i}", inner)

    if low in ("and", "or"):
        if len(args) < 2:
            raise _error(f"«{op}» cần ít nhất 2 đối số", f"'{op}' needs at least 2 arguments", path)
        items = tuple(_expr(a, f"{path}/args/{i}", inner) for i, a in enumerate(args))
        return ast.And(items) if low == "and" else ast.Or(items)
    if low == "not":
        return ast.Not(_expr(args[0], f"{path}/args/0", inner))
    if low in _COMPARISONS:
        return ast.Compare(low, arg(0), arg(1))
    if low == "like":
        return ast.Like(arg(0), arg(1))
    if low == "between":
        return ast.Between(arg(0), arg(1), arg(2))
    if low == "isnull":
        return ast.IsNull(arg(0))
    if low == "in":
        if not isinstance(args[1], list):
            raise _error("đối số thứ hai của in phải là mảng", "in needs an array", path)
        listed = [_scalar(a, f"{path}/args/1/{i}", inner) for i, a in enumerate(args[1])]
        return ast.In(arg(0), tuple(listed))
    return ast.call(op, [arg(i) for i in range(len(args))])


def _scalar(node: Any, path: str, depth: int) -> Any:
    if isinstance(node, bool):
        return ast.Literal(node)
    if isinstance(node, int | float):
        return ast.number(node)
    if isinstance(node, str):
        return ast.text(node)
    if not isinstance(node, dict):
        raise _error(
            "cần một giá trị (chuỗi, số, true/false, property, date, timestamp, hình học)",
            "expected a value (string, number, boolean, property, date, timestamp, geometry)",
            path,
        )
    inner = _deeper(depth)
    if "property" in node:
        name = node["property"]
        if not isinstance(name, str) or not name:
            raise _error("tên thuộc tính phải là chuỗi", "property must be a string", path)
        return ast.Property(unicodedata.normalize("NFC", name))
    for kind in ("date", "timestamp"):
        if kind in node:
            if not isinstance(node[kind], str):
                raise _error(f"{kind} phải là chuỗi", f"{kind} must be a string", path)
            return ast.instant(kind, node[kind])
    if "bbox" in node:
        values = node["bbox"]
        return ast.bbox(values if isinstance(values, list) else [])
    if "type" in node:
        return _geometry(node, path, inner)
    if "op" in node:
        op, args = _call(node, path)
        if op.lower() in _ARITY or op.lower() in ("and", "or"):
            raise _error(
                f"«{op}» là một điều kiện, không phải một giá trị",
                f"'{op}' is a condition, not a value",
                path,
            )
        return ast.call(op, [_scalar(a, f"{path}/args/{i}", inner) for i, a in enumerate(args)])
    raise _error("đối tượng không rõ nghĩa", "unrecognised object", path)


def _geometry(node: dict[str, Any], path: str, depth: int) -> ast.Geometry:
    kind = node.get("type")
    if kind == "GeometryCollection":
        parts = node.get("geometries")
        if not isinstance(parts, list) or not parts:
            raise _error("cần mảng geometries", "geometries must be a non-empty array", path)
        inner = _deeper(depth)
        return _collection(
            [_geometry(p, f"{path}/geometries/{i}", inner) for i, p in enumerate(parts)]
            if all(isinstance(p, dict) for p in parts)
            else []
        )
    if not isinstance(kind, str):
        raise _error("type của hình học phải là chuỗi", "geometry type must be a string", path)
    return _geometry_of(kind, node.get("coordinates"))


def _geometry_of(kind: str, coordinates: Any, pos: int | None = None) -> ast.Geometry:
    """A geometry from a GeoJSON type name and coordinates."""
    name = _GEOJSON_TYPES.get(kind.upper())
    try:
        if name is None:
            raise ValueError(kind)
        geom = shape({"type": name, "coordinates": coordinates})
    except ast.SHAPE_ERRORS:
        raise ast.bad_geometry(kind, pos) from None
    return ast.literal_geometry(geom, kind, pos)


def _collection(parts: list[ast.Geometry], pos: int | None = None) -> ast.Geometry:
    """A geometry collection of already built geometries."""
    return ast.literal_geometry(
        GeometryCollection([p.value for p in parts]), "GeometryCollection", pos
    )


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def parse_json(doc: str | dict[str, Any] | bool) -> ast.Expr:
    """Parse a CQL2 JSON filter (text, or already decoded) into an expression tree."""
    if isinstance(doc, str):
        ast.check_length(doc)
        try:
            # NaN and Infinity are not JSON; Python would accept them by default.
            doc = json.loads(doc, parse_constant=_reject_constant)
        except json.JSONDecodeError as exc:
            raise ast.cql2_error(
                f"JSON không hợp lệ: {exc.msg}.", f"Invalid JSON: {exc.msg}.", exc.pos
            ) from None
        except ValueError as exc:
            raise ast.cql2_error(
                f"JSON không hợp lệ: {exc}.", f"Invalid JSON: {exc}.", None
            ) from None
        except RecursionError:
            raise ast.too_deep() from None
    return _expr(doc, "", 0)
