"""Which column of a file fills which field of a layer (ánh xạ cột).

Decided once per import, before any row is read, in this order for each column:

1. the user's mapping (``--map SOURCE=FIELD``, ``--map-file``), checked against the layer;
2. a column named exactly like a field;
3. for a core layer, the mappings shipped for common Vietnamese cadastral columns
   (``schemas/column-mappings.json``: ``MaXa`` → ``commune_code``…);
4. a name cut to 10 characters by the DBF format of Shapefiles (``commune_co``): it maps to
   the one field it is the start of; when it starts several, GDAL's numbered names beside it
   (``land_use_c``, ``land_use_1``…) give their order, otherwise it is refused as ambiguous;
5. the same name but for case, diacritics and separators (``Số_Tờ`` → ``so_to``).

Columns matched by none keep their own name. The importer renames the file's columns with
the result, so everything after it (hooks, validation) sees the layer's field names.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from dothi.errors import InvalidInput
from dothi.spatial.properties import normalise_name

#: How a column was matched, in the order the rules are tried.
HOW = ("map", "same", "cadastral", "truncated", "loose", "kept")
_DBF_NAME = 10
_FIELD = re.compile(r"^[^\x00-\x1f]{1,128}$")
#: How a column was matched, in words (:data:`HOW`).
HOW_LABELS = {
    "map": {"vi": "theo ánh xạ đã chọn", "en": "as mapped"},
    "same": {"vi": "cùng tên", "en": "same name"},
    "cadastral": {"vi": "tên cột địa chính quen dùng", "en": "common cadastral name"},
    "truncated": {"vi": "tên bị cắt còn 10 ký tự", "en": "name cut to 10 characters"},
    "loose": {"vi": "khác hoa thường hoặc dấu", "en": "case or accents differ"},
    "kept": {"vi": "giữ tên của cột", "en": "keeps its own name"},
}


def how_label(how: str) -> dict[str, str]:
    """How a column was matched, in Vietnamese and English."""
    return HOW_LABELS.get(how, {"vi": how, "en": how})


@dataclass(frozen=True)
class ColumnChoice:
    """One column of the file, the field it fills and the rule that decided (:data:`HOW`)."""

    source: str
    target: str
    how: str


def parse_map_options(items: Sequence[str]) -> dict[str, str]:
    """``["MaXa=commune_code", ...]`` (the ``--map`` flags) as a dict."""
    out: dict[str, str] = {}
    for item in items:
        source, sep, target = item.partition("=")
        source, target = source.strip(), target.strip()
        if not sep or not source or not target:
            raise InvalidInput(
                f"Ánh xạ cột «{item}» không hợp lệ; viết CỘT_TRONG_TỆP=TRƯỜNG, ví dụ "
                "--map MaXa=commune_code.",
                f"Invalid column mapping '{item}'; write FILE_COLUMN=FIELD, e.g. "
                "--map MaXa=commune_code.",
            )
        _add(out, source, target, item)
    return out


def read_map_file(path: Path) -> dict[str, str]:
    """A mapping file: a JSON object ``{"MaXa": "commune_code"}`` or a CSV of two columns
    (source, field; a first row ``source,target`` is taken as a header)."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise InvalidInput(
            f"Không đọc được tệp ánh xạ cột {path}: {exc}.",
            f"Cannot read the column mapping file {path}: {exc}.",
        ) from None
    out: dict[str, str] = {}
    if path.suffix.lower() == ".json":
        try:
            data: Any = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InvalidInput(
                f"Tệp ánh xạ cột {path.name} không phải JSON hợp lệ: {exc}.",
                f"The column mapping file {path.name} is not valid JSON: {exc}.",
            ) from None
        if not isinstance(data, dict) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in data.items()
        ):
            raise InvalidInput(
                f"Tệp ánh xạ cột {path.name} phải là một đối tượng JSON "
                '{"cột trong tệp": "trường"}.',
                f'The column mapping file {path.name} must be a JSON object {{"file column": '
                '"field"}.',
            )
        for source, target in data.items():
            _add(out, source.strip(), target.strip(), f"{source}={target}")
        return out
    if path.suffix.lower() != ".csv":
        raise InvalidInput(
            f"Tệp ánh xạ cột phải là .json hoặc .csv, không phải {path.name}.",
            f"The column mapping file must be .json or .csv, not {path.name}.",
        )
    for n, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if n == 1 and [c.lower() for c in cells[:2]] in (["source", "target"], ["nguon", "dich"]):
            continue
        if len(cells) < 2 or not cells[0] or not cells[1]:
            raise InvalidInput(
                f"{path.name}, dòng {n}: cần hai cột (cột trong tệp, trường).",
                f"{path.name}, line {n}: two columns needed (file column, field).",
            )
        _add(out, cells[0], cells[1], ",".join(cells[:2]))
    return out


def _add(out: dict[str, str], source: str, target: str, shown: str) -> None:
    if not _FIELD.match(source) or not _FIELD.match(target):
        raise InvalidInput(
            f"Ánh xạ cột «{shown}» không hợp lệ.", f"Invalid column mapping '{shown}'."
        )
    if out.get(source, target) != target:
        raise InvalidInput(
            f"Cột «{source}» được ánh xạ hai lần ({out[source]}, {target}).",
            f"Column '{source}' is mapped twice ({out[source]}, {target}).",
        )
    out[source] = target


@cache
def _shipped() -> dict[str, dict[str, str]]:
    path = resources.files("dothi.spatial") / "schemas" / "column-mappings.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    layers: dict[str, dict[str, str]] = data["layers"]
    return layers


def _squash(name: str) -> str:
    """``So_To``, ``SOTO`` and ``Số tờ`` all become ``soto``."""
    return normalise_name(name).replace("_", "")


def shipped_mapping(layer_id: str) -> dict[str, str]:
    """The shipped mapping of common Vietnamese column names for a core layer, by the
    source name without case, diacritics or separators."""
    return {_squash(k): v for k, v in _shipped().get(layer_id, {}).items()}


def resolve_columns(
    columns: Sequence[str],
    fields: Sequence[str],
    user: Mapping[str, str],
    *,
    layer_id: str,
    core: bool,
    fixed: bool,
    strict: bool = True,
) -> list[ColumnChoice]:
    """Decide the field of each column (see the module docstring).

    ``fields`` are the layer's fields in schema order; ``fixed`` says the layer already has
    them (an existing or core layer), so a mapping to any other field is refused; a new
    user layer takes whatever names the mapping gives. ``core`` turns on the shipped
    cadastral mappings. Without ``strict`` (a preview, where a person then chooses), a
    truncated name that may be several fields keeps its own name instead of being refused.
    """
    field_set = set(fields)
    if fixed:
        unknown = sorted({t for t in user.values() if t not in field_set})
        if unknown:
            raise InvalidInput(
                f"Lớp «{layer_id}» không có trường {', '.join(unknown)}. Các trường: "
                f"{', '.join(fields)}.",
                f"Layer '{layer_id}' has no field {', '.join(unknown)}. Its fields: "
                f"{', '.join(fields)}.",
                code="UnknownField",
            )
    choice: dict[str, ColumnChoice] = {}
    claimed: dict[str, str] = {}
    by_norm = {normalise_name(k): v for k, v in user.items()}
    for col in columns:
        target = user.get(col) or by_norm.get(normalise_name(col))
        if target is None:
            continue
        if target in claimed:
            raise InvalidInput(
                f"Hai cột cùng được ánh xạ vào «{target}»: {claimed[target]}, {col}.",
                f"Two columns are mapped to '{target}': {claimed[target]}, {col}.",
            )
        choice[col] = ColumnChoice(col, target, "map")
        claimed[target] = col
    for col in columns:
        if col not in choice and col in field_set and col not in claimed:
            choice[col] = ColumnChoice(col, col, "same")
            claimed[col] = col
    rest = [c for c in columns if c not in choice]
    rules = [("cadastral", _cadastral(layer_id))] if core else []
    rules += [("truncated", _truncated(rest, fields, strict)), ("loose", _loose(fields))]
    for how, rule in rules:
        for col in rest:
            if col in choice:
                continue
            target = rule(col)
            if target is not None and target not in claimed:
                choice[col] = ColumnChoice(col, target, how)
                claimed[target] = col
    for col in columns:
        if col not in choice:
            # A column keeping its own name must not collide with a field another one took.
            if col in claimed:
                raise InvalidInput(
                    f"Cột «{col}» trùng tên với trường mà cột «{claimed[col]}» đã được ánh "
                    "xạ vào; đổi ánh xạ bằng --map.",
                    f"Column '{col}' has the name of the field column '{claimed[col]}' was "
                    "mapped to; change the mapping with --map.",
                )
            choice[col] = ColumnChoice(col, col, "kept")
    return [choice[c] for c in columns]


def _cadastral(layer_id: str) -> Any:
    shipped = shipped_mapping(layer_id)
    return lambda col: shipped.get(_squash(col))


def _loose(fields: Sequence[str]) -> Any:
    loose = {normalise_name(f): f for f in fields}
    return lambda col: loose.get(normalise_name(col))


def _truncated(columns: Sequence[str], fields: Sequence[str], strict: bool = True) -> Any:
    """The rule for names cut by the DBF format, numbered ones included."""
    long = [f for f in fields if len(f) > _DBF_NAME]
    present = set(columns)
    found: dict[str, str] = {}
    for col in columns:
        if len(col) != _DBF_NAME:
            continue
        starts = [f for f in long if f[:_DBF_NAME].lower() == col.lower()]
        if len(starts) == 1:
            found[col] = starts[0]
        elif len(starts) > 1:
            # GDAL names the second field cut to the same 10 characters name[:9] + "1",
            # the next + "2"…, in the order written: when the file has them, that order
            # tells which is which.
            numbered = [_numbered(col, k) for k in range(1, len(starts))]
            if not any(n in present for n in numbered):
                if not strict:
                    continue
                raise InvalidInput(
                    f"Cột «{col}» (tên bị cắt còn 10 ký tự) có thể là một trong các trường: "
                    f"{', '.join(starts)}; chỉ rõ bằng --map {col}=TRƯỜNG.",
                    f"Column '{col}' (a name cut to 10 characters) may be any of the fields "
                    f"{', '.join(starts)}; say which with --map {col}=FIELD.",
                    code="AmbiguousColumn",
                )
            found[col] = starts[0]
            for k, name in enumerate(numbered, start=1):
                if name in present:
                    found[name] = starts[k]
    return found.get


def _numbered(base: str, k: int) -> str:
    digits = str(k)
    return base[: _DBF_NAME - len(digits)] + digits
