"""The JSON API served by ``dothi serve``, through an in-process HTTP client."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prepared import dataset
from samples import ORIGIN, parcels, write_geojson
from sqlalchemy import event

from dothi.app.main import create_app
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.spatial.importer import ImportOptions, import_file


@dataset(shared=True)
def layers(db: Database, settings: Settings, tmp_path: Path) -> None:
    public = write_geojson(tmp_path / "p.geojson", parcels(30))
    import_file(
        db,
        settings,
        public,
        ImportOptions(layer_id="thua", new_layer=True, access="public", key="ma", title_vi="Thửa"),
    )
    hidden = write_geojson(tmp_path / "h.geojson", parcels(3))
    import_file(
        db,
        settings,
        hidden,
        ImportOptions(layer_id="mat", new_layer=True, key="ma", access="internal"),
    )


@pytest.fixture
def client(layers: None, db: Database, settings: Settings) -> TestClient:
    return TestClient(create_app(settings, db))


def test_layers_list_only_public(client: TestClient) -> None:
    body = client.get("/api/layers").json()
    assert [ly["id"] for ly in body["layers"]] == ["thua"]
    assert body["layers"][0]["feature_count"] == 30
    assert "created_by" not in body["layers"][0]
    assert client.get("/api/layers/mat").status_code == 404
    assert client.get("/api/layers/mat/features").status_code == 404
    assert "Thửa" in client.get("/map").text


def test_features_paging_bbox_and_one_feature(client: TestClient) -> None:
    page = client.get("/api/layers/thua/features", params={"limit": 20}).json()
    assert page["type"] == "FeatureCollection" and page["numberReturned"] == 20
    nxt = next(link["href"] for link in page["links"] if link["rel"] == "next")
    rest = client.get(nxt).json()
    assert rest["numberReturned"] == 10 and rest["links"] == []
    seen = {f["id"] for f in page["features"]} | {f["id"] for f in rest["features"]}
    assert len(seen) == 30
    x, y = ORIGIN
    box = client.get(
        "/api/layers/thua/features", params={"bbox": f"{x - 0.0001},{y - 0.0001},{x + 0.0002},{y}"}
    ).json()
    assert [f["id"] for f in box["features"]] == ["P0000"]
    one = client.get("/api/layers/thua/features/P0004").json()
    assert one["properties"]["ten"] == "Thửa số 4 Phường Bến Thành"
    assert one["geometry"]["type"] == "Polygon"
    past = client.get("/api/layers/thua/features/P0004", params={"datetime": "2001-01-01"})
    assert past.status_code == 404
    changes = client.get("/api/layers/thua/history").json()["changes"]
    assert len(changes) == 1 and "created_by" not in changes[0]


@pytest.mark.parametrize(
    "params",
    [
        {"bbox": "1,2,3"},
        {"bbox": "a,b,c,d"},
        {"bbox": "10,10,5,5"},
        {"bbox": "0,-95,1,1"},
        {"limit": "0"},
        {"limit": "100000"},
        {"limit": "abc"},
        {"offset": "-1"},
        {"offset": str(2**70)},
        {"datetime": "yesterday"},
    ],
)
def test_bad_parameters_are_400_with_a_message(client: TestClient, params: dict) -> None:
    r = client.get("/api/layers/thua/features", params=params)
    assert r.status_code == 400, r.text
    body = r.json()
    assert body["code"] and body["description"] and body["description_vi"]


def test_unknown_things_are_404(client: TestClient) -> None:
    assert client.get("/api/layers/none").json()["code"] == "NotFound"
    assert client.get("/api/layers/thua/features/none").status_code == 404
    assert client.get("/no/such/page").status_code == 404
    assert client.get("/api/health").json()["status"] == "ok"


def test_health_reads_no_features(client: TestClient, db: Database) -> None:
    statements: list[str] = []

    def seen(_conn: object, _cursor: object, sql: str, *_args: object) -> None:
        statements.append(sql)

    event.listen(db.engine, "before_cursor_execute", seen)
    try:
        body = client.get("/api/health").json()
    finally:
        event.remove(db.engine, "before_cursor_execute", seen)
    assert body == {"status": "ok", "backend": db.backend, "public_layers": 1}
    assert statements and not [s for s in statements if "feature" in s.lower()]
