"""Turning one batch of a source file into rows ready to store (no database work).

This is the CPU-bound half of an import: legacy text, property validation, geometry
checks and reprojection, JSON and digests. It is kept apart from the database half so each
can be tested and measured on its own.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import orjson
import pyarrow as pa
import pyproj
import shapely

from dothi.errors import InvalidInput
from dothi.geo import encodings
from dothi.spatial import geometry as geomod
from dothi.spatial.layers import Layer
from dothi.spatial.properties import PropertyValidator, map_columns


@dataclass
class RowNote:
    """A row that was rejected, repaired or flagged, and why."""

    kind: str
    row: int
    key: str | None
    reason: str


@dataclass
class PreparedBatch:
    """The accepted rows of one batch, column-wise, and notes on the others."""

    read: int
    rows: list[int] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    wkb: list[bytes] = field(default_factory=list)
    bounds: npt.NDArray[np.float64] = field(default_factory=lambda: np.empty((0, 4)))
    bodies: list[str] = field(default_factory=list)
    digests: list[str] = field(default_factory=list)
    notes: list[RowNote] = field(default_factory=list)
    rejected: int = 0
    repaired: int = 0
    flagged: int = 0


class BatchPreparer:
    """Prepares the batches of one import, in order, keeping what it learns on the way."""

    def __init__(
        self,
        layer: Layer,
        geom_col: str,
        src_crs: pyproj.CRS | None,
        *,
        legacy: str | None,
        detect: bool,
        id_prefix: str,
    ) -> None:
        self.layer = layer
        self.geom_col = geom_col
        self.src_crs = src_crs
        self.legacy = legacy
        self.detect = detect
        self.id_prefix = id_prefix
        self.detected: str | None = None
        self.validator = PropertyValidator(layer.property_schema)
        self.mapping: dict[str, str] | None = None
        self.key_column: str | None = None
        self.warnings: list[str] = []
        self.rows_seen = 0
        # Created on first use, in the thread that prepares: PROJ objects stay in one thread.
        self._to_wgs84: Any = None

    def check_columns(self, schema: pa.Schema) -> None:
        """Map the file's columns to the layer; refuse a file lacking required columns."""
        cols = [n for n in schema.names if n != self.geom_col]
        self.mapping = map_columns(cols, self.layer.property_schema)
        present = set(self.mapping.values())
        missing = [r for r in self.validator.required if r not in present]
        if missing:
            raise InvalidInput(
                f"Tệp thiếu cột bắt buộc của lớp «{self.layer.id}»: {', '.join(missing)}. "
                f"Các cột trong tệp: {', '.join(cols) or '(không có)'}.",
                f"The file lacks required columns of layer '{self.layer.id}': "
                f"{', '.join(missing)}. Columns in the file: {', '.join(cols) or '(none)'}.",
            )
        key = self.layer.key_property
        if key is not None and key in present:
            self.key_column = key
        elif key is not None:
            self.warnings.append(
                f"Không có cột khóa «{key}»: mỗi đối tượng được cấp mã mới / "
                f"no key column '{key}': every feature gets a new id"
            )

    def _detect_encoding(self, batch: pa.RecordBatch, names: list[str]) -> None:
        samples: list[bytes] = []
        for name in names:
            arr = batch.column(name)
            if not pa.types.is_string(arr.type):
                continue
            for v in arr.to_pylist():
                if isinstance(v, str) and not v.isascii():
                    samples.append(v.encode("latin1"))
                    if len(samples) >= 5000:
                        break
        # Plain ASCII so far needs no decoding; decide on the first batch with accents.
        if samples:
            self.detected = self.legacy = encodings.detect_encoding(samples)

    def _properties(
        self, batch: pa.RecordBatch, errors: dict[int, list[str]]
    ) -> dict[str, list[Any]]:
        assert self.mapping is not None
        names = [name for name in batch.schema.names if name != self.geom_col]
        if self.detect and self.legacy is None:
            self._detect_encoding(batch, names)
        props: dict[str, list[Any]] = {}
        for col in names:
            target = self.mapping[col]
            arr = batch.column(col)
            if self.legacy is not None and pa.types.is_string(arr.type):
                legacy = self.legacy
                decoded = [
                    None if v is None else encodings.decode_latin1_text(v, legacy)
                    for v in arr.to_pylist()
                ]
                props[target] = self.validator.clean_column(target, decoded, errors)
            else:
                props[target] = self.validator.clean_array(target, arr, errors)
        return props

    def prepare(self, batch: pa.RecordBatch) -> PreparedBatch:
        """Validate and convert one batch; the next batch continues the row numbering."""
        if self.mapping is None:
            self.check_columns(batch.schema)
        if self._to_wgs84 is None:
            self._to_wgs84 = geomod.projector(self.src_crs) or False
        first = self.rows_seen + 1
        n = batch.num_rows
        self.rows_seen += n
        out = PreparedBatch(read=n)
        errors: dict[int, list[str]] = {}
        props = self._properties(batch, errors)
        wkb_in = batch.column(self.geom_col).to_numpy(zero_copy_only=False)
        geoms = geomod.prepare(
            wkb_in,
            self._to_wgs84 or None,
            self.src_crs,
            self.layer.geometry_type,
        )
        for i, reason in sorted(geoms.flags.items()):
            out.notes.append(RowNote("flagged", first + i, None, reason))
        out.flagged = len(geoms.flags)
        if self.key_column is not None:
            keys = [None if v is None or v == "" else str(v) for v in props[self.key_column]]
        else:
            keys = [f"{self.id_prefix}-{first + i}" for i in range(n)]
        accepted: list[int] = []
        missing_key = {i for i, k in enumerate(keys) if k is None}
        for i in sorted(set(errors) | set(geoms.errors) | set(geoms.repaired) | missing_key):
            problems = ([geoms.errors[i]] if i in geoms.errors else []) + errors.get(i, [])
            if keys[i] is None:
                problems.append("thiếu khóa / missing key")
            if problems:
                out.notes.append(RowNote("rejected", first + i, keys[i], "; ".join(problems)))
            elif i in geoms.repaired:
                out.notes.append(RowNote("repaired", first + i, keys[i], geoms.repaired[i]))
                out.repaired += 1
        bad = {note.row - first for note in out.notes if note.kind == "rejected"}
        accepted = [i for i in range(n) if i not in bad] if bad else list(range(n))
        out.rejected = len(bad)
        # Untouched little-endian input WKB is stored as it came: no need to write it again.
        same_wkb = geoms.unchanged and all(w[0] == 1 for w in wkb_in if w is not None)
        self._encode(out, accepted, first, keys, props, geoms, wkb_in if same_wkb else None)
        return out

    @staticmethod
    def _encode(
        out: PreparedBatch,
        accepted: list[int],
        first: int,
        keys: list[str | None],
        props: dict[str, list[Any]],
        geoms: geomod.PreparedGeometries,
        wkb_in: Any,
    ) -> None:
        if not accepted:
            return
        names = list(props)
        every = len(accepted) == len(keys)
        columns = (
            list(props.values()) if every else [[c[i] for i in accepted] for c in props.values()]
        )
        rows: Iterable[tuple[Any, ...]] = (
            zip(*columns, strict=True) if names else [()] * len(accepted)
        )
        chosen = geoms.geoms if every else geoms.geoms[accepted]
        if wkb_in is None:
            wkbs: list[bytes] = shapely.to_wkb(chosen).tolist()
        else:
            wkbs = list(wkb_in) if every else [wkb_in[i] for i in accepted]
        bodies = [orjson.dumps(dict(zip(names, values, strict=True))) for values in rows]
        out.digests = [
            hashlib.blake2b(w + b, digest_size=16).hexdigest()
            for w, b in zip(wkbs, bodies, strict=True)
        ]
        out.bodies = [b.decode() for b in bodies]
        out.wkb = wkbs
        out.bounds = geoms.bounds if every else geoms.bounds[accepted]
        out.rows = [first + i for i in accepted]
        out.keys = [k for i in accepted if (k := keys[i]) is not None]
