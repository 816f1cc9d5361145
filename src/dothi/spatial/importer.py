"""Import of files into a layer: streaming, CRS to WGS 84, legacy text, validation, upsert.

One import is one change set in one transaction: it lands whole or not at all. Rows that
cannot be taken are rejected with a reason and listed in the report file; nothing is
dropped silently. An import that changes nothing leaves no change set behind.

A layer that does not exist is created only when asked (``new_layer``; core layers
excepted), not public unless asked; the file's columns are matched to the layer's fields
by :mod:`dothi.spatial.column_map`; a ``--crs`` contradicting the file and features far
from where they claim to be are caught by :mod:`dothi.spatial.placement`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyogrio.raw
import pyproj
from sqlalchemy import Connection

from dothi.config import Settings
from dothi.db.engine import Database
from dothi.errors import InvalidInput
from dothi.geo import crs as crsmod
from dothi.spatial import geometry as geomod
from dothi.spatial.batches import BatchPreparer
from dothi.spatial.column_map import ColumnChoice, resolve_columns
from dothi.spatial.import_hooks import BatchHook, ImportHook
from dothi.spatial.import_report import ImportReport
from dothi.spatial.layer_admin import LAYER_CREATE, LayerAudit, unknown_layer
from dothi.spatial.layers import (
    Layer,
    check_access,
    check_layer_id,
    core_layer,
    core_layer_ids,
    create_layer,
    find_layer,
    update_layer,
)
from dothi.spatial.placement import PlacementCheck, check_declared_crs
from dothi.spatial.properties import infer_schema
from dothi.spatial.sources import Source, check_allowed, open_source
from dothi.spatial.upsert import NoteWriter, UpsertWriter
from dothi.spatial.versioning import discard_changeset, open_changeset, set_summary

Progress = Callable[[int, int | None], None]


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
    #: Create the layer if it does not exist (core layers are created without it).
    new_layer: bool = False
    #: Take ``crs`` even where it contradicts the CRS the file declares.
    force_crs: bool = False
    #: File column → layer field, before the automatic matching (``--map``, ``--map-file``).
    column_map: dict[str, str] = field(default_factory=dict)


def declared_crs(src: Source) -> pyproj.CRS | None:
    """The CRS the file declares (its ``.prj``, GeoPackage or GeoJSON CRS), or None."""
    raw = src.info.get("crs")
    if not raw:
        return None
    found = pyproj.CRS.from_user_input(raw)
    # A .prj often spells a VN-2000 CRS as WKT with its own TOWGS84 (signs may be wrong):
    # when it matches an EPSG definition, use that, so the official transformation applies.
    epsg = found.to_epsg(min_confidence=70)
    return pyproj.CRS.from_epsg(epsg) if epsg else found


def _resolve_source_crs(opts: ImportOptions, src: Source) -> pyproj.CRS | None:
    declared = declared_crs(src)
    if not opts.crs:
        return declared
    given = crsmod.resolve_crs(opts.crs)
    raw = src.info.get("total_bounds")
    bounds = None if raw is None else (float(raw[0]), float(raw[1]), float(raw[2]), float(raw[3]))
    check_declared_crs(given, declared, bounds, force=opts.force_crs)
    return given


def _base_layer(conn: Connection, opts: ImportOptions) -> Layer | None:
    """The existing or core layer the import goes into; None for a new user layer, which
    must have been asked for."""
    existing = find_layer(conn, opts.layer_id, deleted=True)
    if existing is not None and existing.deleted_at is None:
        return existing
    core = core_layer(opts.layer_id)
    if existing is not None or (core is None and not opts.new_layer):
        raise unknown_layer(conn, opts.layer_id)  # a deleted layer says how to restore it
    return core


def _map_columns(
    opts: ImportOptions, base: Layer | None, schema: pa.Schema, geom_col: str
) -> tuple[list[ColumnChoice], pa.Schema]:
    """The field each column fills, and the file's schema renamed to them."""
    fields = [] if base is None else list(base.property_schema.get("properties", {}))
    columns = [n for n in schema.names if n != geom_col]
    choices = resolve_columns(
        columns,
        fields,
        opts.column_map,
        layer_id=opts.layer_id,
        core=opts.layer_id in core_layer_ids(),
        fixed=base is not None,
    )
    target = {c.source: c.target for c in choices}
    if geom_col in target.values():
        raise InvalidInput(
            f"Không ánh xạ được cột vào «{geom_col}»: đó là cột hình học của tệp.",
            f"Cannot map a column to '{geom_col}': it is the file's geometry column.",
        )
    renamed = pa.schema([f.with_name(target.get(f.name, f.name)) for f in schema])
    return choices, renamed


def _prepare_layer(
    db: Database,
    conn: Connection,
    opts: ImportOptions,
    src: Source,
    base: Layer | None,
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
    new = base
    if new is None:
        new = Layer(
            id=opts.layer_id,
            title_vi=opts.title_vi or opts.layer_id,
            title_en=opts.title_en or opts.layer_id,
            geometry_type=geomod.layer_type_for(str(src.info.get("geometry_type") or "")),
            property_schema=infer_schema(schema, skip={geom_col}),
            # Not public unless asked: a new layer may hold anything.
            access="internal",
        )
    new.key_property = opts.key or new.key_property
    new.access = opts.access or new.access
    new.title_vi = opts.title_vi or new.title_vi
    new.title_en = opts.title_en or new.title_en
    new.created_by = opts.user
    new.source = str(src.path.name)
    # Its storage comes with the first rows: see UpsertWriter.
    return create_layer(conn, new, db.port, storage=False), True


def import_file(
    db: Database,
    settings: Settings,
    path: Path,
    opts: ImportOptions,
    progress: Progress | None = None,
    *,
    hooks: Sequence[ImportHook] = (),
    audit: LayerAudit | None = None,
) -> ImportReport:
    """Import the features of ``path`` into layer ``opts.layer_id`` (created if new and
    ``opts.new_layer``, or a core layer).

    ``hooks`` are the capabilities' import hooks (:mod:`dothi.spatial.import_hooks`): each
    may fill the batches of the imports it recognises. ``audit`` records the creation of a
    layer, in the import's transaction.
    """
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
        notes: NoteWriter | None = None
        try:
            with db.write() as conn, _Reader(src, opts.batch_size) as (geom_col, reader):
                base = _base_layer(conn, opts)
                report.columns, renamed = _map_columns(opts, base, reader.schema, geom_col)
                layer, created = _prepare_layer(db, conn, opts, src, base, renamed, geom_col)
                report.created_layer = created
                if created and audit is not None:
                    audit(conn, LAYER_CREATE, layer.id, f"access:{layer.access}")
                now = datetime.now(UTC)
                cs_id = open_changeset(
                    conn, layer.id, "import", user=opts.user, now=now, summary={"source": str(path)}
                )
                report.changeset_id = cs_id
                notes = NoteWriter(
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
                placement = PlacementCheck(db, conn, layer)
                active = _active_hooks(hooks, layer, src.layer, renamed, geom_col)
                schema = renamed
                for hook in active:
                    schema = hook.schema(schema)
                preparer.check_columns(schema)
                keyed = preparer.key_column is not None
                writer = UpsertWriter(db, conn, layer, cs_id, now, opts.user, report, notes)
                with writer.streaming(new_storage=created):
                    for batch in _batches(reader, src):
                        batch = batch.rename_columns(renamed.names)
                        for hook in active:
                            batch = hook.apply(batch)
                        writer.write(placement.check(preparer.prepare(batch)), keyed)
                        _tick(progress, report, total)
                placement.verdict()
                report.placement = placement.counts
                report.warnings.extend(preparer.warnings)
                for hook in active:
                    report.warnings.extend(hook.warnings())
                report.encoding = (
                    preparer.detected or src.legacy or (None if src.detect else src.gdal_encoding)
                )
                if not created and not (report.inserted or report.updated):
                    discard_changeset(conn, cs_id)
                    report.changeset_id = 0
                else:
                    _finish(conn, cs_id, layer, report)
                # Fresh statistics: the query planner then starts from the spatial index.
                db.port.analyze(conn, layer.id)
        except BaseException:
            if notes is not None:
                notes.close()
                notes.path.unlink(missing_ok=True)
            raise
        notes.close()
        report.report_path = _keep_notes(notes.path, report, opts.layer_id)
    return report


def _keep_notes(path: Path, report: ImportReport, layer_id: str) -> Path | None:
    """The notes file to show: an import that changed nothing has no change set to name it
    after, so its notes (if any) get a name of their own, and an empty one goes."""
    if report.changeset_id:
        return path
    if not (report.rejected or report.repaired or report.flagged):
        path.unlink(missing_ok=True)
        return None
    kept = path.with_name(f"import-unchanged-{datetime.now(UTC):%Y%m%dT%H%M%S%f}-{layer_id}.csv")
    path.replace(kept)
    return kept


def _active_hooks(
    hooks: Sequence[ImportHook],
    layer: Layer,
    source_layer: str | None,
    schema: pa.Schema,
    geom_col: str,
) -> list[BatchHook]:
    """The hooks that take part in this import, in the order given."""
    found = (hook(layer, source_layer, schema, geom_col) for hook in hooks)
    return [h for h in found if h is not None]


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
    set_summary(conn, cs_id, summary)
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


__all__ = ["ImportOptions", "ImportReport", "import_file"]
