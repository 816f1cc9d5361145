"""Every route that can read a restricted layer writes one ``read_restricted`` audit entry
per read, and none for a caller who is refused or a layer that is not restricted."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prepared import dataset
from samples import ORIGIN, write_geojson
from shapely.geometry import box, mapping

from dothi.app.main import create_app
from dothi.auth.accounts import create_account, get_account, grant
from dothi.auth.audit import list_audit
from dothi.auth.tokens import create_token
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.spatial.importer import ImportOptions, import_file
from dothi.tiles.grid import tile_for_lonlat

X0, Y0 = ORIGIN
PARCEL = "26734-12-45"
TILE = tile_for_lonlat(X0 + 0.0002, Y0 + 0.0002, 16)
XYZ = f"{TILE.z}/{TILE.x}/{TILE.y}"

#: (method, path, body): every route that reads the restricted parcels layer.
ROUTES: list[tuple[str, str, Any]] = [
    ("GET", "/ogcapi/collections/land_parcel", None),
    ("GET", "/ogcapi/collections/land_parcel/queryables", None),
    ("GET", "/ogcapi/collections/land_parcel/items", None),
    ("GET", "/ogcapi/collections/land_parcel/items?f=html", None),
    ("GET", f"/ogcapi/collections/land_parcel/items/{PARCEL}", None),
    ("GET", f"/ogcapi/collections/land_parcel/tiles/WebMercatorQuad/{XYZ}", None),
    ("GET", "/ogcapi/collections/land_parcel/tiles/WebMercatorQuad", None),
    ("GET", f"/ogcapi/tiles/WebMercatorQuad/{XYZ}?collections=land_parcel", None),
    ("GET", "/ogcapi/tiles/WebMercatorQuad?collections=land_parcel,planning_zone", None),
    ("GET", "/api/layers/land_parcel", None),
    ("GET", "/api/layers/land_parcel/features", None),
    ("GET", f"/api/layers/land_parcel/features/{PARCEL}", None),
    ("GET", "/api/layers/land_parcel/history", None),
    ("GET", f"/planning/lookup?lon={X0 + 0.0002}&lat={Y0 + 0.0002}", None),
    ("GET", "/planning/lookup?commune=26734&sheet_no=12&parcel_no=45", None),
    ("GET", "/planning/lookup?q=123 Lê Lợi", None),
    ("GET", "/planning/sheet?commune=26734&sheet_no=12&parcel_no=45", None),
    ("GET", "/planning/search?q=le loi", None),
    (
        "POST",
        "/planning/compliance",
        {
            "parcel": {"commune": "26734", "sheet_no": "12", "parcel_no": "45"},
            "building": {
                "floors": 3,
                "footprint": mapping(box(X0, Y0, X0 + 0.0001, Y0 + 0.0001)),
            },
        },
    ),
]


@dataset
def restricted_parcels(db: Database, settings: Settings, tmp_path: Path) -> dict[str, str]:
    """A restricted parcels layer under a public zones layer; a viewer granted the parcels,
    a viewer without the grant."""
    parcel = {
        "parcel_uid": PARCEL,
        "commune_code": "26734",
        "sheet_no": 12,
        "parcel_no": 45,
        "address": "123 Lê Lợi, phường Bến Thành",
        "land_use_code": "ODT",
        "area_m2": 1900.0,
        "geometry": box(X0, Y0, X0 + 0.0004, Y0 + 0.0004),
    }
    zone = {
        "zone_uid": "A",
        "zone_code": "I-1",
        "land_use_function": "residential",
        "max_floors": 5,
        "max_far": 4.0,
        "max_coverage_pct": 80,
        "plan_decision_no": "1234/QĐ-UBND",
        "plan_decision_date": "2024-05-20",
        "plan_level": "zoning",
        "illustrative": True,
        "geometry": box(X0 - 0.001, Y0 - 0.001, X0 + 0.001, Y0 + 0.001),
    }
    for layer, key, row, access in (
        ("land_parcel", "parcel_uid", parcel, "restricted"),
        ("planning_zone", "zone_uid", zone, "public"),
    ):
        path = write_geojson(tmp_path / f"{layer}.geojson", [row])
        import_file(
            db,
            settings,
            path,
            ImportOptions(layer_id=layer, new_layer=True, key=key, access=access),
        )
    with db.write() as conn:
        create_account(conn, "dia_chinh", "viewer")
        grant(conn, "dia_chinh", "land_parcel")
        create_account(conn, "khach", "viewer")
        return {
            "granted": create_token(conn, "dia_chinh", "kiểm thử")[0],
            "other": create_token(conn, "khach", "kiểm thử")[0],
        }


@pytest.fixture
def client(restricted_parcels: dict[str, str], db: Database, settings: Settings) -> TestClient:
    return TestClient(create_app(settings, db))


def _reads(db: Database) -> list[tuple[int | None, str | None]]:
    with db.read() as conn:
        found = list_audit(conn, action="read_restricted", limit=1000)
    return [(e.account_id, e.layer_id) for e in found]


def _call(client: TestClient, method: str, path: str, body: Any, token: str | None) -> int:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return client.request(method, path, json=body, headers=headers).status_code


def test_every_route_that_reads_a_restricted_layer_logs_one_entry(
    client: TestClient, restricted_parcels: dict[str, str], db: Database
) -> None:
    with db.read() as conn:
        viewer = get_account(conn, "dia_chinh").id
    for method, path, body in ROUTES:
        before = _reads(db)
        status = _call(client, method, path, body, restricted_parcels["granted"])
        assert status in (200, 204), (path, status)
        added = _reads(db)[: len(_reads(db)) - len(before)]
        assert added == [(viewer, "land_parcel")], path


def test_refused_and_public_reads_log_nothing(
    client: TestClient, restricted_parcels: dict[str, str], db: Database
) -> None:
    for token in (None, restricted_parcels["other"]):
        for method, path, body in ROUTES:
            _call(client, method, path, body, token)
    assert _call(client, "GET", "/ogcapi/collections/planning_zone/items", None, None) == 200
    assert _call(client, "GET", "/ogcapi/collections/land_parcel/items", None, None) == 404
    assert _reads(db) == []
