"""Editing features one at a time or deleting them: each edit is a change set.

Every edit keeps the previous version in the history. Writers say which version they
changed (``if_match``, the ETag they read): an edit based on an older version is refused,
so two people editing the same parcel cannot overwrite each other unseen.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import shapely
from sqlalchemy import Connection

from dothi.db.engine import Database
from dothi.db.schema import feature
from dothi.db.spatial.base import FeatureRow, VersionBatch
from dothi.errors import Conflict, DothiError, InvalidInput, NotFound
from dothi.spatial.batches import BatchPreparer
from dothi.spatial.layers import Layer, get_layer, update_layer
from dothi.spatial.versioning import close_versions, open_changeset, set_summary

#: Called inside the edit's transaction with the connection, the action and the feature id,
#: so that an audit entry commits (or rolls back) together with the change.
AuditHook = Callable[[Connection, str, str], None]


class PreconditionFailed(DothiError):
    """The feature changed since the caller read it (ETag mismatch)."""

    status = 412
    code = "PreconditionFailed"


def etag_of(row: FeatureRow) -> str:
    """The entity tag of one version of a feature."""
    return f'"{row.rid}"'


def _current(db: Database, conn: Connection, layer_id: str, fid: str) -> FeatureRow | None:
    rows = db.port.find(conn, layer_id, where=[feature.c.fid == fid], limit=1)
    return rows[0] if rows else None


def _check_match(row: FeatureRow, if_match: str | None) -> None:
    if if_match is not None and if_match.strip() not in ("*", etag_of(row)):
        raise PreconditionFailed(
            "Đối tượng đã được người khác sửa sau khi bạn đọc; hãy đọc lại rồi sửa.",
            "The feature was changed after you read it; read it again, then edit.",
        )


def _prepare(layer: Layer, doc: dict[str, Any]) -> tuple[bytes, np.ndarray[Any, Any], str, str]:
    """Validate one GeoJSON Feature for ``layer``: its WKB, bounds, properties JSON, digest."""
    if not isinstance(doc, dict) or doc.get("type") != "Feature":
        raise InvalidInput(
            "Nội dung phải là một GeoJSON Feature.", "The body must be a GeoJSON Feature."
        )
    props = doc.get("properties") or {}
    if not isinstance(props, dict):
        raise InvalidInput("properties phải là một đối tượng.", "properties must be an object.")
    try:
        geometry = shapely.geometry.shape(doc["geometry"]) if doc.get("geometry") else None
    except (KeyError, TypeError, ValueError, AttributeError, shapely.errors.ShapelyError):
        raise InvalidInput(
            "Hình học GeoJSON không đọc được.", "The GeoJSON geometry cannot be read."
        ) from None
    try:
        columns = {name: pa.array([value]) for name, value in props.items()}
        columns["geometry"] = pa.array([None if geometry is None else geometry.wkb], pa.binary())
        batch = pa.RecordBatch.from_pydict(columns)
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        raise InvalidInput(
            "Giá trị thuộc tính phải là chuỗi, số, true/false hoặc null.",
            "Property values must be strings, numbers, true/false or null.",
        ) from None
    preparer = BatchPreparer(layer, "geometry", None, legacy=None, detect=False, id_prefix="x")
    out = preparer.prepare(batch)
    rejected = [n.reason for n in out.notes if n.kind == "rejected"]
    if rejected or not out.wkb:
        raise InvalidInput(
            "Đối tượng không hợp lệ: " + "; ".join(rejected),
            "Invalid feature: " + "; ".join(rejected),
        )
    return out.wkb[0], out.bounds[:1], out.bodies[0], out.digests[0]


def _write(
    db: Database,
    conn: Connection,
    layer: Layer,
    fid: str,
    version: int,
    cs_id: int,
    now: datetime,
    user: str,
    prepared: tuple[bytes, np.ndarray[Any, Any], str, str],
) -> FeatureRow:
    wkb, bounds, body, digest = prepared
    db.port.insert_versions(
        conn,
        VersionBatch(layer.id, cs_id, user, now, [fid], [version], [wkb], bounds, [body], [digest]),
    )
    update_layer(conn, layer.id)
    row = _current(db, conn, layer.id, fid)
    assert row is not None
    return row


def create_feature(
    db: Database, layer_id: str, doc: dict[str, Any], user: str, audit: AuditHook | None = None
) -> FeatureRow:
    """Add a feature; its id is the Feature's ``id``, its key property, or a new UUID."""
    with db.write() as conn:
        layer = get_layer(conn, layer_id)
        prepared = _prepare(layer, doc)
        props = doc.get("properties") or {}
        key = layer.key_property
        fid = str(doc.get("id") or (props.get(key) if key else None) or uuid.uuid4())
        if _current(db, conn, layer_id, fid) is not None:
            raise Conflict(
                f"Lớp «{layer_id}» đã có đối tượng «{fid}».",
                f"Layer '{layer_id}' already has a feature '{fid}'.",
            )
        now = datetime.now(UTC)
        cs_id = open_changeset(conn, layer_id, "create", user=user, now=now)
        if audit is not None:
            audit(conn, "create", fid)
        return _write(db, conn, layer, fid, 1, cs_id, now, user, prepared)


def replace_feature(
    db: Database,
    layer_id: str,
    fid: str,
    doc: dict[str, Any],
    user: str,
    if_match: str | None,
    *,
    merge: bool = False,
    audit: AuditHook | None = None,
) -> FeatureRow:
    """Replace a feature (PUT), or merge a JSON Merge Patch into it (PATCH, ``merge``)."""
    with db.write() as conn:
        layer = get_layer(conn, layer_id)
        old = _require(db, conn, layer_id, fid)
        _check_match(old, if_match)
        if merge:
            doc = _merged(old, doc)
        prepared = _prepare(layer, doc)
        now = datetime.now(UTC)
        kind = "update" if merge else "replace"
        cs_id = open_changeset(conn, layer_id, kind, user=user, now=now)
        if audit is not None:
            audit(conn, kind, fid)
        close_versions(conn, layer_id, cs_id, now, rids=[old.rid])
        return _write(db, conn, layer, fid, old.version + 1, cs_id, now, user, prepared)


def _merged(old: FeatureRow, patch: dict[str, Any]) -> dict[str, Any]:
    """RFC 7396 JSON Merge Patch of a feature: null removes a property."""
    if not isinstance(patch, dict):
        raise InvalidInput("Bản vá phải là một đối tượng JSON.", "The patch must be a JSON object.")
    changes = patch.get("properties") or {}
    if not isinstance(changes, dict):
        raise InvalidInput("properties phải là một đối tượng.", "properties must be an object.")
    props = dict(old.properties)
    for k, v in changes.items():
        if v is None:
            props.pop(k, None)
        else:
            props[k] = v
    geometry = patch.get("geometry") or shapely.geometry.mapping(old.geometry)
    return {"type": "Feature", "geometry": geometry, "properties": props}


def _require(db: Database, conn: Connection, layer_id: str, fid: str) -> FeatureRow:
    row = _current(db, conn, layer_id, fid)
    if row is None:
        raise NotFound(
            f"Lớp «{layer_id}» không có đối tượng «{fid}».",
            f"Layer '{layer_id}' has no feature '{fid}'.",
        )
    return row


def delete_feature(
    db: Database,
    layer_id: str,
    fid: str,
    user: str,
    if_match: str | None,
    audit: AuditHook | None = None,
) -> int:
    """Delete one feature (checking ``if_match``); returns the change set id."""
    return delete_features(db, layer_id, [fid], user, if_match=if_match, audit=audit)


def delete_features(
    db: Database,
    layer_id: str,
    fids: list[str],
    user: str,
    *,
    if_match: str | None = None,
    audit: AuditHook | None = None,
) -> int:
    """Delete features by id as one change set; returns its id.

    Every id must name a current feature, or nothing is deleted. The deleted versions stay
    in the history (closed by this change set) and can be read as of an earlier time or
    brought back with a rollback.
    """
    with db.write() as conn:
        get_layer(conn, layer_id)
        if if_match is not None and len(fids) == 1:
            _check_match(_require(db, conn, layer_id, fids[0]), if_match)
        now = datetime.now(UTC)
        wanted = sorted(set(fids))
        cs_id = open_changeset(conn, layer_id, "delete", user=user, now=now)
        if audit is not None:
            for fid in wanted:
                audit(conn, "delete", fid)
        closed = close_versions(conn, layer_id, cs_id, now, fids=wanted)
        if closed != len(wanted):
            # Leaving the block with an error rolls the whole change set back.
            raise NotFound(
                f"{len(wanted) - closed} mã đối tượng không có trong lớp «{layer_id}»; "
                "không xóa gì.",
                f"{len(wanted) - closed} feature ids are not in layer '{layer_id}'; "
                "nothing was deleted.",
            )
        set_summary(conn, cs_id, {"deleted": closed})
        update_layer(conn, layer_id)
        return cs_id
