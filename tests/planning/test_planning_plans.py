"""Plans (đồ án quy hoạch): life cycle, visibility, and which zones a lookup shows."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from live import run_dothi
from prepared import dataset
from samples import ORIGIN, square, write_geojson
from shapely.geometry import box, shape

from dothi.app.main import create_app
from dothi.auth.accounts import create_account
from dothi.auth.audit import list_audit
from dothi.auth.tokens import create_token
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.errors import Conflict, InvalidInput, NotFound
from dothi.planning import plans
from dothi.spatial.importer import ImportOptions, import_file
from dothi.spatial.layers import update_layer

PERIOD = (date(2026, 11, 1), date(2026, 12, 31))


def test_life_cycle_and_supersession(db: Database) -> None:
    with db.write() as conn:
        old = plans.add_plan(conn, "qh-2015", "Phân khu trung tâm 2015", "zoning", scale="1/2000")
        assert old.status == "draft" and old.scale == "1/2000"
        plans.set_status(conn, "qh-2015", "approved", decision=("6708/QĐ-UBND", date(2015, 12, 29)))
        new = plans.add_plan(
            conn, "qh-2024", "Điều chỉnh phân khu trung tâm", "zoning", supersedes="qh-2015"
        )
        with pytest.raises(InvalidInput, match="ngày bắt đầu và ngày kết thúc"):
            plans.set_status(conn, "qh-2024", "consultation")
        moved = plans.set_status(conn, "qh-2024", "consultation", consultation=PERIOD)
        assert moved.consultation_to == PERIOD[1]
        assert plans.get_plan(conn, "qh-2015").status == "approved"  # not yet replaced
        with pytest.raises(InvalidInput, match="số và ngày của quyết định"):
            plans.set_status(conn, "qh-2024", "approved")
        plans.set_status(conn, "qh-2024", "approved", decision=("1234/QĐ-UBND", date(2026, 1, 5)))
        assert plans.get_plan(conn, "qh-2015").status == "superseded"  # kept, not deleted
        assert [p.id for p in plans.list_plans(conn)] == ["qh-2015", "qh-2024"]
        assert new.supersedes == "qh-2015"
        with pytest.raises(Conflict, match="superseded, không chuyển sang draft"):
            plans.set_status(conn, "qh-2015", "draft")
        with pytest.raises(Conflict):
            plans.add_plan(conn, "qh-2024", "Trùng", "zoning")
        with pytest.raises(InvalidInput, match="Mã đồ án"):
            plans.add_plan(conn, "QH 2030", "Sai mã", "zoning")
        with pytest.raises(InvalidInput, match="Cấp quy hoạch"):
            plans.add_plan(conn, "qh-2030", "Sai cấp", "regional")
        with pytest.raises(NotFound):
            plans.add_plan(conn, "qh-2031", "Thay thế cái không có", "zoning", supersedes="khong")


@dataset
def plans_and_zones(db: Database, settings: Settings, tmp_path: Path) -> str:
    with db.write() as conn:
        plans.add_plan(conn, "qh-cu", "Quy hoạch cũ", "zoning")
        plans.set_status(conn, "qh-cu", "approved", decision=("1/QĐ", date(2010, 1, 1)))
        plans.add_plan(conn, "qh-moi", "Quy hoạch mới", "zoning")
        plans.set_status(conn, "qh-moi", "consultation", consultation=PERIOD)
        plans.add_plan(conn, "qh-nhap", "Bản nháp", "detailed")
        create_account(conn, "kts", "editor")
        token = create_token(conn, "kts", "quy hoạch")[0]
    area = box(ORIGIN[0] - 0.01, ORIGIN[1] - 0.01, ORIGIN[0] + 0.01, ORIGIN[1] + 0.01)
    common = {"land_use_function": "residential", "plan_decision_no": "?", "illustrative": True}
    common |= {"plan_decision_date": "2010-01-01", "plan_level": "zoning"}
    zones = [
        {
            "zone_uid": f"z-{pid}",
            "zone_code": pid,
            "plan_id": pid,
            "max_far": far,
            "max_coverage_pct": 50,
            **common,
            "geometry": area,
        }
        for pid, far in (("qh-cu", 3.0), ("qh-moi", 5.0), ("qh-nhap", 9.0))
    ]
    path = write_geojson(tmp_path / "z.geojson", zones)
    import_file(db, settings, path, ImportOptions(layer_id="planning_zone", key="zone_uid"))
    parcel = [
        {
            "parcel_uid": "p1",
            "sheet_no": 1,
            "parcel_no": 1,
            "commune_code": "26734",
            "land_use_code": "ODT",
            "area_m2": 3000.0,
            "geometry": square(0),
        }
    ]
    path = write_geojson(tmp_path / "p.geojson", parcel)
    import_file(db, settings, path, ImportOptions(layer_id="land_parcel", key="parcel_uid"))
    return token


@pytest.fixture
def client(plans_and_zones: str, db: Database, settings: Settings) -> tuple[TestClient, str]:
    return TestClient(create_app(settings, db)), plans_and_zones


def test_lookup_shows_plans_in_force_and_in_consultation(
    client: tuple[TestClient, str],
) -> None:
    http, _ = client
    params = {"commune": "26734", "sheet_no": "1", "parcel_no": "1"}
    doc: dict[str, Any] = http.get("/planning/lookup", params=params).json()
    assert [z["zone_uid"] for z in doc["zones"]] == ["z-qh-cu"]
    assert [z["zone_uid"] for z in doc["proposed_zones"]] == ["z-qh-moi"]  # draft not shown
    assert doc["envelope"]["max_floor_area_m2"] == pytest.approx(
        doc["parcel_area_m2"] * 3, rel=1e-3
    )


def test_drafts_are_for_planners_only(client: tuple[TestClient, str]) -> None:
    http, token = client
    public = [p["id"] for p in http.get("/planning/plans").json()["plans"]]
    assert public == ["qh-cu", "qh-moi"]
    mine = http.get("/planning/plans", headers={"Authorization": f"Bearer {token}"}).json()
    assert [p["id"] for p in mine["plans"]] == ["qh-cu", "qh-moi", "qh-nhap"]
    one = http.get("/planning/plans/qh-moi").json()
    assert one["status"] == "consultation" and one["consultation_to"] == "2026-12-31"
    assert http.get("/planning/plans/qh-nhap").status_code == 404
    assert http.get("/planning/plans/khong-co").status_code == 404


def test_cli_plans(db: Database, env: dict[str, str]) -> None:
    def dothi(*args: str) -> subprocess.CompletedProcess[str]:
        full = {**os.environ, **env, "DOTHI_LANG": "en", "DOTHI_USER": "cli:kts"}
        return run_dothi(full, "planning", "plan", *args, timeout=120)

    made = dothi("add", "qh-q1", "--name", "Phân khu Quận 1 cũ", "--level", "zoning")
    assert made.returncode == 0 and "Plan qh-q1 registered (draft)." in made.stdout
    early = dothi("status", "qh-q1", "consultation", "--from", "2026-12-01")
    assert early.returncode == 1 and "start and an end" in early.stderr
    bad_day = dothi("status", "qh-q1", "approved", "--decision-no", "1", "--decision-date", "x")
    assert bad_day.returncode == 1 and "YYYY-MM-DD" in bad_day.stderr
    ok = dothi(
        "status",
        "qh-q1",
        "approved",
        "--decision-no",
        "99/QĐ-UBND",
        "--decision-date",
        "2026-10-01",
    )
    # The status in words, not its code.
    assert ok.returncode == 0 and "Plan qh-q1: Approved, in force." in ok.stdout
    listed = json.loads(dothi("list", "--json").stdout)
    assert listed[0]["decision_no"] == "99/QĐ-UBND" and listed[0]["decision_date"] == "2026-10-01"
    with db.read() as conn:
        log = list_audit(conn)
    assert [e.action for e in log] == ["plan_status", "plan_create"]
    assert {e.actor for e in log} == {"cli:kts"}


def test_plan_boundary_is_the_union_of_its_zones(
    client: tuple[TestClient, str], db: Database, settings: Settings, tmp_path: Path
) -> None:
    http, token = client
    with db.write() as conn:
        plans.add_plan(conn, "qh-ghep", "Hai ô liền nhau", "detailed")
        plans.set_status(conn, "qh-ghep", "approved", decision=("2/QĐ", date(2020, 1, 1)))
    x, y = ORIGIN[0] + 0.05, ORIGIN[1] + 0.05
    common = {"land_use_function": "residential", "plan_id": "qh-ghep", "illustrative": True}
    common |= {"plan_decision_no": "2/QĐ", "plan_decision_date": "2020-01-01"}
    zones = [
        {
            "zone_uid": "g1",
            "zone_code": "G1",
            **common,
            "plan_level": "detailed",
            "geometry": box(x, y, x + 0.001, y + 0.001),
        },
        {
            "zone_uid": "g2",
            "zone_code": "G2",
            **common,
            "plan_level": "detailed",
            "geometry": box(x + 0.001, y, x + 0.002, y + 0.001),
        },
    ]
    path = write_geojson(tmp_path / "g.geojson", zones)
    import_file(db, settings, path, ImportOptions(layer_id="planning_zone", key="zone_uid"))
    doc = http.get("/planning/plans/qh-ghep/boundary").json()
    assert doc["type"] == "Feature" and doc["properties"]["zones"] == 2
    assert doc["geometry"]["type"] == "Polygon"  # the shared edge is gone
    minx, miny, maxx, maxy = shape(doc["geometry"]).bounds
    assert (minx, miny, maxx, maxy) == pytest.approx((x, y, x + 0.002, y + 0.001))
    one = http.get("/planning/plans/qh-cu/boundary").json()["properties"]["area_m2"]
    assert doc["properties"]["area_m2"] == pytest.approx(one / 200, rel=1e-2)  # 0.002² vs 0.02²
    assert http.get("/planning/plans/qh-nhap/boundary").status_code == 404  # a draft
    auth = {"Authorization": f"Bearer {token}"}
    assert (
        http.get("/planning/plans/qh-nhap/boundary", headers=auth).json()["properties"]["zones"]
        == 1
    )
    with db.write() as conn:
        update_layer(conn, "planning_zone", access="restricted")
    hidden = http.get("/planning/plans/qh-ghep/boundary").json()
    assert hidden["geometry"] is None and hidden["properties"]["zones"] == 0
