"""Layers (lớp dữ liệu): their metadata, property schemas and the core urban layers."""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from functools import cache
from importlib import resources
from typing import Any

from sqlalchemy import Connection, bindparam, func, select

from dothi.db.schema import feature, layer
from dothi.db.spatial.base import SpatialPort, as_utc
from dothi.errors import Conflict, InvalidInput, NotFound

ACCESS_LEVELS = ("public", "internal", "restricted")
GEOMETRY_TYPES = ("Point", "LineString", "Polygon", "Geometry")
_LAYER_ID = re.compile(r"^[a-z][a-z0-9_]{0,62}$")


@dataclass
class Layer:
    """A layer: what its features are, who may see them and where they came from."""

    id: str
    title_vi: str
    title_en: str
    geometry_type: str
    property_schema: dict[str, Any]
    key_property: str | None = None
    source_crs: str | None = None
    access: str = "public"
    license: str = ""
    attribution: str = ""
    source: str = ""
    description_vi: str = ""
    description_en: str = ""
    created_by: str = "system"
    created_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    updated_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    #: Set on a deleted layer (see :mod:`dothi.spatial.layer_admin`).
    deleted_at: datetime | None = None
    deleted_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready description of the layer."""
        d = asdict(self)
        d["created_at"] = self.created_at.isoformat()
        d["updated_at"] = self.updated_at.isoformat()
        d["deleted_at"] = None if self.deleted_at is None else self.deleted_at.isoformat()
        return d


def check_layer_id(layer_id: str) -> str:
    """Return ``layer_id`` if it is a valid id (lower-case letters, digits, ``_``)."""
    if not _LAYER_ID.match(layer_id or ""):
        raise InvalidInput(
            f"Mã lớp «{layer_id}» không hợp lệ: dùng chữ thường không dấu, số và dấu _, "
            "bắt đầu bằng chữ, tối đa 63 ký tự (ví dụ: thua_dat_2026).",
            f"Invalid layer id '{layer_id}': use lower-case ASCII letters, digits and _, "
            "starting with a letter, at most 63 characters (e.g. land_parcel_2026).",
        )
    return layer_id


def check_access(access: str) -> str:
    """Return ``access`` if it is one of the access levels."""
    if access not in ACCESS_LEVELS:
        raise InvalidInput(
            f"Mức truy cập «{access}» không hợp lệ; chọn một trong: {', '.join(ACCESS_LEVELS)}.",
            f"Invalid access level '{access}'; choose one of: {', '.join(ACCESS_LEVELS)}.",
        )
    return access


@cache
def core_layer_ids() -> tuple[str, ...]:
    """Ids of the core urban layers whose schemas ship with Dothi."""
    folder = resources.files("dothi.spatial") / "schemas"
    names = [p.name for p in folder.iterdir() if p.name.endswith(".json")]
    ids = sorted(n[: -len(".json")] for n in names)
    return tuple(i for i in ids if _LAYER_ID.match(i) and i != "land_use_codes")


@cache
def _core_definition(layer_id: str) -> dict[str, Any] | None:
    if layer_id not in core_layer_ids():
        return None
    path = resources.files("dothi.spatial") / "schemas" / f"{layer_id}.json"
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def core_layer(layer_id: str) -> Layer | None:
    """A fresh :class:`Layer` for a core layer id, or None if the id is not a core layer."""
    d = _core_definition(layer_id)
    if d is None:
        return None
    return Layer(
        id=layer_id,
        title_vi=d["title"]["vi"],
        title_en=d["title"]["en"],
        description_vi=d.get("description", {}).get("vi", ""),
        description_en=d.get("description", {}).get("en", ""),
        geometry_type=d["geometry_type"],
        property_schema=d["schema"],
        key_property=d.get("key"),
        access=d.get("access", "public"),
    )


def _from_row(r: Any) -> Layer:
    return Layer(
        id=r.id,
        title_vi=r.title_vi,
        title_en=r.title_en,
        description_vi=r.description_vi,
        description_en=r.description_en,
        geometry_type=r.geometry_type,
        property_schema=r.property_schema,
        key_property=r.key_property,
        source_crs=r.source_crs,
        access=r.access,
        license=r.license,
        attribution=r.attribution,
        source=r.source,
        created_by=r.created_by,
        created_at=as_utc(r.created_at),
        updated_at=as_utc(r.updated_at),
        deleted_at=None if r.deleted_at is None else as_utc(r.deleted_at),
        deleted_by=r.deleted_by,
    )


#: Built once: every request reads its layer, and building a statement costs more than it.
_LAYER_BY_ID = select(layer).where(layer.c.id == bindparam("id"))


def find_layer(conn: Connection, layer_id: str, *, deleted: bool = False) -> Layer | None:
    """The layer with this id, or None; a deleted layer only when ``deleted`` is set."""
    r = conn.execute(_LAYER_BY_ID, {"id": layer_id}).first()
    if r is None or (r.deleted_at is not None and not deleted):
        return None
    return _from_row(r)


_ACCESS_BY_ID = select(layer.c.id, layer.c.access).where(
    layer.c.id.in_(bindparam("ids", expanding=True)), layer.c.deleted_at.is_(None)
)


def layer_access(conn: Connection, layer_ids: Sequence[str]) -> dict[str, str]:
    """The access level of each layer among ``layer_ids`` that exists (one query)."""
    return {r.id: r.access for r in conn.execute(_ACCESS_BY_ID, {"ids": list(layer_ids)})}


def get_layer(conn: Connection, layer_id: str) -> Layer:
    """The layer with this id; :class:`NotFound` if there is none."""
    found = find_layer(conn, layer_id)
    if found is None:
        raise NotFound(
            f"Không có lớp dữ liệu «{layer_id}». Xem danh sách bằng: dothi layers list",
            f"No layer '{layer_id}'. List the layers with: dothi layers list",
        )
    return found


def list_layers(conn: Connection, *, deleted: bool = False) -> list[Layer]:
    """All layers, by id: those in use, or (``deleted``) the deleted ones."""
    gone = layer.c.deleted_at.is_not(None) if deleted else layer.c.deleted_at.is_(None)
    return [_from_row(r) for r in conn.execute(select(layer).where(gone).order_by(layer.c.id))]


def feature_counts(conn: Connection) -> dict[str, int]:
    """Number of current features per layer id."""
    stmt = (
        select(feature.c.layer_id, func.count())
        .where(feature.c.valid_to.is_(None))
        .group_by(feature.c.layer_id)
    )
    return {lid: int(n) for lid, n in conn.execute(stmt)}


def create_layer(conn: Connection, new: Layer, port: SpatialPort, *, storage: bool = True) -> Layer:
    """Store a new layer; :class:`Conflict` if the id is taken.

    ``storage=False`` leaves the layer's feature storage to the caller, which must then
    fill it with ``port.bulk_insert(..., new_storage=True)`` in the same transaction.
    """
    check_layer_id(new.id)
    check_access(new.access)
    if new.geometry_type not in GEOMETRY_TYPES:
        raise InvalidInput(
            f"Kiểu hình học «{new.geometry_type}» không hợp lệ ({', '.join(GEOMETRY_TYPES)}).",
            f"Invalid geometry type '{new.geometry_type}' ({', '.join(GEOMETRY_TYPES)}).",
        )
    if find_layer(conn, new.id, deleted=True) is not None:
        raise Conflict(f"Lớp «{new.id}» đã tồn tại.", f"Layer '{new.id}' already exists.")
    values = new.to_dict()
    values["created_at"] = new.created_at
    values["updated_at"] = new.updated_at
    conn.execute(layer.insert().values(**values))
    if storage:
        port.create_layer_storage(conn, new.id)
    return new


def update_layer(conn: Connection, layer_id: str, **changes: Any) -> None:
    """Change stored metadata of a layer (titles, access, source CRS, provenance...)."""
    if "access" in changes:
        check_access(changes["access"])
    changes["updated_at"] = datetime.now(UTC)
    conn.execute(layer.update().where(layer.c.id == layer_id).values(**changes))
