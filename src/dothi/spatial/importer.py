"""Import of files into a layer: streaming, CRS to WGS 84, legacy text, validation, upsert.

One import is one change set in one transaction: it lands whole or not at all. Rows that
cannot be taken are rejected with a reason and listed in the report file; nothing is
dropped silently.
"""

from __future__ import annotations

import csv
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyogrio.raw
import pyproj
import shapely
from sqlalchemy import Connection, select, update

from dothi.config import Settings
from dothi.db.engine import Database
from dothi.db.schema import changeset, feature
from dothi.db.spatial.base import VersionBatch
from dothi.errors import InvalidInput
from dothi.geo import crs as crsmod
from dothi.geo import encodings
from dothi.spatial import geometry as geomod
from dothi.spatial.layers import (
    Layer,
    check_access,
    check_layer_id,
    core_layer,
    create_layer,
    find_layer,
    update_layer,
)
from dothi.spatial.properties import PropertyValidator, infer_schema, map_columns
from dothi.spatial.sources import Source, check_allowed, open_source

Progress = Callable[[int, int | None], None]
_LOOKUP_CHUNK = 5_000
_SAMPLE = 100


@dataclass
class ImportOptions:
    """What the user asked for (``dothi import`` flags)."""

    layer_id: str
    crs: str | None = None
    encoding: str = "auto"
    key: str | None = None
    access: str | None = None
    title_vi: str | None = None
    title_en: str | None = None
    source_layer: str | None = None
    user: str = "cli"
    batch_size: int = 50_000


@dataclass
class RowNote:
    """A row that was rejected, repaired or flagged, and why."""

    kind: str
    row: int
    key: str | None
    reason: str


@dataclass
class ImportReport:
    """What an import did, row by row where it matters."""

    layer_id: str
    changeset_id: int = 0
    source: str = ""
    source_crs: str | None = None
    encoding: str | None = None
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    repaired: int = 0
    rejected: int = 0
    flagged: int = 0
    notes: list[RowNote] = field(default_factory=list)
    report_path: Path | None = None
    warnings: list[str] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """The counters as a dict (stored in the change set)."""
        return {
            k: getattr(self, k)
            for k in (
                "read",
                "inserted",
                "updated",
                "unchanged",
                "repaired",
                "rejected",
                "flagged",
            )
        }


class _NoteWriter:
    """Streams notes to a CSV file and keeps the first few for display."""

    def __init__(self, path: Path, report: ImportReport) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self.report = report
        self._fh = open(path, "w", newline="", encoding="utf-8")  # noqa: SIM115
        self._csv = csv.writer(self._fh)
        self._csv.writerow(["kind", "row", "key", "reason"])

    def add(self, note: RowNote) -> None:
        self._csv.writerow([note.kind, note.row, note.key or "", note.reason])
        if len(self.report.notes) < _SAMPLE:
            self.report.notes.append(note)

    def close(self) -> None:
        self._fh.close()


def _resolve_source_crs(opts: ImportOptions, src: Source) -> pyproj.CRS | None:
    if opts.crs:
        return crsmod.resolve_crs(opts.crs)
    raw = src.info.get("crs")
    if not raw:
        return None
    found = pyproj.CRS.from_user_input(raw)
    # A .prj often spells a VN-2000 CRS as WKT with its own TOWGS84 (signs may be wrong):
    # when it matches an EPSG definition, use that, so the official transformation applies.
    epsg = found.to_epsg(min_confidence=70)
    return pyproj.CRS.from_epsg(epsg) if epsg else found


def _prepare_layer(
    conn: Connection, opts: ImportOptions, src: Source, schema: pa.Schema, geom_col: str
) -> tuple[Layer, bool]:
    existing = find_layer(conn, opts.layer_id)
    if existing is not None:
        changes: dict[str, Any] = {}
        if opts.key and existing.key_property and opts.key != existing.key_property:
            raise InvalidInput(
                f"Lớp «{existing.id}» dùng khóa «{existing.key_property}», không phải "
                f"«{opts.key}».",
                f"Layer '{existing.id}' is keyed by '{existing.key_property}', not '{opts.key}'.",
            )
        if opts.key and not existing.key_property:
            changes["key_property"] = existing.key_property = opts.key
        for name in ("access", "title_vi", "title_en"):
            value = getattr(opts, name)
            if value:
                changes[name] = value
                setattr(existing, name, value)
        if changes:
            update_layer(conn, existing.id, **changes)
        return existing, False
    new = core_layer(opts.layer_id)
    if new is None:
        new = Layer(
            id=opts.layer_id,
            title_vi=opts.title_vi or opts.layer_id,
            title_en=opts.title_en or opts.layer_id,
            geometry_type=geomod.layer_type_for(str(src.info.get("geometry_type") or "")),
            property_schema=infer_schema(schema, skip={geom_col}),
        )
    new.key_property = opts.key or new.key_property
    new.access = opts.access or new.access
    new.title_vi = opts.title_vi or new.title_vi
    new.title_en = opts.title_en or new.title_en
    new.created_by = opts.user
    new.source = str(src.path.name)
    return create_layer(conn, new), True


def import_file(
    db: Database,
    settings: Settings,
    path: Path,
    opts: ImportOptions,
    progress: Progress | None = None,
) -> ImportReport:
    """Import the features of ``path`` into layer ``opts.layer_id`` (created if new)."""
    check_layer_id(opts.layer_id)
    if opts.access is not None:
        check_access(opts.access)
    if opts.batch_size < 1:
        raise InvalidInput("Kích thước lô phải ≥ 1.", "Batch size must be at least 1.")
    path = check_allowed(path, settings.allowed_dirs)
    report = ImportReport(layer_id=opts.layer_id, source=str(path))
    with open_source(
        path,
        encoding=opts.encoding,
        source_layer=opts.source_layer,
        max_unzip_bytes=settings.max_unzip_bytes,
    ) as src:
        src_crs = _resolve_source_crs(opts, src)
        report.source_crs = None if src_crs is None else crsmod.crs_to_spec(src_crs)
        total = int(src.info.get("features", -1))
        notes: _NoteWriter | None = None
        try:
            with db.write() as conn, _open_reader(src, opts.batch_size) as (geom_col, reader):
                layer, _created = _prepare_layer(conn, opts, src, reader.schema, geom_col)
                now = datetime.now(UTC)
                cs_id = _new_changeset(conn, layer.id, opts.user, now, str(path))
                report.changeset_id = cs_id
                notes = _NoteWriter(
                    settings.data_dir / "reports" / f"import-{cs_id}-{layer.id}.csv", report
                )
                job = _ImportJob(
                    db, conn, layer, src, src_crs, geom_col, cs_id, now, report, opts.user
                )
                job.notes = notes
                for batch in _batches(reader, src):
                    job.run_batch(batch)
                    if progress is not None:
                        progress(report.read, total if total >= 0 else None)
                report.encoding = job.encoding
                _finish(conn, cs_id, layer, report, job)
        except BaseException:
            if notes is not None:
                notes.close()
                notes.path.unlink(missing_ok=True)
            raise
        notes.close()
        report.report_path = notes.path
    return report


def _new_changeset(conn: Connection, layer_id: str, user: str, now: datetime, src: str) -> int:
    result = conn.execute(
        changeset.insert().values(
            layer_id=layer_id,
            kind="import",
            created_at=now,
            created_by=user,
            summary={"source": src},
        )
    )
    pk = result.inserted_primary_key
    assert pk is not None
    return int(pk[0])


def _finish(
    conn: Connection, cs_id: int, layer: Layer, report: ImportReport, job: _ImportJob
) -> None:
    summary = {
        "source": report.source,
        "source_crs": report.source_crs,
        "encoding": report.encoding,
        **report.counts(),
    }
    conn.execute(changeset.update().where(changeset.c.id == cs_id).values(summary=summary))
    changes: dict[str, Any] = {}
    if report.source_crs:
        changes["source_crs"] = report.source_crs
    update_layer(conn, layer.id, **changes)


class _Reader:
    """Context manager around pyogrio's Arrow stream, turning GDAL errors into ours."""

    def __init__(self, src: Source, batch_size: int) -> None:
        self.src = src
        self.batch_size = batch_size
        self._cm: Any = None

    def __enter__(self) -> tuple[str, pa.RecordBatchReader]:
        try:
            self._cm = pyogrio.raw.open_arrow(
                self.src.path,
                layer=self.src.layer,
                encoding=self.src.gdal_encoding,
                batch_size=self.batch_size,
                use_pyarrow=True,
                **self.src.options,
            )
            meta, reader = self._cm.__enter__()
        except Exception as exc:
            raise _unreadable(self.src, exc) from None
        return (meta.get("geometry_name") or "wkb_geometry", reader)

    def __exit__(self, *exc: object) -> None:
        if self._cm is not None:
            self._cm.__exit__(*exc)


def _open_reader(src: Source, batch_size: int) -> _Reader:
    return _Reader(src, batch_size)


def _unreadable(src: Source, exc: Exception) -> InvalidInput:
    msg = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    return InvalidInput(
        f"Không đọc được {src.path.name} (tệp hỏng hoặc bị cắt?): {msg}",
        f"Cannot read {src.path.name} (damaged or truncated file?): {msg}",
        code="UnreadableFile",
    )


def _batches(reader: pa.RecordBatchReader, src: Source) -> Iterator[pa.RecordBatch]:
    it = iter(reader)
    while True:
        try:
            batch = next(it)
        except StopIteration:
            return
        except Exception as exc:  # GDAL/Arrow errors mid-stream: the file is damaged
            raise _unreadable(src, exc) from None
        yield batch


class _ImportJob:
    """State carried across the batches of one import."""

    notes: _NoteWriter

    def __init__(
        self,
        db: Database,
        conn: Connection,
        layer: Layer,
        src: Source,
        src_crs: pyproj.CRS | None,
        geom_col: str,
        cs_id: int,
        now: datetime,
        report: ImportReport,
        user: str,
    ) -> None:
        self.db = db
        self.user = user
        self.conn = conn
        self.layer = layer
        self.src = src
        self.src_crs = src_crs
        self.geom_col = geom_col
        self.cs_id = cs_id
        self.now = now
        self.report = report
        self.validator = PropertyValidator(layer.property_schema)
        self.encoding: str | None = src.legacy or (None if src.detect else src.gdal_encoding)
        self.legacy = src.legacy
        self.to_wgs84 = geomod.projector(src_crs)
        self.mapping: dict[str, str] | None = None
        self.key_column: str | None = None
        # Into an empty layer nothing can be updated: skip the lookups of existing
        # versions and catch keys repeated in the file with a set instead.
        has_rows = conn.execute(
            select(feature.c.rid).where(feature.c.layer_id == layer.id).limit(1)
        ).first()
        self.seen_keys: set[str] | None = None if has_rows else set()

    # -- per batch ---------------------------------------------------------------
    def run_batch(self, batch: pa.RecordBatch) -> None:
        first_row = self.report.read + 1
        n = batch.num_rows
        self.report.read += n
        if self.mapping is None:
            self._setup_columns(batch.schema)
        assert self.mapping is not None
        names_in = [name for name in batch.schema.names if name != self.geom_col]
        if self.src.detect and self.legacy is None:
            self._detect_encoding(batch, names_in)
        errors: dict[int, list[str]] = {}
        props: dict[str, list[Any]] = {}
        for col in names_in:
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
        for name in self.validator.required:
            if name not in props:
                props[name] = [None] * n
                self.validator.clean_column(name, props[name], errors)
        geoms = geomod.prepare(
            batch.column(self.geom_col).to_numpy(zero_copy_only=False),
            self.to_wgs84,
            self.src_crs,
            self.layer.geometry_type,
        )
        for i, reason in geomod.flag_reasons(geoms.flags):
            self._note("flagged", first_row + i, None, reason)
        self.report.flagged += len(geoms.flags)
        names = list(props)
        keys: list[str | None] = (
            [None if v is None or v == "" else str(v) for v in props[self.key_column]]
            if self.key_column is not None
            else [f"{self.cs_id}-{first_row + i}" for i in range(n)]
        )
        accepted: list[int] = []
        for i in range(n):
            problem = geoms.errors.get(i)
            row_errors = errors.get(i, [])
            if keys[i] is None:
                row_errors = [*row_errors, "thiếu khóa / missing key"]
            if problem is not None or row_errors:
                reason = "; ".join(([problem] if problem else []) + row_errors)
                self._note("rejected", first_row + i, keys[i], reason)
                continue
            if i in geoms.repaired:
                self._note("repaired", first_row + i, keys[i], geoms.repaired[i])
            accepted.append(i)
        self.report.rejected += n - len(accepted)
        self.report.repaired += sum(1 for i in accepted if i in geoms.repaired)
        self._upsert(accepted, keys, names, props, geoms, first_row)

    def _setup_columns(self, schema: pa.Schema) -> None:
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
            self.report.warnings.append(
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
            self.encoding = self.legacy = encodings.detect_encoding(samples)

    def _note(self, kind: str, row: int, key: str | None, reason: str) -> None:
        self.notes.add(RowNote(kind, row, key, reason))

    # -- upsert ------------------------------------------------------------------
    def _current(self, keys: list[str]) -> dict[str, tuple[int, int, str, int, bool]]:
        """For each key: (rid, version, digest, created_in, is_current) of its newest row."""
        found: dict[str, tuple[int, int, str, int, bool]] = {}
        for start in range(0, len(keys), _LOOKUP_CHUNK):
            chunk = keys[start : start + _LOOKUP_CHUNK]
            stmt = select(
                feature.c.fid,
                feature.c.rid,
                feature.c.version,
                feature.c.digest,
                feature.c.created_in,
                feature.c.valid_to,
            ).where(feature.c.layer_id == self.layer.id, feature.c.fid.in_(chunk))
            for r in self.conn.execute(stmt):
                prev = found.get(r.fid)
                if prev is None or r.version > prev[1]:
                    found[r.fid] = (r.rid, r.version, r.digest, r.created_in, r.valid_to is None)
        return found

    def _upsert(
        self,
        accepted: list[int],
        keys: list[str | None],
        names: list[str],
        props: dict[str, list[Any]],
        geoms: geomod.PreparedGeometries,
        first_row: int,
    ) -> None:
        if not accepted:
            return
        if self.seen_keys is None:
            existing = self._current([k for i in accepted if (k := keys[i]) is not None])
        else:
            existing = {}
        out = VersionBatch(
            layer_id=self.layer.id,
            changeset_id=self.cs_id,
            changed_by=self.user,
            valid_from=self.now,
            fids=[],
            versions=[],
            wkb=[],
            bounds=[],
            properties=[],
            digests=[],
        )
        close: list[int] = []
        seen: set[str] = set() if self.seen_keys is None else self.seen_keys
        wkbs = shapely.to_wkb(geoms.geoms[accepted])
        bounds = shapely.bounds(geoms.geoms[accepted])
        for j, i in enumerate(accepted):
            key = keys[i]
            assert key is not None
            body = orjson.dumps({name: props[name][i] for name in names})
            digest = hashlib.blake2b(wkbs[j] + body, digest_size=16).hexdigest()
            prev = existing.get(key)
            keyed = self.key_column is not None
            if keyed and (key in seen or (prev is not None and prev[4] and prev[3] == self.cs_id)):
                self._note("rejected", first_row + i, key, "khóa trùng trong tệp / duplicate key")
                self.report.rejected += 1
                continue
            if keyed:
                seen.add(key)
            version = 1
            if prev is not None:
                version = prev[1] + 1
                if prev[4]:
                    if prev[2] == digest:
                        self.report.unchanged += 1
                        continue
                    close.append(prev[0])
                    self.report.updated += 1
                else:
                    self.report.inserted += 1
            else:
                self.report.inserted += 1
            out.fids.append(key)
            out.versions.append(version)
            out.wkb.append(wkbs[j])
            out.bounds.append(tuple(bounds[j]))
            out.properties.append(body.decode())
            out.digests.append(digest)
        for start in range(0, len(close), _LOOKUP_CHUNK):
            self.conn.execute(
                update(feature)
                .where(feature.c.rid.in_(close[start : start + _LOOKUP_CHUNK]))
                .values(valid_to=self.now, closed_in=self.cs_id)
            )
        if len(out):
            self.db.port.insert_versions(self.conn, out)


__all__ = ["ImportOptions", "ImportReport", "RowNote", "import_file"]
