"""Vector tiles: grid maths, MVT content at several zooms, TileJSON, errors and HTTP caching."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import mapbox_vector_tile
import pytest
import shapely
from fastapi import FastAPI
from fastapi.testclient import TestClient
from prepared import dataset
from samples import ORIGIN, parcels, square, write_geojson
from shapely.geometry import LineString, Point, Polygon

from dothi.app.main import create_app
from dothi.app.tiles_routes import router
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.spatial.importer import ImportOptions, import_file
from dothi.tiles import grid, mvt

PREFIX = "/ogcapi"
MVT = "application/vnd.mapbox-vector-tile"
#: A polygon of about 5.5 km a side around Bến Thành: many z14 tiles.
BIG = shapely.box(ORIGIN[0] - 0.025, ORIGIN[1] - 0.025, ORIGIN[0] + 0.025, ORIGIN[1] + 0.025)
INSIDE = (ORIGIN[0] + 0.00025, ORIGIN[1] + 0.00025)  # the middle of square(0)


def _with_tiles(app: FastAPI) -> FastAPI:
    # The real app may already mount the router; mount it here only if it does not.
    if not any(getattr(r, "path", "").startswith(PREFIX + "/tiles") for r in app.routes):
        app.include_router(router, prefix=PREFIX)
    return app


def _import(db: Database, settings: Settings, path: Path, layer_id: str, **kw: Any) -> None:
    import_file(
        db,
        settings,
        path,
        ImportOptions(**{"layer_id": layer_id, "new_layer": True, "access": "public", **kw}),
    )


@dataset(shared=True)
def layers(db: Database, settings: Settings, tmp_path: Path) -> None:
    _import(db, settings, write_geojson(tmp_path / "t.geojson", parcels(30)), "thua", key="ma")
    points = [
        {"so": 100 + i, "ten": f"Trạm {i}", "cao": 1.5 * i, "mo": i % 2 == 0, "geometry": p}
        for i, p in enumerate([Point(*INSIDE), Point(ORIGIN[0] + 0.0103, ORIGIN[1] + 0.0004)])
    ]
    _import(db, settings, write_geojson(tmp_path / "d.geojson", points), "diem", key="so")
    line = LineString([(ORIGIN[0] - 0.001, ORIGIN[1] + 0.0002), (ORIGIN[0] + 0.003, ORIGIN[1])])
    road = [{"ma": "D1", "ten": "Đường Lê Lợi", "geometry": line}]
    _import(db, settings, write_geojson(tmp_path / "r.geojson", road), "duong", key="ma")
    big = [{"ma": "V1", "ten": "Vùng lớn", "geometry": BIG}]
    _import(db, settings, write_geojson(tmp_path / "v.geojson", big), "vung", key="ma")
    hidden = write_geojson(tmp_path / "h.geojson", parcels(3))
    _import(db, settings, hidden, "mat", key="ma", access="internal")


@pytest.fixture
def client(layers: None, db: Database, settings: Settings) -> TestClient:
    return TestClient(_with_tiles(create_app(settings, db)))


def _decode(data: bytes) -> dict[str, Any]:
    # y down: coordinates come back in tile units exactly as encoded.
    out: dict[str, Any] = mapbox_vector_tile.decode(data, default_options={"y_coord_down": True})
    return out


def _tile_url(t: grid.Tile, layer: str | None = "thua") -> str:
    if layer is None:
        return f"{PREFIX}/tiles/WebMercatorQuad/{t.z}/{t.x}/{t.y}"
    return f"{PREFIX}/collections/{layer}/tiles/WebMercatorQuad/{t.z}/{t.x}/{t.y}"


def _expected_units(geom: Polygon, t: grid.Tile) -> tuple[float, float, float, float]:
    minx, _, _, maxy = t.mercator_bounds()
    west, south, east, north = geom.bounds
    (x0, y0), (x1, y1) = grid.lonlat_to_mercator(west, north), grid.lonlat_to_mercator(east, south)
    k = mvt.EXTENT / t.size
    return ((x0 - minx) * k, (maxy - y0) * k, (x1 - minx) * k, (maxy - y1) * k)


def test_grid_bounds_and_lookup() -> None:
    world = grid.Tile(0, 0, 0)
    assert world.mercator_bounds() == pytest.approx(
        (-grid.ORIGIN, -grid.ORIGIN, grid.ORIGIN, grid.ORIGIN)
    )
    assert world.lonlat_bounds() == pytest.approx(
        (-180, -grid.MAX_LATITUDE, 180, grid.MAX_LATITUDE)
    )
    for z in (0, 10, 14, 17, 22):
        t = grid.tile_for_lonlat(*ORIGIN, z)
        west, south, east, north = t.lonlat_bounds()
        assert west <= ORIGIN[0] < east and south < ORIGIN[1] <= north
    t = grid.parse_tile("14", "13047", "7698")
    assert t == grid.Tile(14, 13047, 7698) and t.size == pytest.approx(2 * grid.ORIGIN / 2**14)
    west, south, east, north = t.lonlat_bounds()
    corners = grid.lonlat_to_mercator(west, south) + grid.lonlat_to_mercator(east, north)
    assert t.mercator_bounds() == pytest.approx(corners, abs=1e-6)
    boxes = [shapely.box(*t.lonlat_bounds()) for t in grid.tiles_for_bounds(BIG.bounds, 14)]
    assert len(boxes) > 4 and all(b.intersects(BIG) for b in boxes)
    assert shapely.union_all(boxes).contains(BIG)


@pytest.mark.parametrize(
    ("zxy", "status"),
    [
        ("a/0/0", 400),
        ("-1/0/0", 400),
        ("1.5/0/0", 400),
        ("3/x/0", 400),
        ("23/0/0", 404),
        ("3/8/0", 404),
        ("3/0/8", 404),
        ("0/1/0", 404),
    ],
)
def test_bad_tile_coordinates(client: TestClient, zxy: str, status: int) -> None:
    for url in (
        f"{PREFIX}/collections/thua/tiles/WebMercatorQuad/{zxy}",
        f"{PREFIX}/tiles/WebMercatorQuad/{zxy}",
    ):
        r = client.get(url)
        assert r.status_code == status, (url, r.text)
        body = r.json()
        assert body["code"] and body["description"] and body["description_vi"]
        assert body["description"] != body["description_vi"]


@pytest.mark.parametrize("z", [10, 14, 17])
def test_layer_tiles_at_each_zoom(client: TestClient, z: int) -> None:
    t = grid.tile_for_lonlat(*INSIDE, z)
    r = client.get(_tile_url(t))
    assert r.status_code == 200 and r.headers["content-type"] == MVT
    layers = _decode(r.content)
    assert list(layers) == ["thua"] and layers["thua"]["extent"] == mvt.EXTENT
    feats = {f["properties"]["fid"]: f for f in layers["thua"]["features"]}
    first = feats["P0000"]
    assert first["geometry"]["type"] == "Polygon"
    assert first["properties"]["ten"] == "Thửa số 0 Phường Bến Thành"
    assert first["properties"]["so_tang"] == 1 and first["properties"]["dien_tich"] == 100.5
    got = Polygon(first["geometry"]["coordinates"][0])
    assert got.bounds == pytest.approx(_expected_units(square(0), t), abs=1.01)
    # MVT exterior rings have a positive area in tile units (y down).
    assert shapely.Polygon(got.exterior.coords).exterior.is_ccw
    # Every square of the row reaching the buffered tile is there, and only those.
    box = shapely.box(*t.lonlat_bounds(mvt.BUFFER / mvt.EXTENT))
    assert set(feats) == {f"P{i:04d}" for i in range(30) if square(i).intersects(box)}
    for f in layers["thua"]["features"]:
        for x, y in f["geometry"]["coordinates"][0]:
            assert -mvt.BUFFER <= x <= mvt.EXTENT + mvt.BUFFER
            assert -mvt.BUFFER <= y <= mvt.EXTENT + mvt.BUFFER


@pytest.mark.parametrize("z", [10, 14, 17])
def test_points_and_lines_with_numeric_ids(client: TestClient, z: int) -> None:
    t = grid.tile_for_lonlat(*INSIDE, z)
    r = client.get(_tile_url(t, None), params={"collections": "diem,duong"})
    layers = _decode(r.content)
    assert list(layers) == ["diem", "duong"]
    point = next(f for f in layers["diem"]["features"] if f["id"] == 100)
    assert point["geometry"]["type"] == "Point" and "fid" not in point["properties"]
    assert point["properties"] == {"so": 100, "ten": "Trạm 0", "cao": 0.0, "mo": True}
    road = layers["duong"]["features"][0]
    assert road["geometry"]["type"] == "LineString" and road["properties"]["fid"] == "D1"


def test_polygon_spanning_tiles_is_clipped(client: TestClient) -> None:
    tiles = grid.tiles_for_bounds(BIG.bounds, 14)
    inner = shapely.box(0, 0, mvt.EXTENT, mvt.EXTENT)
    covered = 0.0
    for t in tiles:
        layers = _decode(client.get(_tile_url(t, "vung")).content)
        (f,) = layers["vung"]["features"]
        ring = f["geometry"]["coordinates"][0]
        xs, ys = [p[0] for p in ring], [p[1] for p in ring]
        assert min(xs) >= -mvt.BUFFER and max(xs) <= mvt.EXTENT + mvt.BUFFER
        assert min(ys) >= -mvt.BUFFER and max(ys) <= mvt.EXTENT + mvt.BUFFER
        covered += Polygon(ring).intersection(inner).area / mvt.EXTENT**2 * t.size**2
    middle = next(t for t in tiles if t == grid.tile_for_lonlat(*BIG.centroid.coords[0], 14))
    ring = _decode(client.get(_tile_url(middle, "vung")).content)["vung"]["features"][0]
    assert Polygon(ring["geometry"]["coordinates"][0]).area == (mvt.EXTENT + 2 * mvt.BUFFER) ** 2
    (x0, y0), (x1, y1) = (
        grid.lonlat_to_mercator(*BIG.bounds[:2]),
        grid.lonlat_to_mercator(*BIG.bounds[2:]),
    )
    assert covered == pytest.approx((x1 - x0) * (y1 - y0), rel=1e-3)


def test_empty_tile_is_204_with_cache_headers(client: TestClient) -> None:
    r = client.get(f"{PREFIX}/collections/thua/tiles/WebMercatorQuad/14/0/0")
    assert r.status_code == 204 and r.content == b""
    assert r.headers["etag"] and r.headers["cache-control"] == "public, max-age=60"


@pytest.mark.writes
def test_etag_304_and_new_tag_after_import(
    client: TestClient, db: Database, settings: Settings, tmp_path: Path
) -> None:
    url = _tile_url(grid.tile_for_lonlat(*INSIDE, 14))
    first = client.get(url)
    etag = first.headers["etag"]
    assert etag.startswith('"') and first.headers["cache-control"] == "public, max-age=60"
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.content == b"" and again.headers["etag"] == etag
    assert client.get(url, headers={"If-None-Match": f'"x", W/{etag}'}).status_code == 304
    tj = client.get(f"{PREFIX}/collections/thua/tiles/WebMercatorQuad")
    assert client.get(tj.url, headers={"If-None-Match": tj.headers["etag"]}).status_code == 304
    changed = parcels(30)
    changed[0]["ten"] = "Thửa số 0 đã đổi tên"
    _import(db, settings, write_geojson(tmp_path / "t2.geojson", changed), "thua", key="ma")
    after = client.get(url, headers={"If-None-Match": etag})
    assert after.status_code == 200 and after.headers["etag"] != etag
    names = {f["properties"]["ten"] for f in _decode(after.content)["thua"]["features"]}
    assert "Thửa số 0 đã đổi tên" in names
    assert client.get(tj.url, headers={"If-None-Match": tj.headers["etag"]}).status_code == 200
    # Another layer changing does not touch this layer's tags.
    _import(db, settings, write_geojson(tmp_path / "d2.geojson", parcels(2)), "khac", key="ma")
    assert client.get(url, headers={"If-None-Match": after.headers["etag"]}).status_code == 304


def test_internal_layers_are_invisible(client: TestClient) -> None:
    t = grid.tile_for_lonlat(*INSIDE, 14)
    assert client.get(_tile_url(t, "mat")).status_code == 404
    assert client.get(f"{PREFIX}/collections/mat/tiles/WebMercatorQuad").status_code == 404
    assert client.get(_tile_url(t, "khong_co")).json()["code"] == "NotFound"
    for ids in ("mat", "thua,mat"):
        r = client.get(_tile_url(t, None), params={"collections": ids})
        assert r.status_code == 404 and r.json()["description_vi"]
    assert client.get(_tile_url(t, None), params={"collections": "Bad Id"}).status_code == 400
    everything = _decode(client.get(_tile_url(t, None)).content)
    assert set(everything) == {"thua", "diem", "duong", "vung"}
    doc = client.get(f"{PREFIX}/tiles/WebMercatorQuad").json()
    assert {v["id"] for v in doc["vector_layers"]} == {"thua", "diem", "duong", "vung"}


def _check_tilejson(doc: dict[str, Any]) -> None:
    assert doc["tilejson"] == "3.0.0" and doc["scheme"] == "xyz"
    assert all("{z}/{x}/{y}" in u for u in doc["tiles"])
    assert 0 <= doc["minzoom"] <= doc["maxzoom"] <= grid.MAX_ZOOM
    west, south, east, north = doc["bounds"]
    lon, lat, zoom = doc["center"]
    assert west <= lon <= east and south <= lat <= north
    assert doc["minzoom"] <= zoom <= doc["maxzoom"]
    for v in doc["vector_layers"]:
        assert v["id"] and isinstance(v["fields"], dict)


def test_tilejson_for_a_layer_and_a_tileset(client: TestClient) -> None:
    doc = client.get(f"{PREFIX}/collections/thua/tiles/WebMercatorQuad").json()
    _check_tilejson(doc)
    base = f"http://testserver{PREFIX}/collections/thua/tiles/WebMercatorQuad"
    assert doc["tiles"] == [base + "/{z}/{x}/{y}"]
    west, south, east, north = doc["bounds"]
    assert west <= ORIGIN[0] and south <= ORIGIN[1]
    assert east == pytest.approx(square(29).bounds[2], abs=1e-6) and north > ORIGIN[1]
    (layer,) = doc["vector_layers"]
    assert layer["id"] == "thua" and layer["fields"]["ten"] == "String"
    assert layer["fields"]["dien_tich"] == "Number"
    multi = client.get(f"{PREFIX}/tiles/WebMercatorQuad", params={"collections": "diem,thua"})
    assert multi.headers["content-type"].startswith("application/json")
    doc = multi.json()
    _check_tilejson(doc)
    assert [v["id"] for v in doc["vector_layers"]] == ["diem", "thua"]
    template = doc["tiles"][0].replace("%2C", ",")
    assert template.endswith("/tiles/WebMercatorQuad/{z}/{x}/{y}?collections=diem,thua")
    t = grid.tile_for_lonlat(*INSIDE, 14)
    tile = client.get(template.format(z=t.z, x=t.x, y=t.y))
    assert set(_decode(tile.content)) == {"diem", "thua"}


def test_feature_cap_is_reported(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mvt, "MAX_FEATURES", 3)
    t = grid.tile_for_lonlat(*INSIDE, 10)
    r = client.get(_tile_url(t))
    assert r.headers["dothi-features-capped"] == "3"
    assert len(_decode(r.content)["thua"]["features"]) == 3


def test_shapes_that_vanish_are_counted() -> None:
    t = grid.tile_for_lonlat(*ORIGIN, 10)
    tiny = shapely.box(ORIGIN[0], ORIGIN[1], ORIGIN[0] + 1e-6, ORIGIN[1] + 1e-6)
    far = shapely.box(0, 0, 1, 1)
    shaped, lost = mvt.shape_for_tile(shapely.from_wkb([g.wkb for g in (tiny, square(0), far)]), t)
    assert lost == 1 and shaped[0].is_empty and not shaped[1].is_empty and shaped[2].is_empty
    mixed = shapely.GeometryCollection([square(0), Point(*ORIGIN)])
    (only,), _ = mvt.shape_for_tile(
        shapely.from_wkb([mixed.wkb]), grid.tile_for_lonlat(*ORIGIN, 17)
    )
    assert only.geom_type == "MultiPolygon"


def test_properties_and_ids_for_mvt() -> None:
    props = {"a": None, "b": {"x": [1, 2]}, "c": [1, "hai"], "d": 2**70, "e": True, "f": "Phố"}
    assert mvt.flat_properties(props) == {
        "b": '{"x":[1,2]}',
        "c": '[1,"hai"]',
        "d": str(2**70),
        "e": True,
        "f": "Phố",
    }
    assert [mvt.numeric_id(f) for f in ("12", "012", "P1", "-3", str(2**64), "٣")] == [
        12,
        None,
        None,
        None,
        None,
        None,
    ]


def test_database_and_python_render_the_same_tile(
    db: Database, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # PostGIS encodes tiles itself (ST_AsMVT); SQLite's are drawn in Python. Both must
    # carry the same features, ids and attributes.
    rows = [
        {"ma": "12", "ten": "Số", "sau": {"x": [1, 2]}, "rong": None, "geometry": square(0)},
        {"ma": "P1", "ten": "Chữ", "sau": [1, "hai"], "rong": 2.5, "geometry": square(1)},
        {"ma": "013", "ten": "Điểm", "sau": None, "rong": 3, "geometry": Point(*INSIDE)},
    ]
    _import(db, settings, write_geojson(tmp_path / "m.geojson", rows), "hon_hop", key="ma")
    t = grid.tile_for_lonlat(*INSIDE, 16)

    def render() -> dict[str, Any]:
        with db.read() as conn:
            tile = mvt.render_tile(db.port, conn, ["hon_hop"], t)
        assert tile.features == 3 and not tile.capped
        return {
            f["properties"].get("fid", f.get("id")): f
            for f in _decode(tile.data)["hon_hop"]["features"]
        }

    native = render()
    monkeypatch.setattr(type(db.port), "tile_layer", lambda *a: None)
    drawn = render()
    assert set(native) == set(drawn) == {12, "P1", "013"}
    for key, f in drawn.items():
        g = native[key]
        assert g.get("id") == f.get("id") and g["geometry"]["type"] == f["geometry"]["type"]
        plain = {k: v for k, v in f["properties"].items() if k != "sau"}
        assert {k: v for k, v in g["properties"].items() if k != "sau"} == plain
        # Nested values are JSON text on both (spacing may differ).
        if "sau" in f["properties"]:
            assert json.loads(g["properties"]["sau"]) == json.loads(f["properties"]["sau"])
        else:
            assert "sau" not in g["properties"]
        a = shapely.geometry.shape(g["geometry"])
        b = shapely.geometry.shape(f["geometry"])
        assert a.bounds == pytest.approx(b.bounds, abs=1.01)


@pytest.mark.writes
def test_tiles_as_of_a_time(
    client: TestClient, db: Database, settings: Settings, tmp_path: Path
) -> None:
    import time
    from datetime import UTC, datetime

    time.sleep(0.01)
    before = datetime.now(UTC).isoformat().replace("+00:00", "Z")
    time.sleep(0.01)
    rows = parcels(30)
    rows[0] = {**rows[0], "ten": "Tên mới"}
    _import(db, settings, write_geojson(tmp_path / "t2.geojson", rows), "thua", key="ma")
    t = grid.tile_for_lonlat(*INSIDE, 16)

    def name(extra: str) -> tuple[str, str]:
        r = client.get(_tile_url(t) + extra)
        assert r.status_code == 200, r.text
        feats = {f["properties"]["fid"]: f for f in _decode(r.content)["thua"]["features"]}
        return feats["P0000"]["properties"]["ten"], r.headers["etag"]

    now, tag_now = name("")
    then, tag_then = name(f"?datetime={before}")
    assert now == "Tên mới" and then == "Thửa số 0 Phường Bến Thành"
    assert tag_now != tag_then
    many = client.get(_tile_url(t, None) + f"?collections=thua&datetime={before}")
    assert many.status_code == 200
    assert "P0000" in {f["properties"]["fid"] for f in _decode(many.content)["thua"]["features"]}
    bad = client.get(_tile_url(t) + "?datetime=hôm-qua")
    assert bad.status_code == 400 and bad.json()["description_vi"]
