"""The database half of an import: notes file and upsert of prepared batches.

Rows into an empty layer are streamed in bulk; into a layer with rows, each key is looked
up and the row is inserted, replaced (the old version closed) or left unchanged.
"""

from __future__ import annotations

import csv
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from sqlalchemy import Connection, select

from dothi.db.engine import Database
from dothi.db.schema import feature
from dothi.db.spatial.base import VersionBatch
from dothi.spatial.batches import PreparedBatch, RowNote
from dothi.spatial.geometry import spatial_order
from dothi.spatial.import_report import ImportReport
from dothi.spatial.layers import Layer
from dothi.spatial.versioning import close_versions

_LOOKUP_CHUNK = 5_000
_SAMPLE = 100


class NoteWriter:
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


class UpsertWriter:
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
        notes: NoteWriter,
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
        self.filled = has_rows is not None
        #: Keys met so far in this import: a key repeated in the file is rejected.
        self.seen: set[str] = set()
        self._bulk: Callable[[VersionBatch], None] | None = None

    @contextmanager
    def streaming(self, *, new_storage: bool) -> Iterator[None]:
        """The block in which batches are written; an empty layer gets a bulk stream."""
        if self.filled:
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
        if not keyed and not self.filled:
            # Generated ids into an empty layer: every row is new, nothing to compare.
            report.inserted += len(batch.keys)
            self._insert(batch, range(len(batch.keys)), [1] * len(batch.keys))
            return
        existing = self._current(batch.keys) if self.filled else {}
        take: list[int] = []
        versions: list[int] = []
        close: list[int] = []
        for j, key in enumerate(batch.keys):
            prev = existing.get(key)
            if key in self.seen:
                self.notes.add(
                    RowNote("rejected", batch.rows[j], key, "khóa trùng trong tệp / duplicate key")
                )
                report.rejected += 1
                continue
            self.seen.add(key)
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
        close_versions(self.conn, self.layer.id, self.cs_id, self.now, rids=close)
        if take:
            self._insert(batch, take, versions)

    def _insert(self, batch: PreparedBatch, take: Sequence[int], versions: list[int]) -> None:
        every = len(take) == len(batch.keys)
        pick = (lambda col: col) if every else (lambda col: [col[j] for j in take])
        bounds = batch.bounds if every else batch.bounds[list(take)]
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
                bounds=bounds,
                properties=pick(batch.bodies),
                digests=pick(batch.digests),
                # Written in space order, so that the rows of an area share pages.
                order=spatial_order(bounds),
            )
        )
