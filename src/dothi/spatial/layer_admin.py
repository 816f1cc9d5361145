"""Managing layers: delete (and restore or purge), retitle, change who may read them.

Plain functions on the database, so that ``dothi layers`` and a web page call the same
code. Each change is written with an audit entry through the caller's ``audit`` hook, in
the same transaction: the change and its record commit or roll back together.

Decisions:

* **Deleting is soft.** The layer disappears from lists and APIs and its features stop
  being current, by a change set of kind ``layer_delete`` that keeps every version:
  :func:`restore_layer` rolls it back. :func:`purge_layer` removes a deleted layer for
  good — features, history and grants (the audit log keeps its entries).
* **Core layers are not deleted.** Their schemas ship with Dothi and capabilities read
  them by id (the planning lookup reads ``land_parcel``, ``planning_zone``…); a wrong
  import into one is undone with ``dothi layers rollback``.
* **Ids do not change.** A layer's id is in URLs (OGC API, tiles), grants, plans and the
  history; renaming changes its titles. To move data under another id, export it and
  import it into a new layer.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, select

from dothi.db.engine import Database
from dothi.db.schema import changeset, feature, layer
from dothi.errors import Conflict, InvalidInput, NotFound
from dothi.spatial.history import rollback_in
from dothi.spatial.layers import (
    Layer,
    check_access,
    core_layer_ids,
    find_layer,
    list_layers,
    update_layer,
)
from dothi.spatial.versioning import close_versions, open_changeset, set_summary

#: The audit actions of this module; :mod:`dothi.auth.audit` declares them.
LAYER_CREATE = "layer_create"
LAYER_DELETE = "layer_delete"
LAYER_RESTORE = "layer_restore"
LAYER_PURGE = "layer_purge"
LAYER_RENAME = "layer_rename"
LAYER_ACCESS = "layer_access"
ACTIONS = (LAYER_CREATE, LAYER_DELETE, LAYER_RESTORE, LAYER_PURGE, LAYER_RENAME, LAYER_ACCESS)

#: Who may read a layer of each access level, in words (pages show these, not the codes).
ACCESS_LABELS: dict[str, dict[str, str]] = {
    "public": {"vi": "Công khai — mọi người", "en": "Public — everyone"},
    "internal": {
        "vi": "Nội bộ — tài khoản đã đăng nhập",
        "en": "Internal — signed-in accounts",
    },
    "restricted": {
        "vi": "Hạn chế — chỉ tài khoản được cấp quyền",
        "en": "Restricted — granted accounts only",
    },
}

#: ``audit(conn, action, layer_id, target)``: called inside the change's transaction.
LayerAudit = Callable[[Connection, str, str, str | None], None]


@dataclass(frozen=True)
class LayerRemoval:
    """What deleting a layer did."""

    layer_id: str
    #: Features that stopped being current (0 when the layer was already deleted).
    removed: int
    #: The ``layer_delete`` change set (None when only purged now).
    changeset_id: int | None
    purged: bool


def similar_layer_ids(conn: Connection, layer_id: str) -> list[str]:
    """Existing and core layer ids that look like ``layer_id`` (a typo's likely target)."""
    known = {ly.id for ly in list_layers(conn)} | set(core_layer_ids())
    return difflib.get_close_matches(layer_id, sorted(known), n=3, cutoff=0.6)


def unknown_layer(conn: Connection, layer_id: str) -> InvalidInput:
    """The error for an import into a layer that does not exist, without ``--new-layer``:
    it names the close existing ids, or says how to create the layer."""
    gone = find_layer(conn, layer_id, deleted=True)
    if gone is not None:
        return InvalidInput(
            f"Lớp «{layer_id}» đã bị xóa; khôi phục bằng: dothi layers restore {layer_id}, "
            f"hoặc xóa hẳn bằng: dothi layers delete {layer_id} --purge",
            f"Layer '{layer_id}' was deleted; restore it with: dothi layers restore "
            f"{layer_id}, or remove it for good with: dothi layers delete {layer_id} --purge",
            code="LayerDeleted",
        )
    close = similar_layer_ids(conn, layer_id)
    if close:
        names = ", ".join(close)
        return InvalidInput(
            f"Không có lớp «{layer_id}». Có phải ý bạn là: {names}? Để tạo lớp mới, thêm "
            "--new-layer.",
            f"No layer '{layer_id}'. Did you mean: {names}? To create a new layer, add "
            "--new-layer.",
            code="UnknownLayer",
        )
    return InvalidInput(
        f"Không có lớp «{layer_id}». Để tạo lớp mới, thêm --new-layer (xem các lớp: dothi "
        "layers list).",
        f"No layer '{layer_id}'. To create a new layer, add --new-layer (see the layers: "
        "dothi layers list).",
        code="UnknownLayer",
    )


def _get(conn: Connection, layer_id: str, *, deleted: bool = False) -> Layer:
    found = find_layer(conn, layer_id, deleted=deleted)
    if found is None:
        raise NotFound(
            f"Không có lớp dữ liệu «{layer_id}». Xem danh sách bằng: dothi layers list",
            f"No layer '{layer_id}'. List the layers with: dothi layers list",
        )
    return found


def _refuse_core(layer_id: str) -> None:
    if layer_id in core_layer_ids():
        raise Conflict(
            f"Lớp «{layer_id}» là lớp lõi (các chức năng như tra cứu quy hoạch đọc nó) nên "
            "không xóa được; để bỏ một lần nhập sai, dùng: dothi layers rollback "
            f"{layer_id} <lần thay đổi>",
            f"'{layer_id}' is a core layer (capabilities such as the planning lookup read "
            "it) and cannot be deleted; to undo a wrong import use: dothi layers rollback "
            f"{layer_id} <change set>",
            code="CoreLayer",
        )


def delete_layer(
    db: Database,
    layer_id: str,
    user: str,
    *,
    purge: bool = False,
    audit: LayerAudit | None = None,
) -> LayerRemoval:
    """Delete a layer (soft; see the module docstring); with ``purge``, remove it and its
    history for good (a layer already deleted is then only purged)."""
    with db.write() as conn:
        found = _get(conn, layer_id, deleted=True)
        _refuse_core(layer_id)
        removed, cs_id = 0, None
        if found.deleted_at is None:
            now = datetime.now(UTC)
            cs_id = open_changeset(conn, layer_id, LAYER_DELETE, user=user, now=now)
            current = select(feature.c.fid).where(
                feature.c.layer_id == layer_id, feature.c.valid_to.is_(None)
            )
            removed = close_versions(conn, layer_id, cs_id, now, fids=current)
            set_summary(conn, cs_id, {"removed": removed})
            update_layer(conn, layer_id, deleted_at=now, deleted_by=user[:128])
            if audit is not None:
                audit(conn, LAYER_DELETE, layer_id, None)
        if purge:
            # The partition first: dropping it is cheaper than deleting its rows one by one.
            db.port.drop_layer_storage(conn, layer_id)
            conn.execute(layer.delete().where(layer.c.id == layer_id))
            if audit is not None:
                audit(conn, LAYER_PURGE, layer_id, None)
        return LayerRemoval(layer_id, removed, cs_id, purge)


def restore_layer(
    db: Database, layer_id: str, user: str, *, audit: LayerAudit | None = None
) -> int:
    """Bring a deleted layer back with the features it had; returns how many."""
    with db.write() as conn:
        found = _get(conn, layer_id, deleted=True)
        if found.deleted_at is None:
            raise Conflict(f"Lớp «{layer_id}» chưa bị xóa.", f"Layer '{layer_id}' is not deleted.")
        update_layer(conn, layer_id, deleted_at=None, deleted_by=None)
        last = conn.execute(
            select(changeset.c.id)
            .where(
                changeset.c.layer_id == layer_id,
                changeset.c.kind == LAYER_DELETE,
                changeset.c.reverted_by.is_(None),
            )
            .order_by(changeset.c.id.desc())
            .limit(1)
        ).scalar()
        restored = 0
        if last is not None:
            change = rollback_in(db, conn, layer_id, int(last), user)
            restored = int(change.summary.get("restored", 0))
        if audit is not None:
            audit(conn, LAYER_RESTORE, layer_id, None)
        return restored


def rename_layer(
    db: Database,
    layer_id: str,
    *,
    title_vi: str | None = None,
    title_en: str | None = None,
    audit: LayerAudit | None = None,
) -> Layer:
    """Change the titles of a layer (its id stays: see the module docstring)."""
    changes = {}
    for name, value in (("title_vi", title_vi), ("title_en", title_en)):
        if value is None:
            continue
        value = value.strip()
        if not value or len(value) > 300:
            raise InvalidInput(
                "Tên lớp phải có từ 1 đến 300 ký tự.",
                "A layer title must have 1 to 300 characters.",
            )
        changes[name] = value
    if not changes:
        raise InvalidInput(
            "Cho biết tên mới: --title-vi và/hoặc --title-en.",
            "Give the new title: --title-vi and/or --title-en.",
        )
    with db.write() as conn:
        _get(conn, layer_id)
        update_layer(conn, layer_id, **changes)
        if audit is not None:
            audit(conn, LAYER_RENAME, layer_id, ",".join(sorted(changes)))
        return _get(conn, layer_id)


def set_layer_access(
    db: Database, layer_id: str, access: str, *, audit: LayerAudit | None = None
) -> tuple[str, str]:
    """Change who may read a layer (public / internal / restricted); returns (before,
    after). Setting the level it already has changes and records nothing."""
    check_access(access)
    with db.write() as conn:
        before = _get(conn, layer_id).access
        if before != access:
            update_layer(conn, layer_id, access=access)
            if audit is not None:
                audit(conn, LAYER_ACCESS, layer_id, f"access:{before}->{access}")
        return before, access
