"""Import of files into a layer: streaming, CRS to WGS 84, legacy text, validation, upsert.

One import is one change set in one transaction: it lands whole or not at all. Rows that
cannot be taken are rejected with a reason and listed in the report file; nothing is
dropped silently.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyogrio.raw
import pyproj
from sqlalchemy import Connection, select, update

from dothi.config import Settings
from dothi.db.engine import Database
from dothi.db.schema import changeset, feature
from dothi.db.spatial.base import VersionBatch
from dothi.errors import InvalidInput
from dothi.geo import crs as crsmod
from dothi.spatial import geometry as geomod
from dothi.spatial.batches import BatchPreparer, PreparedBatch, RowNote
from dothi.spatial.layers import (
    Layer,
    check_access,
    check_layer_id,
    core_layer,
    create_layer,
    find_layer,
    update_layer,
)
from dothi.spatial.properties import infer_schema
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
    batch_size: int = 10_000


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
    db: Database,
    conn: Connection,
    opts: ImportOptions,
    src: Source,
    schema: pa.Schema,
    geom_col: str,
) -> tuple[Layer, bool]:
    """The layer to import into (created if new; then True) with the options applied."""
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
    # Its storage comes with the first rows: see _Writer.
    return create_layer(conn, new, db.port, storage=False), True


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
            with db.write() as conn, _Reader(src, opts.batch_size) as (geom_col, reader):
                layer, created = _prepare_layer(db, conn, opts, src, reader.schema, geom_col)
                now = datetime.now(UTC)
                cs_id = _new_changeset(conn, layer.id, opts.user, now, str(path))
                report.changeset_id = cs_id
                notes = _NoteWriter(
                    settings.data_dir / "reports" / f"import-{cs_id}-{layer.id}.csv", report
                )
                preparer = BatchPreparer(
                    layer,
                    geom_col,
                    src_crs,
                    legacy=src.legacy,
                    detect=src.detect,
                    id_prefix=str(cs_id),
                )
                preparer.check_columns(reader.schema)
                keyed = preparer.key_column is not None
                writer = _Writer(db, conn, layer, cs_id, now, opts.user, report, notes)
                with writer.streaming(new_storage=created):
                    for batch in _batches(reader, src):
                        writer.write(preparer.prepare(batch), keyed)
                        _tick(progress, report, total)
                report.warnings.extend(preparer.warnings)
                report.encoding = (
                    preparer.detected or src.legacy or (None if src.detect else src.gdal_encoding)
                )
                _finish(conn, cs_id, layer, report)
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


def _tick(progress: Progress | None, report: ImportReport, total: int) -> None:
    if progress is not None:
        progress(report.read, total if total >= 0 else None)


def _finish(conn: Connection, cs_id: int, layer: Layer, report: ImportReport) -> None:
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


class _Writer:
    """The database half of an import: upsert of prepared batches in one change set."""

    def __init__(
        self,
        db: Database,
        conn: Connection,
        layer: Layer,
        cs_id: int,
        now: datetime,
        user: str,
        report: ImportReport,
        notes: _NoteWriter,
    ) -> None:
        self.db = db
        self.conn = conn
        self.layer = layer
        self.cs_id = cs_id
        self.now = now
        self.user = user
        self.report = report
        self.notes = notes
        # Into an empty layer nothing can be updated: skip the lookups of existing
        # versions and catch keys repeated in the file with a set instead.
        has_rows = conn.execute(
            select(feature.c.rid).where(feature.c.layer_id == layer.id).limit(1)
        ).first()
        self.seen_keys: set[str] | None = None if has_rows else set()
        self._bulk: Callable[[VersionBatch], None] | None = None

    @contextmanager
    def streaming(self, *, new_storage: bool) -> Iterator[None]:
        """The block in which batches are written; an empty layer gets a bulk stream."""
        if self.seen_keys is None:
            yield
            return
        # Only inserts can follow: let the backend stream them (and, for a layer created
        # by this import, create its storage and index it at the end).
        with self.db.port.bulk_insert(self.conn, self.layer.id, new_storage=new_storage) as bulk:
            self._bulk = bulk
            try:
                yield
            finally:
                self._bulk = None

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

    def write(self, batch: PreparedBatch, keyed: bool) -> None:
        """Record the batch's notes and counts, then store its new and changed rows."""
        report = self.report
        report.read += batch.read
        report.rejected += batch.rejected
        report.repaired += batch.repaired
        report.flagged += batch.flagged
        for note in batch.notes:
            self.notes.add(note)
        if not batch.keys:
            return
        if not keyed and self.seen_keys is not None:
            # Generated ids into an empty layer: every row is new, nothing to compare.
            report.inserted += len(batch.keys)
            self._insert(batch, range(len(batch.keys)), [1] * len(batch.keys))
            return
        existing = self._current(batch.keys) if self.seen_keys is None else {}
        seen: set[str] = set() if self.seen_keys is None else self.seen_keys
        take: list[int] = []
        versions: list[int] = []
        close: list[int] = []
        for j, key in enumerate(batch.keys):
            prev = existing.get(key)
            if key in seen or (prev is not None and prev[4] and prev[3] == self.cs_id):
                self.notes.add(
                    RowNote("rejected", batch.rows[j], key, "khóa trùng trong tệp / duplicate key")
                )
                report.rejected += 1
                continue
            seen.add(key)
            if prev is None:
                report.inserted += 1
                versions.append(1)
            elif not prev[4]:
                report.inserted += 1  # deleted before: comes back as a new version
                versions.append(prev[1] + 1)
            elif prev[2] == batch.digests[j]:
                report.unchanged += 1
                continue
            else:
                report.updated += 1
                close.append(prev[0])
                versions.append(prev[1] + 1)
            take.append(j)
        for start in range(0, len(close), _LOOKUP_CHUNK):
            self.conn.execute(
                update(feature)
                .where(feature.c.rid.in_(close[start : start + _LOOKUP_CHUNK]))
                .values(valid_to=self.now, closed_in=self.cs_id)
            )
        if take:
            self._insert(batch, take, versions)

    def _insert(self, batch: PreparedBatch, take: Sequence[int], versions: list[int]) -> None:
        every = len(take) == len(batch.keys)
        pick = (lambda col: col) if every else (lambda col: [col[j] for j in take])
        insert = self._bulk or (lambda b: self.db.port.insert_versions(self.conn, b))
        insert(
            VersionBatch(
                layer_id=self.layer.id,
                changeset_id=self.cs_id,
                changed_by=self.user,
                valid_from=self.now,
                fids=pick(batch.keys),
                versions=versions,
                wkb=pick(batch.wkb),
                bounds=pick(batch.bounds),
                properties=pick(batch.bodies),
                digests=pick(batch.digests),
            )
        )


__all__ = ["ImportOptions", "ImportReport", "RowNote", "import_file"]
