"""HTTP routes of officials' data work (the ``/data`` page): imports and layer management.

- ``POST /api/imports/preview`` — a file (multipart) and a target layer: the file's columns
  with sample values, count, geometry type, declared CRS, the suggested column mapping and
  the layer's fields by their titles; nothing is written;
- ``POST /api/imports`` — a file and the options of ``dothi import``: the import's report;
- ``GET /api/managed-layers`` — the layers the caller may manage, in use and deleted;
- ``PATCH /api/layers/{id}`` — new titles and/or access level;
- ``DELETE /api/layers/{id}`` — delete (restorable); ``POST /api/layers/{id}/restore``.

The page itself is :mod:`dothi.app.data_page`.

Who may: the rule of the feature write routes (:func:`dothi.auth.policy.require_edit`):
admins, and editors on the layers they are granted edit on; a new layer is created by an
admin or an editor. Changes are audited in their own transaction, as the console does;
refusals to someone who may read the layer are audited as ``denied``.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Connection

from dothi.app.uploads import Upload, receive_upload
from dothi.auth.audit import audit
from dothi.auth.policy import Principal, can_edit, can_read, require_official, require_read
from dothi.capabilities import import_hooks
from dothi.config import Settings
from dothi.errors import InvalidInput, NotFound
from dothi.geo.encodings import SUPPORTED as ENCODINGS
from dothi.spatial import layer_admin
from dothi.spatial.import_preview import ImportPreview, preview_file, preview_json
from dothi.spatial.import_report import report_json
from dothi.spatial.importer import ImportOptions, import_file
from dothi.spatial.layer_admin import ACCESS_LABELS, LayerAudit
from dothi.spatial.layers import (
    Layer,
    check_access,
    core_layer,
    core_layer_ids,
    feature_counts,
    find_layer,
    list_layers,
)
from dothi.webkit.bodies import json_body
from dothi.webkit.deps import CurrentPrincipal, client_address, db_of, require_edit_audited

router = APIRouter(tags=["data"])

#: Largest file an official may upload for an import.
MAX_UPLOAD_BYTES = 200 * 2**20
#: What the importer reads from one uploaded file (a Shapefile comes zipped).
UPLOAD_SUFFIXES = (".zip", ".gpkg", ".geojson", ".json", ".csv")


# -- Who may ---------------------------------------------------------------------------------


def _manageable(request: Request, who: Principal, layer_id: str, action: str) -> Layer:
    """The layer (deleted ones too) if ``who`` may change it; a refusal to someone who may
    read it is audited."""
    require_official(who)
    db = db_of(request)
    with db.read(snapshot=False) as conn:
        found = find_layer(conn, layer_id, deleted=True)
    if found is None:
        raise NotFound(f"Không có lớp dữ liệu «{layer_id}».", f"No layer '{layer_id}'.")
    return require_edit_audited(request, who, found, action)


def _audit_hook(request: Request, who: Principal) -> LayerAudit:
    client = client_address(request)

    def record(conn: Connection, action: str, layer_id: str, target: str | None) -> None:
        audit(conn, who, action, layer_id=layer_id, target=target, client=client)

    return record


# -- Form fields -----------------------------------------------------------------------------


def _flag(fields: dict[str, str], name: str) -> bool:
    value = fields.get(name, "").strip().lower()
    if value in ("", "0", "false", "off", "no"):
        return False
    if value in ("1", "true", "on", "yes"):
        return True
    raise InvalidInput(
        f"Trường «{name}» phải là true hoặc false.", f"The field '{name}' must be true or false."
    )


def _text(fields: dict[str, str], name: str) -> str | None:
    value = fields.get(name, "").strip()
    return value or None


def _column_map(fields: dict[str, str]) -> dict[str, str]:
    raw = fields.get("column_map", "").strip()
    if not raw:
        return {}
    try:
        doc: Any = json.loads(raw)
    except json.JSONDecodeError:
        doc = None
    if not isinstance(doc, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in doc.items()
    ):
        raise InvalidInput(
            'Ánh xạ cột phải là một đối tượng JSON {"cột trong tệp": "trường"}.',
            'The column mapping must be a JSON object {"file column": "field"}.',
        )
    # An empty target means "keep the column's own name": nothing to map.
    return {k.strip(): v.strip() for k, v in doc.items() if k.strip() and v.strip()}


def _layer_field(fields: dict[str, str]) -> str:
    layer_id = _text(fields, "layer")
    if layer_id is None:
        raise InvalidInput("Chọn hoặc nhập lớp dữ liệu.", "Choose or enter a layer.")
    return layer_id


def _encoding(fields: dict[str, str]) -> str:
    encoding = _text(fields, "encoding") or "auto"
    if encoding not in ENCODINGS:
        raise InvalidInput(
            f"Bảng mã «{encoding}» không hỗ trợ; chọn: {', '.join(ENCODINGS)}.",
            f"Unsupported encoding '{encoding}'; choose: {', '.join(ENCODINGS)}.",
        )
    return encoding


def _uploads_dir(request: Request) -> Path:
    settings: Settings = request.app.state.settings
    return settings.data_dir / "uploads"


def _settings_for(request: Request, folder: Path) -> Settings:
    """The settings with the upload folder among the allowed ones (when some are set)."""
    settings: Settings = request.app.state.settings
    if not settings.allowed_dirs:
        return settings
    return replace(settings, allowed_dirs=(*settings.allowed_dirs, folder.resolve()))


def _may_import(request: Request, who: Principal, layer_id: str) -> None:
    """An existing layer needs the right to edit it; a new (or core, not yet loaded) one,
    an admin's or an editor's account."""
    require_official(who)
    with db_of(request).read(snapshot=False) as conn:
        found = find_layer(conn, layer_id)
    if found is not None:
        _manageable(request, who, layer_id, "create")


# -- Answers ---------------------------------------------------------------------------------


def _access_json(access: str) -> dict[str, Any]:
    label = ACCESS_LABELS.get(access, {"vi": access, "en": access})
    return {"access": access, "access_label": label}


def _layer_json(layer: Layer, count: int, who: Principal) -> dict[str, Any]:
    return {
        "id": layer.id,
        "title_vi": layer.title_vi,
        "title_en": layer.title_en,
        **_access_json(layer.access),
        "feature_count": count,
        "geometry_type": layer.geometry_type,
        "core": layer.id in core_layer_ids(),
        "editable": can_read(who, layer) and can_edit(who, layer),
        "deleted_at": None if layer.deleted_at is None else layer.deleted_at.isoformat(),
    }


# -- Routes ----------------------------------------------------------------------------------


@router.post("/imports/preview")
async def import_preview(request: Request, who: CurrentPrincipal) -> dict[str, Any]:
    """Xem trước tệp trước khi nhập / what a file holds and how its columns would fill the
    layer's fields (multipart: ``file``, ``layer``, optional ``encoding``, ``source_layer``,
    ``column_map``). Nothing is written."""
    require_official(who)
    db = db_of(request)
    settings: Settings = request.app.state.settings
    async with receive_upload(
        request, _uploads_dir(request), limit=MAX_UPLOAD_BYTES, suffixes=UPLOAD_SUFFIXES
    ) as upload:
        fields = upload.fields
        layer_id = _layer_field(fields)
        encoding = _encoding(fields)
        column_map = _column_map(fields)
        path = _path(upload)

        def run() -> ImportPreview:
            with db.read(snapshot=False) as conn:
                found = find_layer(conn, layer_id, deleted=True)
                if found is not None:
                    require_read(who, found)  # an unreadable layer looks like a missing one
                return preview_file(
                    conn,
                    path,
                    layer_id,
                    max_unzip_bytes=settings.max_unzip_bytes,
                    encoding=encoding,
                    source_layer=_text(fields, "source_layer"),
                    column_map=column_map,
                )

        preview = await run_in_threadpool(run)
    return preview_json(preview)


def _path(upload: Upload) -> Path:
    assert upload.file is not None  # receive_upload refuses a form without a file
    return upload.file


@router.post("/imports")
async def import_upload(request: Request, who: CurrentPrincipal) -> dict[str, Any]:
    """Nhập tệp vào một lớp / import a file into a layer (multipart: ``file``, ``layer``,
    ``new_layer``, ``access``, ``title_vi``, ``title_en``, ``key``, ``crs``, ``force_crs``,
    ``encoding``, ``source_layer``, ``column_map`` as a JSON object). One transaction: the
    file lands whole or not at all."""
    require_official(who)
    async with receive_upload(
        request, _uploads_dir(request), limit=MAX_UPLOAD_BYTES, suffixes=UPLOAD_SUFFIXES
    ) as upload:
        fields = upload.fields
        opts = ImportOptions(
            layer_id=_layer_field(fields),
            crs=_text(fields, "crs"),
            encoding=_encoding(fields),
            key=_text(fields, "key"),
            access=_text(fields, "access"),
            title_vi=_text(fields, "title_vi"),
            title_en=_text(fields, "title_en"),
            source_layer=_text(fields, "source_layer"),
            user=who.actor,
            new_layer=_flag(fields, "new_layer"),
            force_crs=_flag(fields, "force_crs"),
            column_map=_column_map(fields),
        )
        path = _path(upload)
        await run_in_threadpool(_may_import, request, who, opts.layer_id)
        settings = _settings_for(request, path.parent)
        report = await run_in_threadpool(
            lambda: import_file(
                db_of(request),
                settings,
                path,
                opts,
                hooks=import_hooks(),
                audit=_audit_hook(request, who),
            )
        )
    return report_json(report)


@router.get("/managed-layers")
def managed_layers(request: Request, who: CurrentPrincipal) -> dict[str, Any]:
    """Các lớp tài khoản quản lý được / the layers the caller may manage: in use (with
    their feature counts) and deleted (restorable), access levels in words."""
    require_official(who)
    with db_of(request).read() as conn:
        counts = feature_counts(conn)
        active = list_layers(conn)
        deleted = list_layers(conn, deleted=True)
    loaded = {ly.id for ly in (*active, *deleted)}
    return {
        "layers": [
            _layer_json(ly, counts.get(ly.id, 0), who) for ly in active if can_read(who, ly)
        ],
        "deleted": [
            _layer_json(ly, 0, who) for ly in deleted if can_read(who, ly) and can_edit(who, ly)
        ],
        # Core layers not loaded yet: an import creates them.
        "core_available": [
            {"id": c.id, "title_vi": c.title_vi, "title_en": c.title_en}
            for c in (core_layer(lid) for lid in core_layer_ids())
            if c is not None and c.id not in loaded
        ],
        "access_levels": [{"access": a, "label": label} for a, label in ACCESS_LABELS.items()],
    }


def _one(request: Request, who: Principal, layer_id: str) -> dict[str, Any]:
    with db_of(request).read() as conn:
        found = find_layer(conn, layer_id, deleted=True)
        count = feature_counts(conn).get(layer_id, 0)
    if found is None:  # purged meanwhile
        raise NotFound(f"Không có lớp dữ liệu «{layer_id}».", f"No layer '{layer_id}'.")
    return _layer_json(found, count, who)


@router.patch("/layers/{layer_id}")
async def change_layer(request: Request, layer_id: str, who: CurrentPrincipal) -> dict[str, Any]:
    """Đổi tên hiển thị và/hoặc mức truy cập / retitle a layer and/or change its access
    level (JSON: ``title_vi``, ``title_en``, ``access``); the id stays."""
    doc = await json_body(request)
    if not isinstance(doc, dict):
        raise InvalidInput(
            "Thân yêu cầu phải là một đối tượng JSON.", "The body must be a JSON object."
        )
    unknown = sorted(set(doc) - {"title_vi", "title_en", "access"})
    if unknown or not doc:
        raise InvalidInput(
            "Gửi title_vi, title_en và/hoặc access.", "Send title_vi, title_en and/or access."
        )
    if not all(v is None or isinstance(v, str) for v in doc.values()):
        raise InvalidInput("Các giá trị phải là chuỗi.", "The values must be strings.")
    access = doc.get("access")
    action = layer_admin.LAYER_ACCESS if access else layer_admin.LAYER_RENAME

    def run() -> dict[str, Any]:
        _manageable(request, who, layer_id, action)
        if access is not None:
            check_access(access)  # before any change: all or nothing
        hook = _audit_hook(request, who)
        if doc.get("title_vi") is not None or doc.get("title_en") is not None:
            layer_admin.rename_layer(
                db_of(request),
                layer_id,
                title_vi=doc.get("title_vi"),
                title_en=doc.get("title_en"),
                audit=hook,
            )
        if access is not None:
            layer_admin.set_layer_access(db_of(request), layer_id, access, audit=hook)
        return _one(request, who, layer_id)

    return await run_in_threadpool(run)


@router.delete("/layers/{layer_id}")
def delete_layer(request: Request, layer_id: str, who: CurrentPrincipal) -> dict[str, Any]:
    """Xóa lớp (khôi phục được) / delete a layer, restorable; core layers are kept."""
    _manageable(request, who, layer_id, layer_admin.LAYER_DELETE)
    done = layer_admin.delete_layer(
        db_of(request), layer_id, who.actor, audit=_audit_hook(request, who)
    )
    return {"layer_id": layer_id, "removed": done.removed, "changeset_id": done.changeset_id}


@router.post("/layers/{layer_id}/restore")
def restore_layer(request: Request, layer_id: str, who: CurrentPrincipal) -> dict[str, Any]:
    """Khôi phục lớp đã xóa / bring a deleted layer back with its features."""
    _manageable(request, who, layer_id, layer_admin.LAYER_RESTORE)
    restored = layer_admin.restore_layer(
        db_of(request), layer_id, who.actor, audit=_audit_hook(request, who)
    )
    return {**_one(request, who, layer_id), "restored": restored}
