"""Planning scenarios (phương án): figures against values computed by hand, the comparison
as JSON, CSV, PDF and SVG, bad input, and who may see and change what."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
from datetime import date
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

import pyproj
import pytest
from fastapi.testclient import TestClient
from live import run_dothi
from prepared import dataset
from pypdf import PdfReader
from samples import write_geojson
from shapely.geometry import Point, Polygon

from dothi.app.main import create_app
from dothi.auth.accounts import create_account
from dothi.auth.audit import list_audit
from dothi.auth.policy import Principal, operator
from dothi.auth.tokens import create_token
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.errors import Forbidden, InvalidInput
from dothi.geo import crs as crsmod
from dothi.geo.metric import geodesic_area as area_m2
from dothi.geo.transform import transformer
from dothi.planning import plans, regulations
from dothi.planning.scenarios import store as scenarios
from dothi.planning.scenarios.data import load_plan_data
from dothi.spatial.importer import ImportOptions, import_file

# Drawn in metres in VN-2000 / TM-3 of TP HCM (EPSG:9210), as in test_planning_lookup.py.
E0, N0 = 603_700.0, 1_191_900.0
TM3 = crsmod.resolve_crs("vn2000-tm3:ho-chi-minh")
WGS84 = pyproj.CRS.from_epsg(4326)


def _xy(x: float, y: float) -> tuple[float, float]:
    lon, lat = transformer(TM3, WGS84).transform(E0 + x, N0 + y)
    return float(lon), float(lat)


def _m(x0: float, y0: float, x1: float, y1: float) -> Polygon:
    return Polygon([_xy(x0, y0), _xy(x1, y0), _xy(x1, y1), _xy(x0, y1)])


RULES = {
    "plan_decision_no": "1234/QĐ-UBND",
    "plan_decision_date": "2024-05-20",
    "plan_level": "zoning",
    "illustrative": True,
}

# The plan "pk-1", six zones of 100 m × 100 m (1 ha each, 6 ha in all):
#   R1 residential  x 0–100,     y 0–100    FAR 3                → 30,000 m² of floors
#   R2 residential  x 600–700,   y 0–100    coverage 50 %, 4 fl. → 20,000 m²
#   M  mixed use    x 0–100,     y 600–700  FAR 4                → 40,000 m²
#   G  public green x 250–350,   y 0–100    no floor rules
#   E  education    x 1300–1400, y 0–100    FAR 1                → 10,000 m²
#   C  commercial   x 600–700,   y 600–700  FAR 2                → 20,000 m²
# Facilities: a kindergarten at (50, −200), a clinic at (650, 300), a market at (50, 1000),
# an abandoned market at (650, 650) (not counted).
ZONES = [
    ("R1", "residential", (0, 0, 100, 100), {"max_far": 3.0}),
    ("R2", "residential", (600, 0, 700, 100), {"max_coverage_pct": 50, "max_floors": 4}),
    ("M", "mixed_use", (0, 600, 100, 700), {"max_far": 4.0}),
    ("G", "green_public", (250, 0, 350, 100), {}),
    ("E", "education", (1300, 0, 1400, 100), {"max_far": 1.0}),
    ("C", "commercial_service", (600, 600, 700, 700), {"max_far": 2.0}),
]
# Buildings: (id, type, box, floors, height, status); b5 is planned, b6 lies outside the plan.
BUILDINGS = [
    ("b1", "house", (10, 10, 20, 30), 3, None, "existing"),  # 200 m² × 3 = 600
    ("b2", "apartments", (50, 50, 70, 70), None, 33.0, None),  # 400 m² × 33/3.3 = 4,000
    ("b3", "mixed", (10, 610, 20, 620), 2, None, "existing"),  # 100 × 2 = 200 (share)
    ("b4", "unspecified", (610, 10, 620, 20), 2, None, "existing"),  # 200, in R2: housing
    ("b5", "house", (650, 50, 660, 60), 2, None, "planned"),
    ("b6", "house", (400, 300, 410, 310), 5, None, "existing"),
    ("b7", "commercial", (610, 610, 630, 630), 5, None, "existing"),
]
FACILITIES = [
    ("f1", "kindergarten", (50, -200), "existing"),
    ("f2", "clinic", (650, 300), "existing"),
    ("f3", "market", (50, 1000), None),
    ("f4", "market", (650, 650), "abandoned"),
]

A = {
    "floor_area_per_person_m2": 25,
    "household_size": 4,
    "mixed_use_residential_share": 0.5,
    "edition": "QCVN 01:2021/BXD",
}
B = {
    "floor_area_per_person_m2": 35,
    "household_size": 3.5,
    "mixed_use_residential_share": 0.8,
    "date": "2027-03-01",
    "norm_set": "illustrative-high",
}


@dataset
def city_layers(db: Database, settings: Settings, tmp_path: Path) -> None:
    def load(layer: str, key: str, rows: list[dict[str, Any]]) -> None:
        path = write_geojson(tmp_path / f"{layer}.geojson", rows)
        import_file(db, settings, path, ImportOptions(layer_id=layer, key=key))

    with db.write() as conn:
        plans.add_plan(conn, "pk-1", "Phân khu 1/2000 (minh họa)", "zoning")
        plans.set_status(conn, "pk-1", "approved", decision=("1234/QĐ-UBND", date(2024, 5, 20)))
        plans.add_plan(conn, "pk-nhap", "Phân khu điều chỉnh (nháp)", "zoning")
    zones = [
        {
            "zone_uid": uid,
            "zone_code": uid,
            "plan_id": "pk-1",
            "land_use_function": function,
            **rules,
            **RULES,
            "geometry": _m(*box),
        }
        for uid, function, box, rules in ZONES
    ]
    zones.append(
        {
            "zone_uid": "N1",
            "zone_code": "N1",
            "plan_id": "pk-nhap",
            "land_use_function": "residential",
            "max_far": 2.0,
            **RULES,
            "geometry": _m(0, 0, 100, 100),
        }
    )
    load("planning_zone", "zone_uid", zones)
    load(
        "building",
        "building_uid",
        [
            {
                "building_uid": uid,
                "building_type": kind,
                "floors": floors,
                "height_m": height,
                "status": status,
                "geometry": _m(*box),
            }
            for uid, kind, box, floors, height, status in BUILDINGS
        ],
    )
    load(
        "public_facility",
        "facility_uid",
        [
            {"facility_uid": uid, "kind": kind, "status": status, "geometry": Point(_xy(*xy))}
            for uid, kind, xy, status in FACILITIES
        ],
    )


@pytest.fixture
def city(city_layers: None, db: Database) -> Database:
    return db


@dataset(base=city_layers, shared=True)
def scenarios_saved(db: Database, settings: Settings, tmp_path: Path) -> None:
    who = operator("cli:test")
    with db.write() as conn:
        scenarios.add_scenario(
            conn, who, {"id": "pa-a", "name": "Phương án A", "plan_id": "pk-1", "assumptions": A}
        )
        scenarios.add_scenario(
            conn,
            who,
            {
                "id": "pa-b",
                "name": "Phương án B",
                "plan_id": "pk-1",
                "assumptions": B,
                "illustrative": True,
            },
        )
        scenarios.add_scenario(
            conn,
            who,
            {"id": "pa-nhap", "name": "Nháp", "plan_id": "pk-nhap", "assumptions": A},
        )


@pytest.fixture
def saved(scenarios_saved: None, db: Database) -> Database:
    return db


@dataset(base=scenarios_saved)
def tokens(db: Database, settings: Settings, tmp_path: Path) -> dict[str, str]:
    with db.write() as conn:
        create_account(conn, "kts", "editor")
        create_account(conn, "xem", "viewer")
        return {
            "editor": create_token(conn, "kts", "phương án")[0],
            "viewer": create_token(conn, "xem", "xem")[0],
        }


@pytest.fixture
def client(saved: Database, settings: Settings) -> TestClient:
    return TestClient(create_app(settings, saved))


def _auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def _services(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["service"]: s for s in doc["services"]}


def _infra(doc: dict[str, Any]) -> dict[str, Any]:
    return {i["key"]: i["value"] for i in doc["infrastructure"]}


# TM-3's scale (≈ 1.00003 here) makes the drawn metres a little longer than on the ground.
REL = 1e-3


def check_a(doc: dict[str, Any]) -> None:
    """Scenario A by hand: 25 m² per person, 4 per household, half of mixed use housing."""
    assert doc["edition"]["code"] == "QCVN 01:2021/BXD"
    assert doc["zones"]["count"] == 6 and doc["zones"]["without_rules"] == 1
    assert doc["zones"]["area_ha"] == pytest.approx(6, rel=REL)
    # Floors: 30,000 + 20,000 + 40,000 + 10,000 + 20,000; housing 30,000 + 20,000 + 20,000.
    fa = doc["floor_area"]
    assert fa["total_m2"] == pytest.approx(120_000, rel=REL)
    assert fa["residential_m2"] == pytest.approx(70_000, rel=REL)
    assert fa["non_residential_m2"] == pytest.approx(50_000, rel=REL)
    cap = doc["population"]["capacity"]
    assert cap["people"] == pytest.approx(2800, abs=3) and cap["households"] == pytest.approx(
        700, abs=1
    )
    # Existing: b1 600 + b2 4,000 (floors from 33 m height) + half of b3's 200 + b4's 200
    # (unknown type, in the residential zone R2) = 4,900 m².
    now = doc["population"]["existing"]
    assert now["residential_floor_area_m2"] == pytest.approx(4900, rel=REL)
    assert now["people"] == 196 and now["households"] == 49
    assert now["buildings"] == 5 and now["residential_buildings"] == 4
    assert now["floors_estimated"] == 1
    assert now["unspecified_floor_area_m2"] == pytest.approx(200, rel=REL)
    assert doc["population"]["growth"]["people"] == pytest.approx(2604, abs=3)
    land = {r["function"]: r for r in doc["land_use"]["rows"]}
    assert list(land) == [
        "residential",
        "mixed_use",
        "commercial_service",
        "education",
        "green_public",
    ]
    assert land["residential"]["area_ha"] == pytest.approx(2, rel=REL)
    assert land["residential"]["share_pct"] == pytest.approx(33.33, abs=0.01)
    assert land["residential"]["m2_per_person"] == pytest.approx(20_000 / 2800, rel=REL)
    # The labels of the planning_zone schema (x-value-labels), as every page shows them.
    assert land["residential"]["label"] == {"vi": "Đất ở", "en": "Residential"}
    assert sum(r["share_pct"] for r in land.values()) == pytest.approx(100, abs=0.05)
    # Green: 10,000 m² for 2,800 people = 3.57 m²/person ≥ 2.
    green = doc["green"]
    assert green["m2_per_person"] == pytest.approx(3.57, abs=0.01)
    assert green["norm"]["value"] == 2 and green["norm"]["confirmed"] is False
    assert green["meets_norm"] is True
    # People by zone: R1 1,200, R2 800, M 800. The kindergarten (50, −200) reaches R1
    # (≤ 304 m) but not R2 (≥ 585 m) or M (≥ 800 m); the education zone E is 600 m from R2.
    s = _services(doc)
    assert s["kindergarten"]["radius_m"] == 500
    assert s["kindergarten"]["rule"]["edition"] == "QCVN 01:2021/BXD"
    assert s["kindergarten"]["sources"] == {"facilities": 1, "zones": 1}
    assert s["kindergarten"]["share_pct"] == pytest.approx(1200 / 2800 * 100, abs=0.05)
    assert s["primary_school"]["share_pct"] == 0
    assert s["upper_secondary_school"]["radius_m"] is None
    assert s["upper_secondary_school"]["share_pct"] is None
    assert s["clinic"]["share_pct"] == pytest.approx(800 / 2800 * 100, abs=0.05)  # R2
    assert s["market"]["sources"] == {"facilities": 1, "zones": 0}  # the abandoned one is out
    assert s["market"]["share_pct"] == pytest.approx(800 / 2800 * 100, abs=0.05)  # M
    assert s["park"]["share_pct"] == pytest.approx(2000 / 2800 * 100, abs=0.05)  # R1, R2
    # Existing residents near the kindergarten: b1 (24) and b2 (160) of 196.
    assert s["kindergarten"]["existing_share_pct"] == pytest.approx(184 / 196 * 100, abs=0.05)
    infra = _infra(doc)
    assert infra["water_m3_per_day"] == pytest.approx(520, rel=REL)  # 2,800 × 150 + 50,000 × 2
    assert infra["wastewater_m3_per_day"] == pytest.approx(416, rel=REL)
    assert infra["solid_waste_t_per_day"] == pytest.approx(2.8, abs=0.01)
    assert infra["power_kw"] == pytest.approx(2900, rel=REL)  # 2,800 × 0.5 + 50,000 × 0.03
    assert infra["parking_spaces"] == pytest.approx(850, abs=1)  # 700 × 0.5 + 500 × 1
    [water] = [i for i in doc["infrastructure"] if i["key"] == "water_m3_per_day"]
    assert [n["key"] for n in water["norms"]] == [
        "water_domestic_l_per_person_day",
        "water_non_residential_l_per_m2_day",
    ]
    assert all(n["illustrative"] and not n["confirmed"] for n in water["norms"])
    assert doc["layers"] == {
        "used": ["planning_zone", "building", "public_facility"],
        "not_readable": [],
    }


def check_b(doc: dict[str, Any]) -> None:
    """Scenario B by hand: 35 m² per person, 3.5 per household, 80 % of mixed use housing,
    the 2026 edition (chosen by date) and the high norm set."""
    assert doc["edition"]["code"] == "QCVN 01:2026/BXD"
    assert doc["scenario"]["assumptions"]["date"] == "2027-03-01"
    # Housing 30,000 + 20,000 + 32,000 = 82,000 m²; the rest 8,000 + 10,000 + 20,000.
    assert doc["floor_area"]["residential_m2"] == pytest.approx(82_000, rel=REL)
    assert doc["floor_area"]["non_residential_m2"] == pytest.approx(38_000, rel=REL)
    people = 82_000 / 35  # 2,342.9
    assert doc["population"]["capacity"]["people"] == pytest.approx(people, abs=3)
    assert doc["population"]["capacity"]["households"] == pytest.approx(669, abs=1)
    assert doc["population"]["existing"]["people"] == 142  # 4,960 m² / 35 = 141.7
    assert doc["green"]["m2_per_person"] == pytest.approx(10_000 / people, abs=0.01)
    assert doc["green"]["norm"]["value"] == 5 and doc["green"]["meets_norm"] is False
    s = _services(doc)
    # 1,000 m: the kindergarten reaches R1, R2 (≤ 716 m) and M (≤ 901 m).
    assert s["kindergarten"]["radius_m"] == 1000 and s["kindergarten"]["share_pct"] == 100
    # Only the education zone gives primary schools: R2 (≤ 700 m) of R1, R2, M.
    r2 = 20_000 / 35
    assert s["primary_school"]["share_pct"] == pytest.approx(r2 / people * 100, abs=0.05)
    assert s["upper_secondary_school"]["radius_m"] == 2000
    assert s["upper_secondary_school"]["share_pct"] == 100
    assert s["clinic"]["radius_m"] is None and s["market"]["share_pct"] is None
    # Gardens within 400 m: G is 150–250 m from R1 and 250–350 m from R2.
    assert s["park"]["radius_m"] == 400
    assert s["park"]["share_pct"] == pytest.approx((30_000 + 20_000) / 35 / people * 100, abs=0.05)
    infra = _infra(doc)
    assert infra["water_m3_per_day"] == pytest.approx((people * 200 + 38_000 * 3) / 1000, rel=REL)
    assert infra["wastewater_m3_per_day"] == pytest.approx(infra["water_m3_per_day"] * 0.9, rel=REL)
    assert infra["power_kw"] == pytest.approx((people * 700 + 38_000 * 40) / 1000, rel=REL)
    assert infra["parking_spaces"] == pytest.approx(people / 3.5 + 380 * 1.5, abs=1)
    assert {"vi": "Phương án minh họa.", "en": "An illustrative scenario."} in doc["notes"]


def test_figures_by_hand(client: TestClient) -> None:
    a = client.get("/planning/scenarios/pa-a/indicators")
    assert a.status_code == 200, a.text
    check_a(a.json())
    b = client.get("/planning/scenarios/pa-b/indicators")
    assert b.status_code == 200, b.text
    check_b(b.json())


def test_areas_agree_with_the_lookup(saved: Database) -> None:
    """The equal-area frame gives the geodesic areas of the lookup (well within 0.01 %)."""
    with saved.read() as conn:
        plan = plans.get_plan(conn, "pk-1")
        data = load_plan_data(saved, conn, operator("cli:test"), plan)
    assert data.crs is not None and data.crs.startswith("+proj=laea")
    for uid, _, box, _ in ZONES:
        i = data.zone_ids.index(uid)
        assert data.zone_area[i] == pytest.approx(area_m2(_m(*box)), rel=1e-4)


def test_compare_json_csv_pdf_svg(client: TestClient) -> None:
    r = client.get("/planning/scenarios/compare", params={"ids": "pa-a,pa-b"})
    assert r.status_code == 200, r.text
    doc = r.json()
    check_a(doc["scenarios"][0])
    check_b(doc["scenarios"][1])
    rows = {row["key"]: row for row in doc["rows"]}
    assert rows["population.capacity.people"]["values"] == [
        doc["scenarios"][0]["population"]["capacity"]["people"],
        doc["scenarios"][1]["population"]["capacity"]["people"],
    ]
    assert rows["edition.code"]["values"] == ["QCVN 01:2021/BXD", "QCVN 01:2026/BXD"]
    assert rows["services.clinic.radius_m"]["values"] == [500, None]
    assert rows["land_use.green_public.area_ha"]["label"]["vi"].startswith("Đất cây xanh")
    charts = {c["key"]: c for c in doc["charts"]}
    assert charts["green"]["references"] == [
        {"label": {"vi": "Chỉ tiêu QCVN 01:2021/BXD", "en": "Norm QCVN 01:2021/BXD"}, "value": 2},
        {"label": {"vi": "Chỉ tiêu QCVN 01:2026/BXD", "en": "Norm QCVN 01:2026/BXD"}, "value": 5},
    ]
    assert len(charts["services"]["values"]) == 2 and len(charts["services"]["categories"]) == 7

    # CSV: UTF-8 with a BOM; the same figures as the JSON rows.
    c = client.get("/planning/scenarios/compare", params={"ids": "pa-a,pa-b", "format": "csv"})
    assert c.status_code == 200 and c.headers["content-type"].startswith("text/csv")
    assert c.content.startswith(b"\xef\xbb\xbf")
    table = list(csv.reader(io.StringIO(c.content.decode("utf-8-sig"))))
    assert table[0][4:6] == ["Phương án A (pa-a)", "Phương án B (pa-b)"]
    by_key = {line[1]: line for line in table[1:]}
    assert len(by_key) == len(doc["rows"])
    people = by_key["population.capacity.people"]
    assert people[2] == "Quy mô dân số / Population capacity"
    assert [int(v) for v in people[4:6]] == rows["population.capacity.people"]["values"]
    assert by_key["services.clinic.share_pct"][5] == ""
    assert float(by_key["infrastructure.water_m3_per_day"][4]) == pytest.approx(520, rel=REL)

    # PDF: the table and the charts' titles are there as text.
    p = client.get("/planning/scenarios/compare", params={"ids": "pa-a,pa-b", "format": "pdf"})
    assert p.status_code == 200 and p.headers["content-type"] == "application/pdf"
    text = "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(p.content)).pages)
    for said in (
        "SO SÁNH PHƯƠNG ÁN QUY HOẠCH",
        "Phương án A",
        "QCVN 01:2026/BXD",
        "Quy mô dân số / Population capacity",
        "Cơ cấu sử dụng đất",
        "Dân số trong bán kính phục vụ",
        "Nhu cầu cấp nước",
        "2 800",
    ):
        assert said in text, said

    # SVG: well-formed, one bar per scenario and category, the legend names both.
    s = client.get("/planning/scenarios/compare", params={"ids": "pa-a,pa-b", "format": "svg"})
    assert s.status_code == 200 and s.headers["content-type"].startswith("image/svg+xml")
    assert "sandbox" in s.headers["content-security-policy"]
    root = ElementTree.fromstring(s.content)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    texts = [t.text for t in root.iter(f"{ns}text")]
    # Scenarios by name: their ids are for the CSV's and the API's readers.
    assert "Phương án B" in texts and "Cơ cấu sử dụng đất" in texts
    assert not any("pa-b" in (t or "") for t in texts)
    bars = [r for r in root.iter(f"{ns}rect") if r.get("fill") in ("#1b6ca8", "#e07b39")]
    values = [v for c in doc["charts"] for series in c["values"] for v in series if v is not None]
    assert len(bars) == len(values) + 2  # + the two legend squares
    assert "2 800" in texts


def test_scenario_life_cycle_over_http(client: TestClient, tokens: dict[str, str]) -> None:
    editor = _auth(tokens["editor"])
    body = {
        "name": "  Phương án C   tăng mật độ ",
        "plan_id": "pk-1",
        "description": "Giữ cây xanh, tăng sàn ở.",
        "assumptions": {**A, "floor_area_per_person_m2": 20},
    }
    made = client.post("/planning/scenarios", json=body, headers=editor)
    assert made.status_code == 201, made.text
    doc = made.json()
    assert doc["id"].startswith("pa-") and doc["name"] == "Phương án C tăng mật độ"
    assert doc["assumptions"]["norm_set"] == "illustrative" and doc["created_by"].startswith(
        "account:"
    )
    sid = doc["id"]
    listed = client.get("/planning/scenarios", params={"plan_id": "pk-1"}).json()["scenarios"]
    assert sorted(x["id"] for x in listed) == sorted(["pa-a", "pa-b", sid])
    changed = client.put(
        f"/planning/scenarios/{sid}",
        json={"assumptions": {"household_size": 5}, "illustrative": True},
        headers=editor,
    )
    assert changed.status_code == 200, changed.text
    a = changed.json()["assumptions"]
    assert a["household_size"] == 5 and a["floor_area_per_person_m2"] == 20
    assert a["edition"] == "QCVN 01:2021/BXD" and changed.json()["illustrative"] is True
    figures = client.get(f"/planning/scenarios/{sid}/indicators").json()
    assert figures["population"]["capacity"]["people"] == pytest.approx(3500, abs=3)
    assert figures["population"]["capacity"]["households"] == pytest.approx(700, abs=1)
    moved = client.put(
        f"/planning/scenarios/{sid}", json={"assumptions": {"date": "2027-01-01"}}, headers=editor
    )
    assert moved.json()["assumptions"]["edition"] == "QCVN 01:2026/BXD"
    assert client.delete(f"/planning/scenarios/{sid}", headers=editor).status_code == 204
    assert client.get(f"/planning/scenarios/{sid}").status_code == 404
    assert client.get("/planning/plans/pk-1").status_code == 200  # the plan stays
    db = client.app.state.db  # type: ignore[attr-defined]
    with db.read() as conn:
        mine = [e.action for e in list_audit(conn) if e.target == f"scenario:{sid}"]
    assert sorted(mine) == [
        "scenario_create",
        "scenario_delete",
        "scenario_update",
        "scenario_update",
    ]


def test_who_may_see_and_change(client: TestClient, tokens: dict[str, str]) -> None:
    body = {"name": "X", "plan_id": "pk-1", "assumptions": A}
    anonymous = client.post("/planning/scenarios", json=body)
    assert anonymous.status_code == 401 and anonymous.json()["code"] == "AuthenticationRequired"
    viewer = client.post("/planning/scenarios", json=body, headers=_auth(tokens["viewer"]))
    assert viewer.status_code == 403 and "biên tập" in viewer.json()["description_vi"]
    assert client.delete("/planning/scenarios/pa-a").status_code == 401
    put = client.put(
        "/planning/scenarios/pa-a", json={"name": "Y"}, headers=_auth(tokens["viewer"])
    )
    assert put.status_code == 403
    # A draft plan's scenarios are for planners only.
    public = [s["id"] for s in client.get("/planning/scenarios").json()["scenarios"]]
    assert public == ["pa-a", "pa-b"]
    mine = client.get("/planning/scenarios", headers=_auth(tokens["editor"])).json()
    assert [s["id"] for s in mine["scenarios"]] == ["pa-a", "pa-b", "pa-nhap"]
    assert client.get("/planning/scenarios/pa-nhap").status_code == 404
    assert client.get("/planning/scenarios/pa-nhap/indicators").status_code == 404
    hidden = client.get("/planning/scenarios/compare", params={"ids": "pa-a,pa-nhap"})
    assert hidden.status_code == 404 and "pa-nhap" in hidden.json()["description_vi"]
    seen = client.get("/planning/scenarios/pa-nhap/indicators", headers=_auth(tokens["editor"]))
    assert seen.status_code == 200
    assert seen.json()["population"]["capacity"]["people"] == pytest.approx(800, abs=1)
    on_draft = client.post(
        "/planning/scenarios",
        json={**body, "plan_id": "pk-nhap"},
        headers=_auth(tokens["viewer"]),
    )
    assert on_draft.status_code == 403


@pytest.mark.parametrize(
    ("body", "status", "said"),
    [
        ({"name": "X", "plan_id": "khong-co", "assumptions": A}, 404, "khong-co"),
        (
            {"name": "X", "plan_id": "pk-1", "assumptions": {**A, "edition": "QCVN 99:2030"}},
            400,
            "QCVN 99:2030",
        ),
        (
            {"name": "X", "plan_id": "pk-1", "assumptions": {**A, "floor_area_per_person_m2": 0}},
            400,
            "Diện tích sàn ở bình quân (m²/người) phải > 0",
        ),
        (
            {"name": "X", "plan_id": "pk-1", "assumptions": {**A, "floor_area_per_person_m2": -5}},
            400,
            "> 0",
        ),
        (
            {"name": "X", "plan_id": "pk-1", "assumptions": {**A, "household_size": "bốn"}},
            400,
            "Quy mô hộ (người/hộ) phải là một số",
        ),
        (
            {
                "name": "X",
                "plan_id": "pk-1",
                "assumptions": {**A, "mixed_use_residential_share": 1.5},
            },
            400,
            "≤ 1",
        ),
        (
            {"name": "X", "plan_id": "pk-1", "assumptions": {**A, "date": "2026-01-01"}},
            400,
            "không cho cả hai",
        ),
        ({"name": "X", "plan_id": "pk-1", "assumptions": {**B, "date": "mai"}}, 400, "YYYY-MM-DD"),
        (
            {"name": "X", "plan_id": "pk-1", "assumptions": {**B, "date": "1990-01-01"}},
            400,
            "Không có ấn bản",
        ),
        (
            {"name": "X", "plan_id": "pk-1", "assumptions": {**A, "norm_set": "vip"}},
            400,
            "bộ chỉ tiêu «vip»",
        ),
        ({"name": "X", "plan_id": "pk-1", "assumptions": {**A, "wind": 3}}, 400, "wind"),
        (
            {"name": "X", "plan_id": "pk-1", "assumptions": {"household_size": 4}},
            400,
            "Thiếu giả định",
        ),
        ({"name": "X", "plan_id": "pk-1", "assumptions": [1]}, 400, "đối tượng JSON"),
        ({"name": "", "plan_id": "pk-1", "assumptions": A}, 400, "Tên phương án"),
        ({"name": "X", "assumptions": A}, 400, "plan_id"),
        ({"name": "X", "plan_id": "pk-1", "assumptions": A, "id": "Sai Mã"}, 400, "Mã phương án"),
        ({"name": "X", "plan_id": "pk-1", "assumptions": A, "id": "compare"}, 400, "compare"),
        ({"name": "X", "plan_id": "pk-1", "assumptions": A, "id": "pa-a"}, 409, "đã có"),
        ({"name": "X", "plan_id": "pk-1", "assumptions": A, "colour": "red"}, 400, "colour"),
        (
            {"name": "X", "plan_id": "pk-1", "assumptions": A, "illustrative": "yes"},
            400,
            "illustrative",
        ),
        ([1, 2], 400, "đối tượng JSON"),
    ],
)
def test_bad_scenarios_are_clear(
    client: TestClient, tokens: dict[str, str], body: Any, status: int, said: str
) -> None:
    r = client.post("/planning/scenarios", json=body, headers=_auth(tokens["editor"]))
    assert r.status_code == status, r.text
    assert said in r.json()["description_vi"] and r.json()["description"]


@pytest.mark.parametrize(
    ("params", "status", "said"),
    [
        ({"ids": "pa-a"}, 400, "2–6 mã"),
        ({}, 400, "2–6 mã"),
        ({"ids": "pa-a,pa-b,c,d,e,f,g"}, 400, "nhận 7"),
        ({"ids": "pa-a,pa-a"}, 400, "lặp"),
        ({"ids": "pa-a,khong-co"}, 404, "khong-co"),
        ({"ids": "pa-a,pa-b", "format": "xlsx"}, 400, "format phải là một trong"),
        ({"ids": "pa-a,pa-b", "lang": "fr"}, 400, "lang"),
    ],
)
def test_bad_comparisons_are_clear(
    client: TestClient, params: dict[str, str], status: int, said: str
) -> None:
    r = client.get("/planning/scenarios/compare", params=params)
    assert r.status_code == status, r.text
    assert said in r.json()["description_vi"] and r.json()["description"]


def test_bad_updates_write_nothing(client: TestClient, tokens: dict[str, str]) -> None:
    editor = _auth(tokens["editor"])
    bad = client.put(
        "/planning/scenarios/pa-a",
        json={"name": "Đổi tên", "assumptions": {"household_size": 0}},
        headers=editor,
    )
    assert bad.status_code == 400 and "household size" in bad.json()["description"]
    assert client.get("/planning/scenarios/pa-a").json()["name"] == "Phương án A"
    wrong = client.put("/planning/scenarios/pa-a", json={"id": "x"}, headers=editor)
    assert wrong.status_code == 400
    missing = client.put("/planning/scenarios/khong-co", json={"name": "Y"}, headers=editor)
    assert missing.status_code == 404
    media = client.post(
        "/planning/scenarios", content=b"name=x", headers={**editor, "content-type": "text/plain"}
    )
    assert media.status_code == 415


def test_domain_rules(city: Database) -> None:
    with city.read() as conn, pytest.raises(Forbidden):
        scenarios.add_scenario(
            conn,
            Principal(id=3, name="x", role="viewer"),
            {"name": "X", "plan_id": "pk-1", "assumptions": A},
        )
    fixed = scenarios.parse_assumptions(
        {k: v for k, v in A.items() if k != "edition"}, today=date(2026, 12, 31)
    )
    assert fixed.edition == "QCVN 01:2021/BXD" and fixed.date == "2026-12-31"
    with pytest.raises(InvalidInput, match="edition phải là chuỗi"):
        scenarios.parse_assumptions({**A, "edition": 2021})
    # Every norm set defines every norm the indicators use.
    keys = {frozenset(s.norms) for s in scenarios.norm_sets()}
    assert len(keys) == 1
    for s in scenarios.norm_sets():
        for norm in s.norms.values():
            assert {"value", "unit", "label", "source", "confirmed", "illustrative"} <= set(norm)
    # The service radii and green norms are data of each edition, unconfirmed.
    for e in regulations.editions():
        assert e.rules["green_public_m2_per_person"]["confirmed"] is False
    assert regulations.edition_named("QCVN 01:2021/BXD").rules["max_far"]["value"] == 13


@pytest.mark.writes
def test_cli_scenarios(saved: Database, env: dict[str, str], tmp_path: Path) -> None:
    def dothi(*args: str) -> subprocess.CompletedProcess[str]:
        full = {**os.environ, **env, "DOTHI_LANG": "en", "DOTHI_USER": "cli:kts"}
        return run_dothi(full, "planning", "scenario", *args, timeout=120)

    made = dothi(
        "add",
        "pk-1",
        "--id",
        "pa-cli",
        "--name",
        "Phương án dòng lệnh",
        "--floor-area-per-person",
        "25",
        "--household-size",
        "4",
        "--mixed-use-residential-share",
        "0.5",
        "--edition",
        "QCVN 01:2021/BXD",
    )
    assert made.returncode == 0, made.stderr
    assert "Scenario pa-cli saved" in made.stdout
    bad = dothi(
        "add",
        "pk-1",
        "--name",
        "X",
        "--floor-area-per-person",
        "0",
        "--household-size",
        "4",
        "--mixed-use-residential-share",
        "0.5",
    )
    assert bad.returncode == 1 and "floor area per person (m²) must be > 0" in bad.stderr
    listed = json.loads(dothi("list", "--plan", "pk-1", "--json").stdout)
    assert [s["id"] for s in listed] == ["pa-a", "pa-b", "pa-cli"]
    shown = dothi("show", "pa-cli", "--json")
    assert shown.returncode == 0, shown.stderr
    check_a(json.loads(shown.stdout))
    text = dothi("show", "pa-cli")
    # In English, numbers the English way (dothi.i18n.format_number), the plan by its name.
    assert "Population capacity: 2,800" in text.stdout and "QCVN 01:2021/BXD" in text.stdout
    assert "Plan: Phân khu 1/2000 (minh họa)" in text.stdout and "pk-1" not in text.stdout
    out = tmp_path / "so-sanh.csv"
    compared = dothi("compare", "pa-cli", "pa-b", "--format", "csv", "--output", str(out))
    assert compared.returncode == 0, compared.stderr
    assert out.read_bytes().startswith(b"\xef\xbb\xbf")
    pdf = tmp_path / "so-sanh.pdf"
    assert (
        dothi("compare", "pa-cli", "pa-b", "--format", "pdf", "--output", str(pdf)).returncode == 0
    )
    assert PdfReader(pdf).pages[0].extract_text().startswith("SO SÁNH PHƯƠNG ÁN")
    table = dothi("compare", "pa-cli", "pa-b")
    assert table.returncode == 0 and "Population capacity" in table.stdout
    one = dothi("compare", "pa-cli")
    assert one.returncode == 1 and "2–6 scenario ids" in one.stderr


@pytest.mark.writes
def test_hidden_layers_and_an_empty_plan(saved: Database, settings: Settings) -> None:
    from dothi.spatial.layers import update_layer

    with saved.write() as conn:
        update_layer(conn, "building", access="restricted")
        plans.add_plan(conn, "pk-trong", "Đồ án chưa có ô", "zoning")
        plans.set_status(conn, "pk-trong", "approved", decision=("9/QĐ", date(2025, 1, 1)))
        scenarios.add_scenario(
            conn,
            operator("cli:test"),
            {"id": "pa-trong", "name": "Trống", "plan_id": "pk-trong", "assumptions": A},
        )
    client = TestClient(create_app(settings, saved))
    # The public does not read the buildings: the existing population is not known (None,
    # shown "–", not 0), and the answer says so, naming the layer by its title.
    doc = client.get("/planning/scenarios/pa-a/indicators").json()
    assert doc["layers"]["not_readable"] == ["building"]
    assert doc["population"]["existing"]["people"] is None
    assert doc["population"]["growth"]["people"] is None
    assert _services(doc)["kindergarten"]["existing_share_pct"] is None
    assert doc["density"]["existing_gross_people_per_ha"] is None
    assert doc["population"]["capacity"]["people"] == pytest.approx(2800, abs=3)
    assert any("Công trình xây dựng" in n["vi"] for n in doc["notes"])
    assert not any("building" in n["en"] for n in doc["notes"] if "not used" in n["en"])
    empty = client.get("/planning/scenarios/pa-trong/indicators")
    assert empty.status_code == 200, empty.text
    e = empty.json()
    assert e["zones"]["count"] == 0 and e["population"]["capacity"]["people"] == 0
    assert e["land_use"]["rows"] == [] and e["green"]["m2_per_person"] is None
    assert all(s["share_pct"] is None for s in e["services"])
    both = client.get(
        "/planning/scenarios/compare", params={"ids": "pa-trong,pa-a", "format": "svg"}
    )
    assert both.status_code == 200
    ElementTree.fromstring(both.content)


# -- what a planner reads: population, school levels, density, differences, missing -------


@dataset(base=scenarios_saved)
def with_population(db: Database, settings: Settings, tmp_path: Path) -> None:
    """A commune of 2 km × 2 km (400 ha) around the plan with 40,000 people in 2024 and
    48,000 in 2025 (a point record: its commune gives the area), so 120 people/ha."""

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
                "geometry": _m(-300, -300, 1700, 1700),
            }
        ],
    )
    record = {
        "unit_code": "26734",
        "unit_level": "commune",
        "unit_name": "Phường Bến Thành",
        "illustrative": True,
        "geometry": Point(_xy(700, 700)),
    }
    load(
        "population",
        "record_uid",
        [
            {**record, "record_uid": "26734-2024", "year": 2024, "population": 40_000},
            {**record, "record_uid": "26734-2025", "year": 2025, "population": 48_000},
        ],
    )
    with db.write() as conn:
        scenarios.update_scenario(
            conn, operator("cli:test"), "pa-a", {"assumptions": {"urban_class": "special"}}
        )


@pytest.fixture
def peopled(with_population: None, db: Database, settings: Settings) -> TestClient:
    return TestClient(create_app(settings, db))


def test_existing_population_comes_from_the_population_layer(peopled: TestClient) -> None:
    doc = peopled.get("/planning/scenarios/pa-a/indicators").json()
    now = doc["population"]["existing"]
    # 6 ha of zones at 48,000 / 400 ha (the latest year): 720 people, not the 196 that the
    # buildings' floor area gives.
    assert now["source"] == "population"
    assert now["people"] == pytest.approx(720, abs=2)
    assert now["population_records"]["years"] == [2025]
    assert now["residential_floor_area_m2"] == pytest.approx(4900, rel=REL)  # still shown
    assert any("lớp dân số" in n["vi"] and "2025" in n["vi"] for n in doc["notes"])
    assert "population" in doc["layers"]["used"]
    # They live in the housing zones (R1, R2, M: 240 each); the kindergarten reaches R1.
    s = _services(doc)
    assert s["kindergarten"]["existing_share_pct"] == pytest.approx(100 / 3, abs=0.1)
    # Gross density: 2,800 people on 6 ha = 466.7/ha, above the special class's 120/ha.
    d = doc["density"]
    assert d["gross_people_per_ha"] == pytest.approx(466.7, abs=0.5)
    assert d["existing_gross_people_per_ha"] == pytest.approx(120, abs=0.5)
    assert d["housing_land_people_per_ha"] == pytest.approx(2800 / 3, abs=0.5)
    assert d["norm"]["urban_class"] == "special" and d["norm"]["min_people_per_ha"] == 120
    assert d["norm"]["confirmed"] is False and d["meets_norm"] is True
    # Without an urban class there is no threshold, and no verdict.
    b = peopled.get("/planning/scenarios/pa-b/indicators").json()["density"]
    assert b["norm"] is None and b["meets_norm"] is None


def test_school_levels_have_their_own_norms(client: TestClient) -> None:
    doc = client.get("/planning/scenarios/pa-a/indicators").json()
    s = _services(doc)
    # Places per 1,000 people (QCVN 01:2021/BXD, data): 50, 65, 55, 40 for 2,800 people.
    places = {k: s[k]["places_needed"] for k in s}
    assert places["kindergarten"] == 140 and places["primary_school"] == 182
    assert places["lower_secondary_school"] == 154 and places["upper_secondary_school"] == 112
    assert s["kindergarten"]["land_needed_m2"] == pytest.approx(140 * 12, abs=1)
    assert s["kindergarten"]["places_rule"]["edition"] == "QCVN 01:2021/BXD"
    assert places["clinic"] is None  # no such norm: missing, not zero
    rules = regulations.edition_named("QCVN 01:2021/BXD").rules
    assert {k for k in rules if k.startswith("places_per_1000_")} == {
        f"places_per_1000_{k}"
        for k in (
            "kindergarten",
            "primary_school",
            "lower_secondary_school",
            "upper_secondary_school",
        )
    }
    # The 2026 edition records no places: B's are missing (None), never 0.
    b = _services(client.get("/planning/scenarios/pa-b/indicators").json())
    assert b["kindergarten"]["places_needed"] is None


def test_the_comparison_says_what_differs(client: TestClient) -> None:
    doc = client.get("/planning/scenarios/compare", params={"ids": "pa-a,pa-b"}).json()
    rows = {row["key"]: row for row in doc["rows"]}
    people = rows["population.capacity.people"]
    assert people["differences"] == [people["values"][1] - people["values"][0]]
    assert people["differs"] is True
    assert rows["services.clinic.radius_m"]["differences"] == [None]  # 500 against none
    assert rows["plan.name"]["values"] == ["Phân khu 1/2000 (minh họa)"] * 2
    assert rows["plan.name"]["differs"] is False
    # B has the same plan but another edition, norm set and assumptions: a warning names
    # them, with the service radii that changed.
    [warning] = doc["warnings"]
    assert warning["scenarios"] == ["pa-a", "pa-b"]
    assert "edition.code" in warning["differs"] and "norm_set.id" in warning["differs"]
    assert "từ QCVN 01:2021/BXD thành QCVN 01:2026/BXD" in warning["vi"]
    assert "Mầm non từ 500 thành 1 000 m" in warning["vi"]
    assert "Kindergartens 500 to 1,000 m" in warning["en"]

    # The CSV and the PDF carry the difference column and the warning.
    c = client.get("/planning/scenarios/compare", params={"ids": "pa-a,pa-b", "format": "csv"})
    table = list(csv.reader(io.StringIO(c.content.decode("utf-8-sig"))))
    assert table[0][-1] == "Chênh lệch / Difference 2 - 1"
    by_key = {line[1]: line for line in table[1:]}
    assert int(by_key["population.capacity.people"][-1]) == people["differences"][0]
    p = client.get("/planning/scenarios/compare", params={"ids": "pa-a,pa-b", "format": "pdf"})
    reader = PdfReader(io.BytesIO(p.content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Chênh lệch / Difference 2 - 1" in text
    assert "không chỉ ở đồ án" in text and "khác / differs" in text
    assert "pk-1" not in text and "pa-a" not in text  # names, not ids
    assert "đã phê duyệt / approved" in text
    meta = reader.metadata
    assert meta is not None and meta.title and "Phương án A" in str(meta.subject)
    assert meta.author == "Dothi"


def test_no_warning_when_only_the_plan_differs(city: Database) -> None:
    from dothi.planning.scenarios.indicators import compare

    who = operator("cli:test")
    with city.write() as conn:
        for sid, plan in (("x1", "pk-1"), ("x2", "pk-nhap")):
            scenarios.add_scenario(
                conn, who, {"id": sid, "name": sid, "plan_id": plan, "assumptions": A}
            )
    doc = compare(city, who, ["x1", "x2"])
    assert doc["warnings"] == []
    rows = {row["key"]: row for row in doc["rows"]}
    assert rows["plan.name"]["differs"] is True
    assert rows["edition.code"]["differs"] is False


def test_missing_values_are_drawn_as_missing(client: TestClient) -> None:
    """A figure that does not exist (no service radius in the edition) is '–' and a
    hatched box, never a zero bar."""
    from dothi.planning.scenarios import report

    doc = client.get("/planning/scenarios/compare", params={"ids": "pa-a,pa-b"}).json()
    [services] = [c for c in doc["charts"] if c["key"] == "services"]
    assert None in services["values"][1]  # B: no clinic or market radius
    shapes = report.chart_shapes(services, 0, 0, 480, 300)
    dashes = [sh for sh in shapes if isinstance(sh, report.Text) and sh.text == "–"]
    hatched = [sh for sh in shapes if isinstance(sh, report.Line) and sh.colour == "#999999"]
    missing = sum(v is None for series in services["values"] for v in series)
    assert len(dashes) == missing and len(hatched) >= missing * 4
    svg = client.get("/planning/scenarios/compare", params={"ids": "pa-a,pa-b", "format": "svg"})
    assert "không có số liệu" in svg.text
