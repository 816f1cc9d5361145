"""The query options of a SensorThings API 1.1 request (18-088, 9.3 "Requesting data").

``$filter``, ``$expand`` (nested options in parentheses separated by ``;``, and the path
form ``Datastreams/Observations``), ``$select``, ``$orderby``, ``$top``, ``$skip``,
``$count`` and ``$resultFormat=dataArray``, parsed into frozen dataclasses. Option names
are matched in any case (OData 4.01, FROST-Server); an option given twice, an unknown
``$`` option or a bad value is refused with the option named; OData options this server
does not implement (``$search``, ``$apply``…) answer 501 as the standard requires
(``request-data/query-status-code``). Parameters without ``$`` are left to the caller.
Absent options stay None (or empty): the caller applies its defaults and page size.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from dothi.errors import DothiError, InvalidInput
from dothi.sensors.sta.odata import Expr, odata_error, parse_expression, parse_orderby

#: The options allowed inside an ``$expand`` item's parentheses.
NESTED_OPTIONS = ("$filter", "$select", "$orderby", "$skip", "$top", "$count", "$expand")
#: Every option this module reads.
OPTIONS = (*NESTED_OPTIONS, "$resultFormat")
#: OData system query options that SensorThings does not define here (501, not 400).
NOT_IMPLEMENTED = frozenset(
    {"$search", "$format", "$apply", "$compute", "$levels", "$index", "$schemaversion",
     "$skiptoken", "$deltatoken", "$id"}
)  # fmt: skip
RESULT_FORMATS = ("dataArray",)
#: Deepest ``$expand`` nesting accepted.
MAX_EXPAND_DEPTH = 10

_NAME = re.compile(r"[^\W\d][\w]*")
_SELECT_NAME = re.compile(r"(?:[^\W\d]|@)[\w.@]*")
_CANONICAL = {name.lower(): name for name in OPTIONS}
#: Options a next link writes again as the client gave them.
_KEPT_AS_TEXT = ("$filter", "$orderby", "$select")
_FIELDS = {
    "$filter": "filter", "$orderby": "orderby", "$select": "select", "$expand": "expand",
    "$top": "top", "$skip": "skip", "$count": "count", "$resultFormat": "result_format",
}  # fmt: skip


@dataclass(frozen=True)
class OrderBy:
    """One ``$orderby`` item."""

    expr: Expr
    descending: bool = False


@dataclass(frozen=True)
class QueryOptions:
    """The query options of a request, or of an expanded navigation property."""

    filter: Expr | None = None
    orderby: tuple[OrderBy, ...] = ()
    #: property and navigation names; empty when ``$select`` is absent (all properties)
    select: tuple[str, ...] = ()
    expand: tuple[Expand, ...] = ()
    top: int | None = None
    skip: int | None = None
    count: bool | None = None
    #: ``"dataArray"`` or None
    result_format: str | None = None
    #: The text of ``$filter``, ``$orderby`` and ``$select`` as given, to write the options
    #: again in a next link (see :func:`options_text`); no part of equality.
    text: tuple[tuple[str, str], ...] = field(default=(), compare=False)


@dataclass(frozen=True)
class Expand:
    """One ``$expand`` item: a navigation path (``("Datastreams", "Observations")`` for
    ``Datastreams/Observations``) and the options of its last step."""

    path: tuple[str, ...]
    options: QueryOptions = field(default_factory=QueryOptions)


def _error(option: str, vi: str, en: str, pos: int | None = None) -> InvalidInput:
    return odata_error(f"{option}: {vi}", f"{option}: {en}", pos)


def _within(option: str, exc: InvalidInput) -> InvalidInput:
    """``exc`` (from the expression parser) with the option named in front."""
    return InvalidInput(f"{option}: {exc.vi}", f"{option}: {exc.en}", code=exc.code)


def split_top_level(text: str, separator: str, offset: int = 0) -> list[tuple[str, int]]:
    """``text`` split at ``separator`` outside quotes and parentheses, each piece with the
    position where it starts (plus ``offset``). Quotes toggle on every ``'``, which also
    reads OData's doubled ``''`` right."""
    pieces: list[tuple[str, int]] = []
    depth, quoted, start = 0, False, 0
    for i, c in enumerate(text):
        if c == "'":
            quoted = not quoted
        elif quoted:
            continue
        elif c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth < 0:
                raise odata_error("Thừa dấu «)».", "Unbalanced ')'.", offset + i)
        elif c == separator and depth == 0:
            pieces.append((text[start:i], offset + start))
            start = i + 1
    if depth or quoted:
        what_vi, what_en = ("dấu nháy «'»", "quote") if quoted else ("dấu «)»", "')'")
        raise odata_error(
            f"Thiếu {what_vi} đóng.", f"A closing {what_en} is missing.", offset + len(text)
        )
    pieces.append((text[start:], offset + start))
    return pieces


def _stripped(piece: str, pos: int) -> tuple[str, int]:
    lead = len(piece) - len(piece.lstrip())
    return piece.strip(), pos + lead


def _integer(option: str, value: str, pos: int) -> int:
    text = value.strip()
    if not text.isascii() or not text.isdigit():
        raise _error(
            option,
            f"cần một số nguyên không âm, không phải «{value}».",
            f"expected a non-negative integer, not '{value}'.",
            pos,
        )
    return int(text)


def _boolean(option: str, value: str, pos: int) -> bool:
    text = value.strip().lower()
    if text not in ("true", "false"):
        raise _error(
            option,
            f"cần true hoặc false, không phải «{value}».",
            f"expected true or false, not '{value}'.",
            pos,
        )
    return text == "true"


def _select(value: str, pos: int) -> tuple[str, ...]:
    names: list[str] = []
    for piece, at in split_top_level(value, ",", pos):
        name, at = _stripped(piece, at)
        if not _SELECT_NAME.fullmatch(name):
            raise _error(
                "$select",
                f"cần tên thuộc tính hoặc liên kết, không phải «{name}».",
                f"expected a property or navigation name, not '{name}'.",
                at,
            )
        if name not in names:
            names.append(name)
    return tuple(names)


def _orderby(value: str, pos: int) -> tuple[OrderBy, ...]:
    try:
        return tuple(OrderBy(e, d) for e, d in parse_orderby(value, offset=pos))
    except InvalidInput as exc:
        raise _within("$orderby", exc) from None


def _filter(value: str, pos: int) -> Expr:
    try:
        return parse_expression(value, offset=pos)
    except InvalidInput as exc:
        raise _within("$filter", exc) from None


def _expand(value: str, pos: int, depth: int) -> tuple[Expand, ...]:
    if depth > MAX_EXPAND_DEPTH:
        raise _error(
            "$expand",
            f"lồng nhau quá sâu (tối đa {MAX_EXPAND_DEPTH} cấp).",
            f"nested too deeply (at most {MAX_EXPAND_DEPTH} levels).",
            pos,
        )
    items: list[Expand] = []
    try:
        pieces = split_top_level(value, ",", pos)
    except InvalidInput as exc:
        raise _within("$expand", exc) from None
    for piece, at in pieces:
        item, at = _stripped(piece, at)
        items.append(_expand_item(item, at, depth))
    return tuple(items)


def _expand_item(item: str, pos: int, depth: int) -> Expand:
    # The first "(" opens the options: a path has none of its own.
    opening = item.find("(")
    path_text = item if opening < 0 else item[:opening]
    parts = path_text.strip().split("/")
    if not all(_NAME.fullmatch(p) for p in parts):
        raise _error(
            "$expand",
            f"cần tên liên kết (như Datastreams hoặc Datastreams/Observations), không phải "
            f"«{path_text.strip()}».",
            "expected a navigation name (such as Datastreams or Datastreams/Observations), "
            f"not '{path_text.strip()}'.",
            pos,
        )
    options = QueryOptions()
    if opening >= 0:
        if not item.endswith(")"):
            raise _error(
                "$expand",
                "các tùy chọn trong ngoặc phải kết thúc mục (thiếu «,» sau «)»?).",
                "the options in parentheses must end the item (a ',' missing after ')'?).",
                pos + opening,
            )
        inner, start = item[opening + 1 : -1], pos + opening + 1
        pairs = []
        for piece, at in split_top_level(inner, ";", start):
            text, at = _stripped(piece, at)
            if text:
                pairs.append(_pair(text, at))
        options = _options(pairs, nested=True, depth=depth + 1)
    return Expand(tuple(parts), options)


def _pair(text: str, pos: int) -> tuple[str, str, int]:
    """``$name=value`` inside ``$expand`` parentheses."""
    name, sep, value = text.partition("=")
    if not sep or not name.strip().startswith("$"):
        raise _error(
            "$expand",
            f"cần một tùy chọn dạng $tên=giá trị trong ngoặc, không phải «{text}».",
            f"expected an option as $name=value inside the parentheses, not '{text}'.",
            pos,
        )
    return name.strip(), value, pos + len(name) + 1


def _options(pairs: Iterable[tuple[str, str, int]], *, nested: bool, depth: int) -> QueryOptions:
    seen: dict[str, str] = {}
    values: dict[str, Any] = {}
    texts: list[tuple[str, str]] = []
    allowed = NESTED_OPTIONS if nested else OPTIONS
    for raw_name, value, pos in pairs:
        key = raw_name.lower()
        name = _CANONICAL.get(key)
        if key in NOT_IMPLEMENTED:
            raise DothiError(
                f"Tùy chọn {raw_name} chưa được hỗ trợ.",
                f"The query option {raw_name} is not implemented.",
                code="NotImplemented",
                status=501,
            )
        if name is None or name not in allowed:
            where_vi = " trong $expand" if nested else ""
            where_en = " inside $expand" if nested else ""
            raise odata_error(
                f"Không có tùy chọn {raw_name}{where_vi}; các tùy chọn: {', '.join(allowed)}.",
                f"There is no query option {raw_name}{where_en}; options: {', '.join(allowed)}.",
                pos if nested else None,
            )
        if name in seen:
            raise odata_error(
                f"Tùy chọn {name} được cho hai lần ({seen[name]}, {raw_name}).",
                f"The query option {name} is given twice ({seen[name]}, {raw_name}).",
            )
        seen[name] = raw_name
        values[name] = _value(name, value, pos, depth)
        if name in _KEPT_AS_TEXT:
            texts.append((name, value.strip()))
    return QueryOptions(
        **{_FIELDS[name]: value for name, value in values.items()}, text=tuple(texts)
    )


def _value(name: str, value: str, pos: int, depth: int) -> object:
    if name == "$filter":
        return _filter(value, pos)
    if name == "$orderby":
        return _orderby(value, pos)
    if name == "$select":
        return _select(value, pos)
    if name == "$expand":
        return _expand(value, pos, depth)
    if name in ("$top", "$skip"):
        return _integer(name, value, pos)
    if name == "$count":
        return _boolean(name, value, pos)
    found = [f for f in RESULT_FORMATS if f.lower() == value.strip().lower()]
    if not found:
        raise _error(
            name,
            f"chỉ hỗ trợ {', '.join(RESULT_FORMATS)}, không phải «{value}».",
            f"only {', '.join(RESULT_FORMATS)} is supported, not '{value}'.",
        )
    return found[0]


def parse_query(params: Mapping[str, str]) -> QueryOptions:
    """The SensorThings query options among ``params`` (the decoded query string).

    Parameters whose name does not start with ``$`` are ignored. Raises
    :class:`~dothi.errors.InvalidInput` (400) for an unknown option, an option given twice
    or a bad value — the message names the option and, in expressions, the position —
    and a 501 error for an OData option SensorThings leaves out (``$search``…).
    """
    pairs = [(k, v, 0) for k, v in params.items() if k.startswith("$")]
    return _options(pairs, nested=False, depth=0)


def options_text(opts: QueryOptions) -> dict[str, str]:
    """The options again as query parameters (``$top`` and ``$skip`` too, when set): what a
    next link of an expanded collection carries so that the next page is the same query."""
    out = dict(opts.text)
    if opts.expand:
        out["$expand"] = ",".join(_expand_text(e) for e in opts.expand)
    if opts.count is not None:
        out["$count"] = "true" if opts.count else "false"
    for name, value in (("$top", opts.top), ("$skip", opts.skip)):
        if value is not None:
            out[name] = str(value)
    return out


def _expand_text(item: Expand) -> str:
    inner = ";".join(f"{k}={v}" for k, v in options_text(item.options).items())
    return "/".join(item.path) + (f"({inner})" if inner else "")


def nested_expands(expands: Iterable[Expand]) -> tuple[Expand, ...]:
    """The expands with one navigation step each: ``Datastreams/Observations($top=2)``
    becomes ``Datastreams($expand=Observations($top=2))``, and items on the same step are
    merged (``Datastreams($top=1),Datastreams/Sensor`` → one ``Datastreams`` with ``$top=1``
    expanding ``Sensor``). Two different sets of options for one step are refused."""
    merged: dict[str, Expand] = {}
    for item in expands:
        head, rest = item.path[0], item.path[1:]
        if rest:
            step = Expand((head,), QueryOptions(expand=(Expand(rest, item.options),)))
        else:
            step = Expand((head,), item.options)
        known = merged.get(head)
        merged[head] = step if known is None else _merge(known, step)
    return tuple(
        replace(e, options=replace(e.options, expand=nested_expands(e.options.expand)))
        for e in merged.values()
    )


def _merge(a: Expand, b: Expand) -> Expand:
    """One expand of the same step from two, their own options being equal or one unset."""
    bare_a = replace(a.options, expand=())
    bare_b = replace(b.options, expand=())
    if bare_a != bare_b and QueryOptions() not in (bare_a, bare_b):
        name = "/".join(a.path)
        raise odata_error(
            f"$expand: «{name}» được mở rộng hai lần với các tùy chọn khác nhau.",
            f"$expand: '{name}' is expanded twice with different options.",
        )
    own = bare_b if bare_a == QueryOptions() else bare_a
    return Expand(a.path, replace(own, expand=a.options.expand + b.options.expand))
