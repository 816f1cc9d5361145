"""Versioning primitives: opening a change set, closing feature versions.

Every write to a layer is one change set (an import, an edit, a delete or a rollback).
A version stops being current when a change set replaces or deletes it: its ``valid_to``
becomes the change set's time and its ``closed_in`` the change set's id. These functions
are the only writers of those columns; new versions are written by the storage port
(:meth:`~dothi.db.spatial.base.SpatialPort.insert_versions`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Column, ColumnElement, Connection, Select, update

from dothi.db.schema import changeset, feature

#: Ids per statement when closing by a list (well below the drivers' parameter limits).
_CHUNK = 5_000


def open_changeset(
    conn: Connection,
    layer_id: str,
    kind: str,
    *,
    user: str,
    now: datetime,
    summary: dict[str, Any] | None = None,
    reverts: int | None = None,
) -> int:
    """Start a change set of ``kind`` (``import``, ``create``, ``delete``, ``rollback``…)
    on a layer at ``now``; returns its id. ``reverts`` is the change set a rollback undoes."""
    result = conn.execute(
        changeset.insert().values(
            layer_id=layer_id,
            kind=kind,
            created_at=now,
            created_by=user,
            summary={} if summary is None else summary,
            reverts=reverts,
        )
    )
    pk = result.inserted_primary_key
    assert pk is not None
    return int(pk[0])


def set_summary(conn: Connection, changeset_id: int, summary: dict[str, Any]) -> None:
    """Record what a change set did, once it is known."""
    conn.execute(changeset.update().where(changeset.c.id == changeset_id).values(summary=summary))


def discard_changeset(conn: Connection, changeset_id: int) -> None:
    """Remove a change set that changed nothing (a re-import of the same file), so that
    the history lists only real changes. The caller must know no version refers to it."""
    conn.execute(changeset.delete().where(changeset.c.id == changeset_id))


def close_versions(
    conn: Connection,
    layer_id: str,
    changeset_id: int,
    now: datetime,
    *,
    rids: Sequence[int] | None = None,
    fids: Sequence[str] | Select[Any] | None = None,
) -> int:
    """Close the current versions of a layer's features, by their row ids (``rids``) or by
    feature id (``fids``: a list, or a SELECT of one column of ids), as of ``now`` and by
    change set ``changeset_id``; returns how many were closed. Versions already closed are
    left alone."""
    if (rids is None) == (fids is None):
        raise TypeError("close_versions takes either rids or fids")
    if isinstance(fids, Select):
        return _close(conn, layer_id, changeset_id, now, feature.c.fid.in_(fids))
    column: Column[Any]
    ids: Sequence[Any]
    if fids is None:
        assert rids is not None
        column, ids = feature.c.rid, rids
    else:
        column, ids = feature.c.fid, fids
    return sum(
        _close(conn, layer_id, changeset_id, now, column.in_(ids[start : start + _CHUNK]))
        for start in range(0, len(ids), _CHUNK)
    )


def _close(
    conn: Connection,
    layer_id: str,
    changeset_id: int,
    now: datetime,
    which: ColumnElement[bool],
) -> int:
    stmt = (
        update(feature)
        .where(feature.c.layer_id == layer_id, feature.c.valid_to.is_(None), which)
        .values(valid_to=now, closed_in=changeset_id)
    )
    return int(conn.execute(stmt).rowcount)
