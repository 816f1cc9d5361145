"""Planning lookup: by point, by VN-2000 certificate coordinates, by parcel; multi-zone
parcels, constraints and the buildable envelope, against values computed by hand."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pyproj
import pytest
import shapely.geometry
from fastapi.testclient import TestClient
from live import run_dothi
from prepared import dataset
from samples import write_geojson
from shapely.geometry import Polygon

from dothi.app.main import create_app
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.geo import crs as crsmod
from dothi.geo.transform import transformer
from dothi.spatial.importer import ImportOptions, import_file

# Everything is drawn in metres in VN-2000 / TM-3 of TP HCM (EPSG:9210), near Bến Thành.
E0, N0 = 603_700.0, 1_191_900.0
TM3 = crsmod.resolve_crs("vn2000-tm3:ho-chi-minh")


def _lonlat(e: float, n: float) -> tuple[float, float]:
    lon, lat = transformer(TM3, pyproj.CRS.from_epsg(4326)).transform(e, n)
    return float(lon), float(lat)


def _m(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    """A rectangle given in metres from (E0, N0), in WGS 84."""
    t = transformer(TM3, pyproj.CRS.from_epsg(4326))
    ring = [(E0 + x0, N0 + y0), (E0 + x1, N0 + y0), (E0 + x1, N0 + y1), (E0 + x0, N0 + y1)]
    return Polygon([t.transform(e, n) for e, n in ring])


ZONE = {
    "plan_name": "Quy hoạch phân khu 1/2000 khu trung tâm (minh họa)",
    "plan_decision_no": "1234/QĐ-UBND",
    "plan_decision_date": "2024-05-20",
    "plan_level": "zoning",
    "illustrative": True,
}


@dataset(shared=True)
def city_layers(db: Database, settings: Settings, tmp_path: Path) -> None:
    def load(layer: str, key: str, rows: list[dict[str, Any]]) -> None:
        path = write_geojson(tmp_path / f"{layer}.geojson", rows)
        import_file(db, settings, path, ImportOptions(layer_id=layer, key=key))

    load(
        "admin_commune",
        "code",
        [
            {
                "code": "26734",
                "name": "Bến Thành",
                "province_code": "79",
                "unit_type": "ward",
                "geometry": _m(-500, -500, 500, 500),
            }
        ],
    )
    # Parcel 20 m × 30 m = 600 m²; zones split it at x = 5 m: 150 m² in A, 450 m² in B.
    load(
        "land_parcel",
        "parcel_uid",
        [
            {
                "parcel_uid": "26734-12-45",
                "sheet_no": 12,
                "parcel_no": 45,
                "commune_code": "26734",
                "land_use_code": "ODT",
                "area_m2": 600.0,
                "address": "123 Lê Lợi, phường Bến Thành",
                "geometry": _m(0, 0, 20, 30),
            },
            {
                "parcel_uid": "26734-12-46",
                "sheet_no": 12,
                "parcel_no": 46,
                "commune_code": "26734",
                "land_use_code": "ODT",
                "area_m2": 200.0,
                "address": "45 LÊ LỢI, Phường Bến Thành",
                "geometry": _m(200, 200, 210, 220),
            },
        ],
    )
    load(
        "planning_zone",
        "zone_uid",
        [
            {
                "zone_uid": "A",
                "zone_code": "I-1",
                "land_use_function": "residential",
                "max_coverage_pct": 80,
                "max_floors": 5,
                "max_far": 4.0,
                **ZONE,
                "geometry": _m(-100, -100, 5, 100),
            },
            {
                "zone_uid": "B",
                "zone_code": "II-3",
                "land_use_function": "mixed_use",
                "max_coverage_pct": 60,
                "max_floors": 12,
                "max_far": 7.0,
                **ZONE,
                "geometry": _m(5, -100, 100, 100),
            },
            {
                # Existing land use (a Circular 16/2025 HT_ layer): no rules, never applied.
                "zone_uid": "HT",
                "zone_code": "HT-1",
                "land_use_function": "residential",
                "stage": "existing",
                "source_layer": "HT_DAT_O_HIENTRANG",
                "max_far": 1.0,
                **ZONE,
                "geometry": _m(-100, -100, 100, 100),
            },
        ],
    )
    # Road widening takes the parcel's first 2 m along y: 20 × 2 = 40 m².
    load(
        "planning_constraint",
        "constraint_uid",
        [
            {
                "constraint_uid": "DD-1",
                "kind": "road_red_line",
                "label": "Mở rộng đường Lê Lợi",
                "illustrative": True,
                "geometry": _m(-100, -10, 100, 2),
            },
            {
                "constraint_uid": "FAR",
                "kind": "flood_prone",
                "illustrative": True,
                "geometry": _m(300, 300, 400, 400),
            },
        ],
    )


@pytest.fixture
def city(city_layers: None, db: Database) -> Database:
    return db


@pytest.fixture
def client(city: Database, settings: Settings) -> TestClient:
    return TestClient(create_app(settings, city))


def _check_parcel_answer(doc: dict[str, Any]) -> None:
    assert doc["commune"]["name"] == "Bến Thành"
    assert doc["parcel"]["parcel_uid"] == "26734-12-45"
    # Hand-computed in metres; TM-3's scale (0.9999) and the ellipsoid stay within 0.1 %.
    assert doc["parcel_area_m2"] == pytest.approx(600, rel=1e-3)
    zones = {z["zone_uid"]: z for z in doc["zones"]}
    assert list(zones) == ["B", "A"]  # largest share first
    assert zones["A"]["area_m2"] == pytest.approx(150, rel=1e-3)
    assert zones["B"]["area_m2"] == pytest.approx(450, rel=1e-3)
    assert zones["A"]["share"] == pytest.approx(0.25, abs=1e-3)
    assert zones["B"]["rules"]["max_far"] == 7.0 and zones["A"]["rules"]["max_floors"] == 5
    [road] = doc["constraints"]
    assert road["kind"] == "road_red_line" and road["area_m2"] == pytest.approx(40, rel=1e-3)
    # The road red line takes 10 m² of A and 30 m² of B: footprint 140 × 0.8 + 420 × 0.6 =
    # 364 m²; floor area 140 × 4 + 420 × 7 = 3,500 m² (390 and 3,750 on the whole parcel).
    assert doc["envelope"]["max_footprint_m2"] == pytest.approx(364, rel=1e-3)
    assert doc["envelope"]["max_floor_area_m2"] == pytest.approx(3500, rel=1e-3)
    assert doc["envelope"]["red_line_m2"] == pytest.approx(40, rel=1e-3)
    assert doc["disclaimer"]["vi"] and doc["disclaimer"]["en"]


def test_lookup_by_point_inside_a_parcel(client: TestClient) -> None:
    lon, lat = _lonlat(E0 + 10, N0 + 15)
    r = client.get("/planning/lookup", params={"lon": lon, "lat": lat})
    assert r.status_code == 200, r.text
    _check_parcel_answer(r.json())
    assert r.json()["point"] == pytest.approx([lon, lat])


def test_lookup_by_certificate_coordinates(client: TestClient) -> None:
    # On the certificate X is the northing and Y the easting.
    r = client.get(
        "/planning/lookup",
        params={"x": N0 + 15, "y": E0 + 10, "crs": "vn2000-tm3:ho-chi-minh"},
    )
    assert r.status_code == 200, r.text
    _check_parcel_answer(r.json())
    # The same numbers read the other way round fall far outside Viet Nam.
    swapped = client.get(
        "/planning/lookup", params={"x": E0 + 10, "y": N0 + 15, "crs": "EPSG:9210"}
    )
    assert swapped.status_code == 400 and "ngoài lãnh thổ" in swapped.json()["description_vi"]


def test_lookup_by_parcel_number(client: TestClient) -> None:
    params = {"commune": "26734", "sheet_no": "12", "parcel_no": "45"}
    r = client.get("/planning/lookup", params=params)
    assert r.status_code == 200, r.text
    _check_parcel_answer(r.json())
    assert r.json()["point"] is None
    missing = client.get("/planning/lookup", params={**params, "parcel_no": "47"})
    assert missing.status_code == 404
    assert "thửa số 47, tờ bản đồ số 12" in missing.json()["description_vi"]


def test_lookup_by_point_outside_parcels(client: TestClient) -> None:
    lon, lat = _lonlat(E0 + 50, N0 + 50)
    doc = client.get("/planning/lookup", params={"lon": lon, "lat": lat}).json()
    assert doc["parcel"] is None and doc["envelope"] is None
    assert [z["zone_uid"] for z in doc["zones"]] == ["B"]
    assert doc["zones"][0]["area_m2"] is None and doc["constraints"] == []
    lon, lat = _lonlat(E0 + 350, N0 + 350)
    flood = client.get("/planning/lookup", params={"lon": lon, "lat": lat}).json()
    assert [c["kind"] for c in flood["constraints"]] == ["flood_prone"]


@pytest.mark.parametrize(
    ("params", "status", "said"),
    [
        ({}, 400, "đúng một cách tra cứu"),
        ({"lon": "106.7"}, 400, "đúng một cách tra cứu"),
        ({"lon": "106.7", "lat": "10.7", "commune": "26734"}, 400, "đúng một cách"),
        # Parameters named in words (the issue asks for it), the name beside them.
        ({"lon": "abc", "lat": "10.7"}, 400, "Kinh độ (lon) phải là một số"),
        ({"lon": "nan", "lat": "10.7"}, 400, "hữu hạn"),
        ({"lon": "2.35", "lat": "48.85"}, 400, "ngoài lãnh thổ Việt Nam"),
        ({"x": "1", "y": "2", "crs": "EPSG:4326"}, 400, "không phải hệ tọa độ phẳng VN-2000"),
        ({"x": "1", "y": "2", "crs": "EPSG:99999"}, 400, ""),
        ({"commune": "267", "sheet_no": "1", "parcel_no": "1"}, 400, "5 chữ số"),
        ({"commune": "26734", "sheet_no": "-1", "parcel_no": "1"}, 400, "Số tờ bản đồ phải là"),
        ({"lon": "106.7", "lat": "10.7", "zoom": "3"}, 400, "zoom"),
        ({"lon": "106.7", "lat": "10.7", "datetime": "hôm qua"}, 400, ""),
    ],
)
def test_bad_lookups_are_clear_400s(
    client: TestClient, params: dict[str, str], status: int, said: str
) -> None:
    r = client.get("/planning/lookup", params=params)
    assert r.status_code == status, r.text
    body = r.json()
    assert said in body["description_vi"] and body["description"]


@pytest.mark.writes
def test_hidden_layers_are_not_used(city: Database, settings: Settings) -> None:
    from dothi.spatial.layers import update_layer

    with city.write() as conn:
        update_layer(conn, "planning_constraint", access="restricted")
    client = TestClient(create_app(settings, city))
    lon, lat = _lonlat(E0 + 10, N0 + 15)
    doc = client.get("/planning/lookup", params={"lon": lon, "lat": lat}).json()
    assert doc["constraints"] == [] and len(doc["zones"]) == 2
    with city.write() as conn:
        update_layer(conn, "land_parcel", access="restricted")
    doc = client.get("/planning/lookup", params={"lon": lon, "lat": lat}).json()
    # Without parcels the point itself is looked up: the one zone it falls in, no envelope.
    assert doc["parcel"] is None and [z["zone_uid"] for z in doc["zones"]] == ["B"]
    assert doc["commune"]["name"] == "Bến Thành" and doc["envelope"] is None


def test_cli_lookup(city: Database, env: dict[str, str]) -> None:
    import json
    import os
    import subprocess

    def dothi(*args: str, lang: str = "vi") -> subprocess.CompletedProcess[str]:
        full = {**os.environ, **env, "DOTHI_LANG": lang}
        return run_dothi(full, "planning", "lookup", *args, timeout=120)

    by_parcel = dothi("--commune", "26734", "--sheet", "12", "--parcel", "45", "--json")
    assert by_parcel.returncode == 0, by_parcel.stderr
    _check_parcel_answer(json.loads(by_parcel.stdout))
    text = dothi("--x", str(N0 + 15), "--y", str(E0 + 10), "--crs", "vn2000-tm3:ho-chi-minh")
    assert text.returncode == 0, text.stderr
    assert "Xã/phường: Bến Thành" in text.stdout
    # Codes and field names in words: the constraint's kind, the function, the rules.
    assert "Ràng buộc: Chỉ giới đường đỏ: 40" in text.stdout and "road_red_line" not in text.stdout
    assert "Ô II-3 — 450 m² (75%): Đất hỗn hợp" in text.stdout
    assert "Hệ số sử dụng đất tối đa (lần): 7" in text.stdout and "max_far" not in text.stdout
    assert "chiếm đất 364" in text.stdout  # red-line land left out
    both = dothi("--lon", "106.7", "--commune", "26734", lang="en")
    assert both.returncode == 1 and both.stderr.startswith("Error: Give exactly one way")


# -- permit compliance -------------------------------------------------------------------
PARCEL = {"commune": "26734", "sheet_no": 12, "parcel_no": 45}


def _footprint(x0: float, y0: float, x1: float, y1: float) -> dict[str, Any]:
    return shapely.geometry.mapping(_m(x0, y0, x1, y1))


def _checks(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["rule"]: c for c in doc["checks"]}


def test_a_compliant_proposal(client: TestClient) -> None:
    # 10 m × 20 m = 200 m² in zone B only, clear of the road strip; 6 floors = 1,200 m².
    building = {"footprint": _footprint(6, 5, 16, 25), "floors": 6, "height_m": 21.0}
    r = client.post(
        "/planning/compliance",
        json={"parcel": PARCEL, "building": building, "date": "2026-06-01"},
    )
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["ok"] is True and doc["edition"] == "QCVN 01:2021/BXD"
    checks = _checks(doc)
    assert set(checks) == {
        "within_parcel",
        "coverage",
        "floor_area",
        "max_floors",
        "constraint:road_red_line",
        "max_far_national",
    }
    # The limit leaves out the 40 m² inside the road red line (the card says the same).
    assert checks["coverage"]["limit"] == pytest.approx(364, rel=1e-3)
    assert checks["coverage"]["value"] == pytest.approx(200, rel=1e-3)
    assert checks["floor_area"]["value"] == pytest.approx(1200, rel=1e-3)
    assert checks["max_floors"]["limit"] == 12 and "II-3" in checks["max_floors"]["source"]
    assert checks["max_far_national"]["limit"] == 13
    assert checks["max_far_national"]["value"] == pytest.approx(2.0, rel=1e-3)
    assert checks["max_far_national"]["source"].startswith("QCVN 01:2021/BXD")


def test_a_proposal_breaking_every_rule(client: TestClient) -> None:
    # The whole parcel, 15 floors: 600 m² footprint, 9,000 m² of floors, in both zones and
    # on the 40 m² road strip.
    building = {"footprint": _footprint(0, 0, 20, 30), "floors": 15}
    doc = client.post("/planning/compliance", json={"parcel": PARCEL, "building": building}).json()
    assert doc["ok"] is False
    failed = sorted((c["rule"], round(c["limit"])) for c in doc["checks"] if not c["ok"])
    assert failed == [
        ("constraint:road_red_line", 0),
        ("coverage", 364),
        ("floor_area", 3500),
        ("max_far_national", 13),
        ("max_floors", 5),
        ("max_floors", 12),
    ]
    road = _checks(doc)["constraint:road_red_line"]
    assert road["value"] == pytest.approx(40, rel=1e-3) and _checks(doc)["within_parcel"]["ok"]


def test_outside_the_parcel_and_editions(client: TestClient) -> None:
    building = {"footprint": _footprint(15, 10, 25, 20), "floors": 2}
    later = client.post(
        "/planning/compliance",
        json={"parcel": PARCEL, "building": building, "date": "2027-03-01T00:00:00Z"},
    ).json()
    assert later["edition"] == "QCVN 01:2026/BXD"
    checks = _checks(later)
    assert not checks["within_parcel"]["ok"]
    assert checks["within_parcel"]["value"] == pytest.approx(50, rel=1e-3)
    assert "max_far_national" not in checks  # no threshold recorded for that edition yet


def test_batch_keeps_going_past_a_bad_proposal(client: TestClient) -> None:
    good = {"parcel": PARCEL, "building": {"footprint": _footprint(6, 5, 16, 25), "floors": 3}}
    bad = {"parcel": {**PARCEL, "parcel_no": 99}, "building": good["building"]}
    r = client.post("/planning/compliance", json={"proposals": [good, bad, good]})
    assert r.status_code == 200, r.text
    results = r.json()["results"]
    assert [x["index"] for x in results] == [0, 1, 2]
    assert results[0]["ok"] and results[2]["ok"]
    assert "thửa số 99" in results[1]["error"]["vi"]


@pytest.mark.parametrize(
    ("body", "status", "said"),
    [
        (
            {
                "parcel": PARCEL,
                "building": {
                    "footprint": {
                        "type": "Polygon",
                        "coordinates": [
                            [
                                [106.7, 10.77],
                                [106.701, 10.771],
                                [106.701, 10.77],
                                [106.7, 10.771],
                                [106.7, 10.77],
                            ]
                        ],
                    },
                    "floors": 2,
                },
            },
            400,
            "tự cắt",
        ),
        ({"parcel": PARCEL, "building": {"floors": 2}}, 400, "Thiếu footprint"),
        ({"parcel": PARCEL, "building": {"footprint": {"type": "Point"}, "floors": 2}}, 400, ""),
        (
            {"parcel": PARCEL, "building": {"footprint": _footprint(0, 0, 5, 5), "floors": 0}},
            400,
            "floors",
        ),
        (
            {
                "parcel": PARCEL,
                "building": {"footprint": _footprint(0, 0, 5, 5), "floors": 2, "height_m": "cao"},
            },
            400,
            "height_m",
        ),
        ({"parcel": {"commune": "26734"}, "building": {}}, 400, ""),
        ({"parcel": PARCEL, "building": {}, "edition": "QCVN 99:2030"}, 400, "QCVN 99:2030"),
        ({"proposals": []}, 400, "proposals"),
        ([1, 2], 400, "đối tượng JSON"),
    ],
)
def test_bad_proposals_are_clear_400s(
    client: TestClient, body: Any, status: int, said: str
) -> None:
    r = client.post("/planning/compliance", json=body)
    assert r.status_code == status, r.text
    assert said in r.json()["description_vi"] + r.json()["description"]


def test_compliance_needs_json(client: TestClient) -> None:
    r = client.post("/planning/compliance", content=b"x", headers={"content-type": "text/plain"})
    assert r.status_code == 415


def test_lookup_and_search_by_address(client: TestClient) -> None:
    one = client.get("/planning/lookup", params={"q": "le loi 123 ben thanh"})
    assert one.status_code == 200, one.text
    _check_parcel_answer(one.json())
    many = client.get("/planning/lookup", params={"q": "LÊ LỢI"})
    assert many.status_code == 400 and "nhiều thửa" in many.json()["description_vi"]
    found = client.get("/planning/search", params={"q": "  lê   loi "}).json()["parcels"]
    assert sorted(p["parcel_no"] for p in found) == [45, 46]
    assert found[0]["address"] and found[0]["commune_code"] == "26734"
    for q in ("nguyễn huệ", "%", "_"):
        none = client.get("/planning/lookup", params={"q": q})
        assert none.status_code == 404, (q, none.text)
    assert client.get("/planning/search", params={"q": " "}).status_code == 400
    assert client.get("/planning/search", params={"q": "a", "x": "1"}).status_code == 400


def test_planning_sheet_pdf(client: TestClient) -> None:
    import io

    import pypdf

    lon, lat = _lonlat(E0 + 10, N0 + 15)
    r = client.get("/planning/sheet", params={"lon": lon, "lat": lat})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf" and r.content.startswith(b"%PDF")
    assert 'filename="phieu-quy-hoach-26734-12-45.pdf"' in r.headers["content-disposition"]
    reader = pypdf.PdfReader(io.BytesIO(r.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    for expected in (
        "PHIẾU THÔNG TIN QUY HOẠCH",
        "Bến Thành",
        "số 45, tờ bản đồ số 12",
        "123 Lê Lợi",
        "II-3",
        "1234/QĐ-UBND",
        "Mở rộng đường Lê Lợi",
        # The envelope leaves out the 40 m² inside the road red line, as the API does.
        "364 m²",
        "3 500 m²",
        "không thay thế chứng chỉ quy hoạch",
        "Thửa, nhà lân cận",
    ):
        assert expected in text, (expected, text)
    # Codes in words: the constraint's kind and the zones' use.
    assert "Chỉ giới đường đỏ" in text and "road_red_line" not in text
    assert "Đất hỗn hợp" in text and "mixed_use" not in text
    # The plan and its decision, dated the Vietnamese way.
    flat = " ".join(text.split())  # multi_cell wraps and justifies
    assert "Quy hoạch phân khu 1/2000 khu trung tâm (minh họa)" in flat
    assert "1234/QĐ-UBND ngày 20 tháng 5 năm 2024" in flat
    assert "I-1 Đất ở 150 m² (25 %) 80 % 5 4" in flat  # no floor minimum: the maximum only
    # Vertices in VN-2000 / TM-3 of TP HCM (EPSG:9210): X northing, Y easting, to the cm.
    assert "EPSG:9210" in text
    for x, y in ((N0, E0), (N0, E0 + 20), (N0 + 30, E0 + 20), (N0 + 30, E0)):
        row = f"{x:,.2f} {y:,.2f}".replace(",", " ").replace(".", ",")
        assert row.replace(" ", "") in text.replace(" ", ""), row
    # Scale bar, north arrow, the zone codes on the map.
    assert " m\n" in text or "0\n" in text
    assert "B: hướng Bắc / north" in text
    assert text.count("I-1") >= 2 and text.count("II-3") >= 2  # on the map and in the table
    # Metadata: title, subject, author, language.
    meta = reader.metadata
    assert meta is not None
    assert meta.title == "Phiếu thông tin quy hoạch / Planning information sheet"
    assert "Thửa số 45" in str(meta.subject) and meta.author == "Dothi"
    assert reader.trailer["/Root"]["/Lang"] == "vi"
    # Every piece of text starts inside the page (the legend no longer runs off it).
    width = float(reader.pages[0].mediabox.width)
    starts: list[float] = []

    def visit(t: str, cm: Any, tm: Any, font: Any, size: Any) -> None:
        if t.strip():
            starts.append(float(tm[4]) * float(cm[0]) + float(cm[4]))

    reader.pages[0].extract_text(visitor_text=visit)
    assert starts and max(starts) < width - 20
    # No parcel at this point: nothing to print.
    lon, lat = _lonlat(E0 + 50, N0 + 50)
    none = client.get("/planning/sheet", params={"lon": lon, "lat": lat})
    assert none.status_code == 404 and none.json()["description_vi"]


def test_vietnamese_dates() -> None:
    from datetime import date

    from dothi.pdf import long_date

    assert long_date(date(2026, 3, 15)) == "ngày 15 tháng 3 năm 2026"
    assert long_date("2024-05-20") == "ngày 20 tháng 5 năm 2024"
    assert long_date("không rõ") == "không rõ"


@pytest.mark.writes
def test_sheet_surroundings(city: Database) -> None:
    from dothi.auth.policy import ANONYMOUS
    from dothi.geo.metric import geodesic_area as area_m2
    from dothi.planning.lookup import surroundings
    from dothi.spatial.layers import update_layer

    west, south = _lonlat(E0 - 50, N0 - 50)
    east, north = _lonlat(E0 + 250, N0 + 250)
    with city.read() as conn:
        found = surroundings(city, conn, ANONYMOUS, (west, south, east, north))
    # Both parcels lie in the box (the parcel itself and its neighbour); there is no building
    # layer here.
    areas = sorted(round(area_m2(g)) for g in found)
    assert areas == [200, 600]
    with city.write() as conn:
        update_layer(conn, "land_parcel", access="restricted")
    with city.read() as conn:
        assert surroundings(city, conn, ANONYMOUS, (west, south, east, north)) == []


def test_place_rows_reads_access_and_tolerates_missing_layers(city: Database) -> None:
    from shapely.geometry import Point

    lon, lat = _lonlat(E0 + 10, N0 + 15)
    with city.read() as conn:
        rows = city.port.place_rows(
            conn,
            Point(lon, lat),
            "land_parcel",
            ("planning_zone", "khong_co_lop"),
            ("admin_commune",),
            with_access=True,
        )
    assert rows.at is not None and rows.at.fid == "26734-12-45"
    assert sorted(z.fid for z in rows.meeting["planning_zone"]) == ["A", "B", "HT"]
    assert rows.meeting["khong_co_lop"] == []
    assert [c.fid for c in rows.containing["admin_commune"]] == ["26734"]
    assert rows.access == {
        "land_parcel": "public",
        "planning_zone": "public",
        "admin_commune": "public",
    }
