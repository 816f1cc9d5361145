"""OGC API – Features Parts 1 and 2 at /ogcapi, checked against the OGC schemas."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import shapely
from fastapi.testclient import TestClient
from ogc_schemas import validate
from prepared import dataset
from samples import ORIGIN, parcels, write_geojson
from shapely.geometry import shape

from dothi.app.main import create_app
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.geo.crs import resolve_crs
from dothi.geo.transform import transformer
from dothi.spatial.importer import ImportOptions, import_file

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
ITEMS = "/ogcapi/collections/thua/items"
EPSG = "http://www.opengis.net/def/crs/EPSG/0/"


@dataset(shared=True)
def layers(db: Database, settings: Settings, tmp_path: Path) -> None:
    rows = parcels(25)
    import_file(
        db,
        settings,
        write_geojson(tmp_path / "p.geojson", rows),
        ImportOptions(
            layer_id="thua",
            new_layer=True,
            access="public",
            key="ma",
            title_vi="Thửa",
            title_en="Parcels",
        ),
    )
    hidden = write_geojson(tmp_path / "h.geojson", parcels(2))
    import_file(
        db,
        settings,
        hidden,
        ImportOptions(layer_id="mat", new_layer=True, key="ma", access="internal"),
    )


@pytest.fixture
def client(layers: None, db: Database, settings: Settings) -> TestClient:
    return TestClient(create_app(settings, db))


def test_landing_conformance_collections(client: TestClient) -> None:
    landing = client.get("/ogcapi").json()
    validate(landing, "landingPage.yaml")
    rels = {link["rel"] for link in landing["links"]}
    assert {"self", "service-desc", "conformance", "data"} <= rels
    conf = client.get("/ogcapi/conformance").json()
    validate(conf, "confClasses.yaml")
    assert "http://www.opengis.net/spec/ogcapi-features-2/1.0/conf/crs" in conf["conformsTo"]
    cols = client.get("/ogcapi/collections").json()
    validate(cols, "collections.yaml")
    assert [c["id"] for c in cols["collections"]] == ["thua"]
    one = client.get("/ogcapi/collections/thua").json()
    validate(one, "collection.yaml")
    assert one["storageCrs"] == CRS84 and f"{EPSG}9210" in one["crs"]
    minx, miny, _, _ = one["extent"]["spatial"]["bbox"][0]
    assert minx == pytest.approx(ORIGIN[0]) and miny == pytest.approx(ORIGIN[1])
    assert client.get("/ogcapi/collections/mat").status_code == 404
    assert "Thửa" in client.get("/ogcapi/collections?f=html").text
    html = client.get("/ogcapi/collections/thua/items", headers={"Accept": "text/html"})
    assert html.headers["content-type"].startswith("text/html") and "P0003" in html.text


def test_items_paging_and_schema(client: TestClient) -> None:
    page = client.get("/ogcapi/collections/thua/items", params={"limit": 10})
    assert page.headers["content-type"] == "application/geo+json"
    assert page.headers["content-crs"] == f"<{CRS84}>"
    doc = page.json()
    validate(doc, "featureCollectionGeoJSON.yaml")
    assert (doc["numberMatched"], doc["numberReturned"]) == (25, 10)
    seen = [f["id"] for f in doc["features"]]
    url = next(link["href"] for link in doc["links"] if link["rel"] == "next")
    while url:
        doc = client.get(url).json()
        seen += [f["id"] for f in doc["features"]]
        url = next((link["href"] for link in doc["links"] if link["rel"] == "next"), None)
    assert sorted(seen) == [f"P{i:04d}" for i in range(25)]
    one = client.get("/ogcapi/collections/thua/items/P0004")
    validate(one.json(), "featureGeoJSON.yaml")
    assert one.json()["properties"]["ten"] == "Thửa số 4 Phường Bến Thành"
    again = client.get(
        "/ogcapi/collections/thua/items/P0004", headers={"If-None-Match": one.headers["etag"]}
    )
    assert again.status_code == 304


def test_bbox_property_and_datetime(client: TestClient) -> None:
    x, y = ORIGIN
    doc = client.get(
        "/ogcapi/collections/thua/items",
        params={"bbox": f"{x - 0.0001},{y - 0.0001},{x + 0.0002},{y}"},
    ).json()
    assert [f["id"] for f in doc["features"]] == ["P0000"]
    floors = client.get("/ogcapi/collections/thua/items", params={"so_tang": "3"}).json()
    assert sorted(f["id"] for f in floors["features"]) == [
        "P0002",
        "P0007",
        "P0012",
        "P0017",
        "P0022",
    ]
    past = client.get("/ogcapi/collections/thua/items", params={"datetime": "2001-01-01T00:00:00Z"})
    assert past.json()["numberMatched"] == 0


def test_crs_by_reference(client: TestClient) -> None:
    plain = client.get("/ogcapi/collections/thua/items/P0001").json()
    lonlat = shape(plain["geometry"])
    latlon = client.get("/ogcapi/collections/thua/items/P0001", params={"crs": f"{EPSG}4326"})
    assert latlon.headers["content-crs"] == f"<{EPSG}4326>"
    swapped = shape(latlon.json()["geometry"])
    assert shapely.equals_exact(swapped, shapely.transform(lonlat, lambda c: c[:, ::-1]), 1e-12)
    tm3 = client.get("/ogcapi/collections/thua/items/P0001", params={"crs": f"{EPSG}9210"})
    projected = shape(tm3.json()["geometry"])
    t = transformer(resolve_crs("EPSG:4326"), resolve_crs("EPSG:9210"))
    expected = shapely.transform(lonlat, lambda c: np.column_stack(t.transform(c[:, 0], c[:, 1])))
    assert shapely.equals_exact(projected, expected, 1e-3)
    # The same box in lat/lon order (EPSG:4326) and in TM-3 metres finds the same feature.
    minx, miny, maxx, maxy = lonlat.bounds
    by_latlon = client.get(
        "/ogcapi/collections/thua/items",
        params={"bbox": f"{miny},{minx},{maxy},{maxx}", "bbox-crs": f"{EPSG}4326"},
    ).json()
    ex, ey, fx, fy = projected.bounds
    by_tm3 = client.get(
        "/ogcapi/collections/thua/items",
        params={"bbox": f"{ex + 1},{ey + 1},{fx - 1},{fy - 1}", "bbox-crs": f"{EPSG}9210"},
    ).json()
    assert "P0001" in {f["id"] for f in by_latlon["features"]}
    assert [f["id"] for f in by_tm3["features"]] == ["P0001"]


@pytest.mark.parametrize(
    "params",
    [
        {"bbox": "1,2,3"},
        {"bbox": "10,10,5,5"},
        {"limit": "0"},
        {"limit": "x"},
        {"offset": "-1"},
        {"offset": str(2**70)},
        {"crs": "EPSG:99999"},
        {"bbox-crs": "http://www.opengis.net/def/crs/EPSG/0/2000"},
        {"bbox": "-1e308,-1e308,1e308,1e308", "bbox-crs": f"{EPSG}9205"},
        {"bbox": "10,100,11,200", "bbox-crs": f"{EPSG}4326"},
        {"datetime": "2020-01-01/2021-01-01"},
        {"datetime": "hôm qua"},
        {"no_such_param": "1"},
        {"so_tang": "ba"},
        {"f": "xml"},
    ],
)
def test_bad_requests_are_400_exceptions(client: TestClient, params: dict[str, str]) -> None:
    r = client.get("/ogcapi/collections/thua/items", params=params)
    assert r.status_code == 400, r.text
    validate(r.json(), "exception.yaml")
    assert r.json()["description"] and r.json()["description_vi"]


def test_openapi_document_lists_collections(client: TestClient) -> None:
    doc = client.get("/ogcapi/api")
    assert doc.headers["content-type"].startswith("application/vnd.oai.openapi+json")
    api = doc.json()
    assert api["openapi"].startswith("3.0")
    enum = api["paths"]["/collections/{collectionId}/items"]["get"]["parameters"][0]["schema"]
    assert enum["enum"] == ["thua"]


def test_cql2_filters_and_queryables(client: TestClient) -> None:
    q = client.get("/ogcapi/collections/thua/queryables")
    assert q.headers["content-type"].startswith("application/schema+json")
    assert q.json()["properties"]["so_tang"]["type"] in ("integer", ["integer", "null"])
    text = client.get(ITEMS, params={"filter": "so_tang >= 4 AND ten LIKE '%số 1%'"}).json()
    assert sorted(f["id"] for f in text["features"]) == ["P0013", "P0014", "P0018", "P0019"]
    as_json = client.get(
        ITEMS,
        params={
            "filter": '{"op": "and", "args": [{"op": ">=", "args": [{"property": "so_tang"}, 4]},'
            ' {"op": "like", "args": [{"property": "ten"}, "%số 1%"]}]}',
            "filter-lang": "cql2-json",
        },
    ).json()
    assert sorted(f["id"] for f in as_json["features"]) == ["P0013", "P0014", "P0018", "P0019"]
    x, y = ORIGIN
    near = client.get(
        ITEMS, params={"filter": f"S_INTERSECTS(geometry, POINT({x + 0.0002} {y + 0.0002}))"}
    ).json()
    assert [f["id"] for f in near["features"]] == ["P0000"]
    latlon = client.get(
        ITEMS,
        params={
            "filter": f"S_INTERSECTS(geometry, POINT({y + 0.0002} {x + 0.0002}))",
            "filter-crs": f"{EPSG}4326",
        },
    ).json()
    assert [f["id"] for f in latlon["features"]] == ["P0000"]
    for bad in ("so_tang >", "khong_co = 1", "ten = 5 AND", "S_FOO(geometry, POINT(1 2))"):
        r = client.get(ITEMS, params={"filter": bad})
        assert r.status_code == 400, bad
    assert client.get(ITEMS, params={"filter-lang": "cql2-text"}).status_code == 400


def test_requests_as_qgis_sends_them(client: TestClient) -> None:
    # QGIS's OAPIF provider: landing and API document, collections, queryables, then items
    # pages with limit and bbox (and bbox-crs in the project CRS), f=json and geo+json.
    json_hdr = {"Accept": "application/json"}
    assert client.get("/ogcapi/", headers=json_hdr).json()["links"]
    api = client.get(
        "/ogcapi/api", headers={"Accept": "application/vnd.oai.openapi+json;version=3.0"}
    )
    assert api.status_code == 200
    assert client.get("/ogcapi/collections?f=json", headers=json_hdr).status_code == 200
    assert client.get("/ogcapi/collections/thua/queryables", headers=json_hdr).status_code == 200
    geo = {"Accept": "application/geo+json, application/json;q=0.8"}
    first = client.get(f"{ITEMS}?f=json&limit=1000", headers=geo)
    assert first.headers["content-type"] == "application/geo+json"
    assert first.json()["numberReturned"] == 25
    x, y = ORIGIN
    box = f"{y - 0.001},{x - 0.001},{y + 0.0006},{x + 0.0006}"
    in_box = client.get(f"{ITEMS}?f=json&limit=1000&bbox={box}&bbox-crs={EPSG}4326", headers=geo)
    assert [f["id"] for f in in_box.json()["features"]] == ["P0000"]


def test_feature_ids_with_slashes(db: Database, settings: Settings, tmp_path: Path) -> None:
    rows = [{"osm": "relation/11084167", "geometry": parcels(1)[0]["geometry"]}]
    import_file(
        db,
        settings,
        write_geojson(tmp_path / "osm.geojson", rows),
        ImportOptions(layer_id="osm", new_layer=True, access="public", key="osm"),
    )
    client = TestClient(create_app(settings, db))
    one = client.get("/ogcapi/collections/osm/items/relation%2F11084167")
    assert one.status_code == 200 and one.json()["id"] == "relation/11084167"
    assert client.get("/ogcapi/collections/osm/items/relation/11084167").status_code == 200
