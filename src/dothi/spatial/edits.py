"""Deleting features: a change set that closes their current versions, keeping history."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from dothi.db.engine import Database
from dothi.db.schema import changeset, feature
from dothi.errors import NotFound
from dothi.spatial.layers import get_layer, update_layer

_CHUNK = 5_000


def delete_features(db: Database, layer_id: str, fids: list[str], user: str) -> int:
    """Delete features by id as one change set; returns its id.

    Every id must name a current feature, or nothing is deleted. The deleted versions stay
    in the history (closed by this change set) and can be read as of an earlier time or
    brought back with a rollback.
    """
    with db.write() as conn:
        get_layer(conn, layer_id)
        now = datetime.now(UTC)
        wanted = sorted(set(fids))
        result = conn.execute(
            changeset.insert().values(
                layer_id=layer_id, kind="delete", created_at=now, created_by=user, summary={}
            )
        )
        pk = result.inserted_primary_key
        assert pk is not None
        cs_id = int(pk[0])
        closed = 0
        for start in range(0, len(wanted), _CHUNK):
            closed += conn.execute(
                update(feature)
                .where(
                    feature.c.layer_id == layer_id,
                    feature.c.valid_to.is_(None),
                    feature.c.fid.in_(wanted[start : start + _CHUNK]),
                )
                .values(valid_to=now, closed_in=cs_id)
            ).rowcount
        if closed != len(wanted):
            # Leaving the block with an error rolls the whole change set back.
            raise NotFound(
                f"{len(wanted) - closed} mã đối tượng không có trong lớp «{layer_id}»; "
                "không xóa gì.",
                f"{len(wanted) - closed} feature ids are not in layer '{layer_id}'; "
                "nothing was deleted.",
            )
        conn.execute(
            changeset.update().where(changeset.c.id == cs_id).values(summary={"deleted": closed})
        )
        update_layer(conn, layer_id)
        return cs_id
