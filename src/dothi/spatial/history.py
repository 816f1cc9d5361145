"""History (lịch sử thay đổi): change sets of a layer, versions of a feature, rollback."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import numpy as np
from sqlalchemy import Connection, and_, func, or_, select

from dothi.db.engine import Database
from dothi.db.schema import changeset, feature
from dothi.db.spatial.base import FeatureRow, VersionBatch, as_utc
from dothi.errors import Conflict, NotFound
from dothi.spatial.layers import get_layer
from dothi.spatial.versioning import close_versions, open_changeset, set_summary

_CHUNK = 5_000


@dataclass(frozen=True)
class Change:
    """One change set: an import, an edit, a delete or a rollback."""

    id: int
    layer_id: str
    kind: str
    created_at: datetime
    created_by: str
    summary: dict[str, Any]
    reverts: int | None
    reverted_by: int | None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form."""
        return {**self.__dict__, "created_at": self.created_at.isoformat()}


def _change(r: Any) -> Change:
    return Change(
        id=int(r.id),
        layer_id=r.layer_id,
        kind=r.kind,
        created_at=as_utc(r.created_at),
        created_by=r.created_by,
        summary=r.summary,
        reverts=r.reverts,
        reverted_by=r.reverted_by,
    )


def layer_history(conn: Connection, layer_id: str) -> list[Change]:
    """All change sets of a layer, oldest first."""
    get_layer(conn, layer_id)
    stmt = select(changeset).where(changeset.c.layer_id == layer_id).order_by(changeset.c.id)
    return [_change(r) for r in conn.execute(stmt)]


def get_change(conn: Connection, changeset_id: int) -> Change:
    """One change set; :class:`NotFound` if there is none."""
    r = conn.execute(select(changeset).where(changeset.c.id == changeset_id)).first()
    if r is None:
        raise NotFound(
            f"Không có lần thay đổi số {changeset_id}.", f"No change set {changeset_id}."
        )
    return _change(r)


def feature_history(db: Database, conn: Connection, layer_id: str, fid: str) -> list[FeatureRow]:
    """Every version of one feature, oldest first (the last one may be closed: deleted)."""
    get_layer(conn, layer_id)
    stmt = (
        db.port.base_select(layer_id, None, [feature.c.fid == fid], all_versions=True)
        .order_by(None)
        .order_by(feature.c.version)
    )
    rows = [db.port.to_row(r) for r in conn.execute(stmt)]
    if not rows:
        raise NotFound(
            f"Lớp «{layer_id}» không có đối tượng «{fid}».",
            f"Layer '{layer_id}' has no feature '{fid}'.",
        )
    return rows


def rollback(db: Database, layer_id: str, changeset_id: int, user: str) -> Change:
    """Undo one change set of a layer, as a new change set that keeps the history.

    Refused when a later change set of the same layer is still in force: roll that
    back first, so nobody's later work is undone unnoticed.
    """
    with db.write() as conn:
        return rollback_in(db, conn, layer_id, changeset_id, user)


def rollback_in(
    db: Database, conn: Connection, layer_id: str, changeset_id: int, user: str
) -> Change:
    """:func:`rollback` inside the caller's write transaction."""
    target = get_change(conn, changeset_id)
    if target.layer_id != layer_id:
        raise NotFound(
            f"Lần thay đổi {changeset_id} không thuộc lớp «{layer_id}».",
            f"Change set {changeset_id} does not belong to layer '{layer_id}'.",
        )
    if target.reverted_by is not None:
        raise Conflict(
            f"Lần thay đổi {changeset_id} đã được hoàn tác bởi {target.reverted_by}.",
            f"Change set {changeset_id} was already rolled back by {target.reverted_by}.",
        )
    later = [
        int(r.id)
        for r in conn.execute(
            select(changeset.c.id).where(
                changeset.c.layer_id == layer_id,
                changeset.c.id > changeset_id,
                changeset.c.reverted_by.is_(None),
                changeset.c.kind != "rollback",
            )
        )
    ]
    if later:
        ids = ", ".join(map(str, later))
        raise Conflict(
            f"Có thay đổi mới hơn trên lớp «{layer_id}» ({ids}); hãy hoàn tác chúng trước.",
            f"Layer '{layer_id}' has later change sets ({ids}); roll those back first.",
        )
    now = datetime.now(UTC)
    rb_id = open_changeset(conn, layer_id, "rollback", user=user, now=now, reverts=changeset_id)
    # Every feature the change set touched goes back to its version from before it:
    # close whatever is current now, then re-open a copy of the version it closed.
    touched = select(feature.c.fid).where(
        feature.c.layer_id == layer_id,
        or_(feature.c.created_in == changeset_id, feature.c.closed_in == changeset_id),
    )
    closed = close_versions(conn, layer_id, rb_id, now, fids=touched)
    restored = _restore_closed(db, conn, layer_id, changeset_id, rb_id, now, user)
    summary = {"reverts": changeset_id, "removed": closed, "restored": restored}
    set_summary(conn, rb_id, summary)
    conn.execute(changeset.update().where(changeset.c.id == changeset_id).values(reverted_by=rb_id))
    return get_change(conn, rb_id)


def _restore_closed(
    db: Database,
    conn: Connection,
    layer_id: str,
    changeset_id: int,
    rb_id: int,
    now: datetime,
    user: str,
) -> int:
    """Re-open, as new versions, the versions that the change set closed."""
    top = (
        select(feature.c.fid, func.max(feature.c.version).label("v"))
        .where(feature.c.layer_id == layer_id)
        .group_by(feature.c.fid)
        .subquery()
    )
    cols = (
        feature.c.rid,
        feature.c.fid,
        top.c.v,
        db.port.geom_wkb().label("wkb"),
        feature.c.minx,
        feature.c.miny,
        feature.c.maxx,
        feature.c.maxy,
        feature.c.properties,
        feature.c.digest,
    )
    last = 0
    count = 0
    while True:
        rows = conn.execute(
            select(*cols)
            .join(top, and_(top.c.fid == feature.c.fid))
            .where(
                feature.c.layer_id == layer_id,
                feature.c.closed_in == changeset_id,
                feature.c.rid > last,
            )
            .order_by(feature.c.rid)
            .limit(_CHUNK)
        ).all()
        if not rows:
            return count
        batch = VersionBatch(
            layer_id=layer_id,
            changeset_id=rb_id,
            changed_by=user,
            valid_from=now,
            fids=[r.fid for r in rows],
            versions=[int(r.v) + 1 for r in rows],
            wkb=[bytes(r.wkb) for r in rows],
            bounds=np.array([(r.minx, r.miny, r.maxx, r.maxy) for r in rows], dtype=float),
            properties=[_json_text(r.properties) for r in rows],
            digests=[r.digest for r in rows],
        )
        db.port.insert_versions(conn, batch)
        count += len(rows)
        last = rows[-1].rid


def _json_text(value: Any) -> str:
    import orjson

    return orjson.dumps(value).decode()
