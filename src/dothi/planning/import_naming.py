"""Import hook: planning layers named per Circular 16/2025/TT-BXD fill what features omit.

When a file is imported into a target layer of the naming table (``planning_zone``,
``green_water``), the name of the file's layer — or, in files converted from CAD drawings,
each feature's ``Layer`` column — is read with :func:`~dothi.planning.layer_names.parse_layer_name`.
A recognised name fills the properties the table gives for its code (``land_use_function``,
``land_use_code``…) where a feature leaves them empty, and is kept on the feature as it was
written (``source_layer``) with its stage (``existing`` / ``planned``). Values a feature
gives are never replaced. A file layer name that is not recognised changes nothing and is
not reported (most data is not named per the Circular); ``Layer`` values that are not
recognised are reported once. Everything works on whole Arrow batches, before the rows are
validated.
"""

from __future__ import annotations

from collections import Counter

import pyarrow as pa
import pyarrow.compute as pc

from dothi.planning.layer_names import LayerName, NamingTable, naming_table, parse_layer_name
from dothi.spatial.layers import Layer
from dothi.spatial.properties import map_columns, normalise_name

_CIRCULAR = "Thông tư 16/2025/TT-BXD"
_CIRCULAR_EN = "Circular 16/2025/TT-BXD"
#: Shown at most this many distinct names in a report line.
_SHOWN = 8


def circular_naming(
    layer: Layer, source_layer: str | None, schema: pa.Schema, geom_col: str
) -> CircularNaming | None:
    """The hook for an import of ``source_layer`` into ``layer``; None if not a target."""
    table = naming_table()
    if layer.id not in table.targets:
        return None
    return CircularNaming(table, layer, source_layer, schema, geom_col)


def _is_text(t: pa.DataType) -> bool:
    return bool(pa.types.is_string(t) or pa.types.is_large_string(t))


class CircularNaming:
    """Fills one import's batches from Circular layer names and keeps what it saw."""

    def __init__(
        self,
        table: NamingTable,
        layer: Layer,
        source_layer: str | None,
        schema: pa.Schema,
        geom_col: str,
    ) -> None:
        self.layer_id = layer.id
        target = table.targets[layer.id]
        self.name_prop, self.stage_prop = target.name_property, target.stage_property
        fill_props = dict.fromkeys(
            p for entry in table.codes.values() for p in entry.fill_for(layer.id)
        )
        #: Every property the hook may write, in column order.
        self.props = [self.name_prop, self.stage_prop, *fill_props]
        self._fill_props = set(fill_props)
        self.file_name = parse_layer_name(source_layer, table)
        cols = [n for n in schema.names if n != geom_col]
        mapping = map_columns(cols, layer.property_schema)
        #: Property → the file's column that holds it (None: the hook adds the column).
        self.columns: dict[str, str | None] = {
            p: next((c for c in cols if mapping[c] == p or c == p), None) for p in self.props
        }
        # CAD drawings converted by GDAL keep each entity's layer in a "Layer" column.
        self.row_column = next(
            (c for c in cols if normalise_name(c) == "layer" and _is_text(schema.field(c).type)),
            None,
        )
        self.active = self.file_name is not None or self.row_column is not None
        self.named = 0
        self.unnamed: Counter[str] = Counter()
        self.unknown_levels: set[str] = set()
        self.unmapped: set[str] = set()
        self.conflicts: Counter[str] = Counter()

    def schema(self, schema: pa.Schema) -> pa.Schema:
        """The file's schema as the batches will look after :meth:`apply`."""
        if not self.active:
            return schema
        for prop, col in self.columns.items():
            if col is None:
                schema = schema.append(pa.field(prop, pa.string()))
            elif pa.types.is_null(schema.field(col).type):
                schema = schema.set(schema.get_field_index(col), pa.field(col, pa.string()))
        return schema

    def apply(self, batch: pa.RecordBatch) -> pa.RecordBatch:
        """Fill one batch; the file's own values are kept wherever they are given."""
        if not self.active:
            return batch
        names = self._names(batch)
        for prop, col in self.columns.items():
            fill = self._fill_array(names, prop, batch.num_rows)
            if col is None:
                batch = batch.append_column(pa.field(prop, pa.string()), fill)
                continue
            i = batch.schema.get_field_index(col)
            old = batch.column(i)
            if pa.types.is_null(old.type):
                batch = batch.set_column(i, pa.field(col, pa.string()), fill)
            elif _is_text(old.type):
                batch = batch.set_column(i, batch.schema.field(i), self._merge(prop, old, fill))
        return batch

    def _names(self, batch: pa.RecordBatch) -> tuple[list[LayerName | None], pa.Array | None]:
        """The recognised name of each distinct row value, and each row's index into it.

        Without a ``Layer`` column every row has the file's layer name (indices None).
        """
        if self.row_column is None:
            if self.file_name is not None:
                self._saw(self.file_name, batch.num_rows)
            return [self.file_name], None
        enc = batch.column(self.row_column).dictionary_encode()
        values = enc.dictionary.to_pylist()
        counts = pc.value_counts(pc.fill_null(enc.indices, len(values))).to_pylist()
        parsed = [parse_layer_name(v) for v in values]
        # A row naming nothing the Circular knows falls back to the file's layer name.
        chosen = [p or self.file_name for p in parsed] + [self.file_name]
        for item in counts:
            idx, n = int(item["values"]), int(item["counts"])
            name = chosen[idx]
            if name is not None:
                self._saw(name, n)
            else:
                self.unnamed[values[idx] if idx < len(values) else ""] += n
        return chosen, pc.fill_null(enc.indices, len(values))

    def _saw(self, name: LayerName, rows: int) -> None:
        self.named += rows
        if not name.level_known and name.level:
            self.unknown_levels.add(f"{name.name} ({name.level})")
        if not name.entry.fill_for(self.layer_id):
            self.unmapped.add(name.name)

    def _value(self, name: LayerName | None, prop: str) -> str | None:
        if name is None:
            return None
        if prop == self.name_prop:
            return name.name
        if prop == self.stage_prop:
            return name.stage
        return name.entry.fill_for(self.layer_id).get(prop)

    def _fill_array(
        self, names: tuple[list[LayerName | None], pa.Array | None], prop: str, n: int
    ) -> pa.Array:
        chosen, indices = names
        values = pa.array([self._value(c, prop) for c in chosen], pa.string())
        if indices is None:
            return pa.array([values[0].as_py()] * n, pa.string())
        return values.take(indices)

    def _merge(self, prop: str, old: pa.Array, fill: pa.Array) -> pa.Array:
        """``old`` where it holds a value, else ``fill``; conflicts counted for the report."""
        blank = pc.fill_null(pc.equal(pc.utf8_trim_whitespace(old), ""), True)
        given = pc.invert(blank)
        take = pc.and_(blank, pc.is_valid(fill))
        if prop in self._fill_props:
            differs = pc.fill_null(pc.and_(given, pc.not_equal(old, fill.cast(old.type))), False)
            self.conflicts[prop] += int(pc.sum(differs).as_py() or 0)
        return pc.if_else(take, fill.cast(old.type), old)

    def warnings(self) -> list[str]:
        """What the report should say, once per import (Vietnamese / English)."""
        out: list[str] = []
        if self.unnamed:
            total = sum(self.unnamed.values())
            listed = ", ".join(f"«{v}» ×{n}" for v, n in self.unnamed.most_common(_SHOWN))
            more = ", …" if len(self.unnamed) > _SHOWN else ""
            out.append(
                f"{total} đối tượng có tên lớp không theo {_CIRCULAR} ({listed}{more}): giữ "
                f"nguyên / {total} features have layer names not following {_CIRCULAR_EN}: "
                "left as they are"
            )
        if self.unknown_levels:
            listed = ", ".join(sorted(self.unknown_levels)[:_SHOWN])
            out.append(
                f"Hậu tố cấp chưa có trong bảng {_CIRCULAR}: {listed}; tên lớp vẫn được nhận / "
                f"level suffix not in the {_CIRCULAR_EN} table; the layer name is still read"
            )
        if self.unmapped:
            listed = ", ".join(sorted(self.unmapped)[:_SHOWN])
            out.append(
                f"Lớp {listed} ({_CIRCULAR}) không tương ứng với lớp {self.layer_id}: chỉ "
                f"giữ tên lớp / {listed} ({_CIRCULAR_EN}): no match in layer {self.layer_id}, "
                "only the layer name is kept"
            )
        for prop, n in sorted(self.conflicts.items()):
            if n:
                out.append(
                    f"{n} đối tượng ghi {prop} khác với tên lớp {_CIRCULAR}: giữ giá trị trong "
                    f"tệp / {n} features give a {prop} other than their layer name's: the "
                    "file's values are kept"
                )
        return out


__all__ = ["CircularNaming", "circular_naming"]
