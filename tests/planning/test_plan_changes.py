"""A draft adjustment against the plan in force: zone by zone before → after (API, GeoJSON,
CLI, sheet), the lookup that keeps rules in force apart from proposals, the plan's zones in
natural order, and the plan's documents (upload by officials, public download)."""

from __future__ import annotations

import base64
import io
from datetime import date
from pathlib import Path
from typing import Any

import pypdf
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from prepared import dataset
from samples import ORIGIN, write_geojson
from shapely.geometry import box

from dothi.app.main import create_app
from dothi.auth.accounts import create_account
from dothi.auth.audit import list_audit
from dothi.auth.tokens import create_token
from dothi.cli.main import cli
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.errors import InvalidInput
from dothi.planning import plans
from dothi.planning.changes import natural_key
from dothi.planning.consultation import comments as cs
from dothi.planning.consultation.documents import MAX_DOCUMENT_BYTES
from dothi.spatial.importer import ImportOptions, import_file

X0, Y0 = ORIGIN[0] + 0.1, ORIGIN[1] + 0.1
W = 0.002


def _cell(i: int, grow: float = 0.0) -> Any:
    return box(X0 + i * W, Y0, X0 + (i + 1) * W + grow, Y0 + W)


def _zone(plan_id: str, code: str, cell: Any, **rules: Any) -> dict[str, Any]:
    values = {"land_use_function": "residential", "max_coverage_pct": 60, "min_floors": 2}
    values |= {"max_floors": 6, "max_far": 3.0}
    return {
        "zone_uid": f"{plan_id}-{code}",
        "zone_code": code,
        "plan_id": plan_id,
        "plan_decision_no": "?",
        "plan_decision_date": "2026-01-01",
        "plan_level": "zoning",
        "illustrative": True,
        **values,
        **rules,
        "geometry": cell,
    }


@dataset
def draft_city(db: Database, settings: Settings, tmp_path: Path) -> dict[str, str]:
    """``qh-2026`` in force (zones BT-2, BT-3, BT-11); its draft ``qh-2027`` in consultation
    changes BT-11 (taller, denser), turns BT-2 into a park and moves its edge, drops BT-3
    and adds BT-20. An editor's token."""
    today = cs.today_in_vietnam()
    with db.write() as conn:
        plans.add_plan(conn, "qh-2026", "Phân khu trung tâm / Central zoning plan", "zoning")
        plans.set_status(conn, "qh-2026", "approved", decision=("12/QĐ-UBND", date(2026, 1, 5)))
        plans.add_plan(
            conn,
            "qh-2027",
            "Điều chỉnh phân khu trung tâm / Central zoning plan, adjusted",
            "zoning",
            supersedes="qh-2026",
        )
        plans.set_status(
            conn, "qh-2027", "consultation", consultation=(today, date(today.year + 1, 12, 31))
        )
        plans.add_plan(conn, "qh-nhap", "Bản nháp", "zoning")
        create_account(conn, "kts", "editor")
        token = create_token(conn, "kts", "hồ sơ")[0]
    zones = [
        _zone("qh-2026", "BT-11", _cell(0)),
        _zone("qh-2026", "BT-2", _cell(1)),
        _zone("qh-2026", "BT-3", _cell(2)),
        _zone("qh-2027", "BT-11", _cell(0), max_floors=9, max_far=4.5),
        _zone(
            "qh-2027",
            "BT-2",
            _cell(1, grow=W / 2),
            land_use_function="green_public",
            max_coverage_pct=5,
            min_floors=0,
            max_floors=1,
            max_far=0.05,
        ),
        _zone("qh-2027", "BT-20", _cell(4), land_use_function="education"),
    ]
    path = write_geojson(tmp_path / "zones.geojson", zones)
    import_file(db, settings, path, ImportOptions(layer_id="planning_zone", key="zone_uid"))
    parcel = {
        "parcel_uid": "p-11",
        "sheet_no": 3,
        "parcel_no": 7,
        "commune_code": "26734",
        "land_use_code": "ODT",
        "area_m2": 1000.0,
        "geometry": box(X0 + W / 4, Y0 + W / 4, X0 + W / 2, Y0 + W / 2),
    }
    path = write_geojson(tmp_path / "parcel.geojson", [parcel])
    import_file(db, settings, path, ImportOptions(layer_id="land_parcel", key="parcel_uid"))
    return {"editor": token}


@pytest.fixture
def http(draft_city: dict[str, str], db: Database, settings: Settings) -> TestClient:
    return TestClient(create_app(settings, db))


def _editor(draft_city: dict[str, str]) -> dict[str, str]:
    return {"Authorization": f"Bearer {draft_city['editor']}"}


def test_natural_order() -> None:
    codes = ["BT-11", "BT-2", "bt-3", "A", "BT-2a", "SG-01"]
    assert sorted(codes, key=natural_key) == ["A", "BT-2", "BT-2a", "bt-3", "BT-11", "SG-01"]


def test_changes_zone_by_zone(http: TestClient) -> None:
    doc = http.get("/planning/plans/qh-2027/changes").json()
    assert doc["plan"]["status"] == "consultation" and doc["plan"]["in_force"] is False
    assert doc["base"]["id"] == "qh-2026" and doc["base"]["in_force"] is True
    assert doc["counts"] == {"changed": 2, "added": 1, "removed": 1, "unchanged": 0, "zones": 3}
    zones = {z["zone_code"]: z for z in doc["zones"]}
    assert [z["zone_code"] for z in doc["zones"]] == ["BT-2", "BT-3", "BT-11", "BT-20"]
    floors, far = zones["BT-11"]["fields"]
    assert (floors["field"], floors["before"], floors["after"]) == ("max_floors", 6, 9)
    assert far["difference"] == pytest.approx(1.5) and far["after_text"]["vi"] == "4,5"
    assert far["title"]["vi"] == "Hệ số sử dụng đất tối đa (lần)"
    assert far["text"]["vi"] == "Hệ số sử dụng đất tối đa (lần): 3 → 4,5"
    park = zones["BT-2"]
    function = park["fields"][0]
    assert function["before_text"]["vi"] == "Đất ở"
    assert function["after_text"]["vi"] == "Đất cây xanh sử dụng công cộng"
    assert park["boundary_changed"] is True
    area = next(f for f in park["fields"] if f["field"] == "area_m2")
    assert area["after"] == pytest.approx(area["before"] * 1.5, rel=1e-3)
    assert zones["BT-3"]["change"] == "removed" and zones["BT-3"]["after_uid"] is None
    assert zones["BT-20"]["change"] == "added"
    assert zones["BT-20"]["summary"]["vi"] == "Ô mới: Đất giáo dục"
    # Against any other plan, by name; not against itself.
    same = http.get("/planning/plans/qh-2027/changes?against=qh-2027")
    assert same.status_code == 400
    assert http.get("/planning/plans/qh-2027/changes?against=khong-co").status_code == 404
    assert http.get("/planning/plans/qh-2027/changes?f=xml").status_code == 400
    assert http.get("/planning/plans/qh-nhap/changes").status_code == 404  # drafts: planners


def test_changes_as_geojson(http: TestClient) -> None:
    r = http.get("/planning/plans/qh-2027/changes", params={"f": "geojson"})
    assert r.headers["content-type"] == "application/geo+json"
    doc = r.json()
    assert doc["type"] == "FeatureCollection" and doc["counts"]["changed"] == 2
    sides = {(f["properties"]["zone_code"], f["properties"]["side"]) for f in doc["features"]}
    assert sides == {
        ("BT-2", "before"),
        ("BT-2", "after"),
        ("BT-3", "before"),
        ("BT-11", "before"),
        ("BT-11", "after"),
        ("BT-20", "after"),
    }
    status = {f["properties"]["side"]: f["properties"]["plan_status"] for f in doc["features"]}
    assert status == {"before": "approved", "after": "consultation"}
    accept = http.get("/planning/plans/qh-2027/changes", headers={"Accept": "application/geo+json"})
    assert accept.json()["type"] == "FeatureCollection"


def test_plan_zones_in_natural_order_with_their_status(http: TestClient) -> None:
    doc = http.get("/planning/plans/qh-2026/zones").json()
    assert [f["properties"]["zone_code"] for f in doc["features"]] == ["BT-2", "BT-3", "BT-11"]
    first = doc["features"][0]["properties"]
    assert first["plan_status"] == "approved" and first["in_force"] is True
    assert first["function_text_vi"] == "Đất ở" and first["function_text_en"] == "Residential"
    draft = http.get("/planning/plans/qh-2027/zones").json()
    assert {f["properties"]["plan_status"] for f in draft["features"]} == {"consultation"}
    assert draft["plan"]["status_label"]["vi"] == "Dự thảo đang lấy ý kiến (chưa có hiệu lực)"


def test_lookup_keeps_rules_in_force_apart_from_proposals(http: TestClient) -> None:
    at = {"lon": X0 + W / 3, "lat": Y0 + W / 3}
    doc = http.get("/planning/lookup", params=at).json()
    [rule] = doc["zones"]
    assert rule["zone_code"] == "BT-11" and rule["rules"]["max_far"] == 3.0
    assert rule["plan"]["id"] == "qh-2026" and rule["plan"]["in_force"] is True
    assert rule["plan"]["status"] == "approved" and rule["plan"]["decision_no"] == "12/QĐ-UBND"
    assert rule["plan"]["status_label"]["en"] == "Approved, in force"
    assert rule["plan"]["name_label"] == {
        "vi": "Phân khu trung tâm",
        "en": "Central zoning plan",
    }
    assert rule["function"]["label"]["vi"] == "Đất ở"
    [proposal] = doc["proposed_zones"]
    assert "rules" not in proposal and proposal["proposed_rules"]["max_far"] == 4.5
    assert proposal["plan"]["status"] == "consultation" and proposal["plan"]["in_force"] is False
    assert proposal["plan"]["decision_no"] is None  # a draft has no decision yet
    assert proposal["replaces"]["zone_code"] == "BT-11"
    assert proposal["replaces"]["plan"]["id"] == "qh-2026"
    assert proposal["change"] == "changed"
    assert [c["text"]["vi"] for c in proposal["changes"]] == [
        "Tầng cao tối đa: 6 → 9",
        "Hệ số sử dụng đất tối đa (lần): 3 → 4,5",
    ]
    # The envelope is the rules in force, not the proposal's.
    assert doc["envelope"]["max_floor_area_m2"] == pytest.approx(doc["parcel_area_m2"] * 3, 1e-3)
    # A new zone where none was in force.
    new = http.get("/planning/lookup", params={"lon": X0 + 4.5 * W, "lat": Y0 + W / 2}).json()
    assert new["zones"] == [] and new["proposed_zones"][0]["change"] == "added"


def test_sheet_shows_plan_status_and_proposals(http: TestClient) -> None:
    pdf = http.get("/planning/sheet", params={"lon": X0 + W / 3, "lat": Y0 + W / 3})
    assert pdf.status_code == 200, pdf.text
    text = " ".join(pypdf.PdfReader(io.BytesIO(pdf.content)).pages[0].extract_text().split())
    for expected in (
        "Phân khu trung tâm. Quyết định / Decision: 12/QĐ-UBND ngày 5 tháng 1 năm 2026. "
        "Đã phê duyệt, đang có hiệu lực",
        "Đề xuất đang lấy ý kiến (chưa có hiệu lực)",
        "Dự thảo đang lấy ý kiến (chưa có hiệu lực)",
        "Tầng cao tối đa: hiện 6, đề xuất 9",
        "Max land-use coefficient (FAR): now 3, proposed 4.5",
    ):
        assert expected in text, (expected, text)
    assert "qh-2027" not in text and "max_far" not in text


def test_cli_changes_and_lookup(http: TestClient, env: dict[str, str]) -> None:
    runner = CliRunner()
    vi = {**env, "DOTHI_LANG": "vi"}
    done = runner.invoke(cli, ["planning", "changes", "qh-2027"], env=vi)
    assert done.exit_code == 0, done.output
    out = done.output
    assert "Điều chỉnh phân khu trung tâm" in out and "So với: Phân khu trung tâm" in out
    assert "2 ô điều chỉnh, 1 ô mới, 1 ô bỏ, 0 ô giữ nguyên" in out
    assert "BT-11" in out and "Hệ số sử dụng đất tối đa (lần): 3 → 4,5" in out
    assert "Đất ở → Đất cây xanh sử dụng công cộng" in out
    assert out.index("BT-2 ") < out.index("BT-11")  # natural order
    as_json = runner.invoke(cli, ["planning", "changes", "qh-2027", "--json"], env=vi)
    assert '"changed": 2' in as_json.output
    looked = runner.invoke(
        cli, ["planning", "lookup", "--lon", str(X0 + W / 3), "--lat", str(Y0 + W / 3)], env=vi
    )
    assert looked.exit_code == 0, looked.output
    text = looked.output
    assert "Quy hoạch đang có hiệu lực:" in text and "Đã phê duyệt, đang có hiệu lực" in text
    assert "Đề xuất (chưa có hiệu lực), ô BT-11" in text and "Tầng cao tối đa: 6 → 9" in text
    assert "quyết định 12/QĐ-UBND ngày 05/01/2026" in text
    missing = runner.invoke(cli, ["planning", "changes", "khong-co"], env=vi)
    assert missing.exit_code != 0


# -- The plan's documents -----------------------------------------------------------------

PDF = b"%PDF-1.4\n% thuyet minh\n%%EOF\n"


def _doc(**over: Any) -> dict[str, Any]:
    doc = {
        "title": "Thuyết minh tổng hợp",
        "kind": "report",
        "name": "thuyết minh.pdf",
        "media_type": "application/pdf",
        "content_base64": base64.b64encode(PDF).decode(),
    }
    return doc | over


def test_documents_upload_list_download(
    http: TestClient, draft_city: dict[str, str], db: Database
) -> None:
    path = "/planning/plans/qh-2027/documents"
    assert http.post(path, json=_doc()).status_code == 403  # the public does not upload
    made = http.post(path, json=_doc(), headers=_editor(draft_city))
    assert made.status_code == 201, made.text
    assert made.json()["kind_label"]["vi"] == "Thuyết minh"
    listed = http.get(path).json()["documents"]  # public: the plan is in consultation
    assert [(d["title"], d["name"], d["size"]) for d in listed] == [
        ("Thuyết minh tổng hợp", "thuyết minh.pdf", len(PDF))
    ]
    got = http.get(f"{path}/{listed[0]['id']}")
    assert got.content == PDF and got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith("attachment")
    assert got.headers["x-content-type-options"] == "nosniff"
    assert http.get(f"{path}/999").status_code == 404
    assert http.get(f"/planning/plans/qh-2026/documents/{listed[0]['id']}").status_code == 404
    # A draft's documents are the planners' until it is published.
    hidden = "/planning/plans/qh-nhap/documents"
    assert http.post(hidden, json=_doc(), headers=_editor(draft_city)).status_code == 201
    assert http.get(hidden).status_code == 404
    assert len(http.get(hidden, headers=_editor(draft_city)).json()["documents"]) == 1
    with db.read() as conn:
        log = [e for e in list_audit(conn) if e.action == "plan_document_upload"]
    assert [e.target for e in log] == [
        f"plan:qh-nhap:document:{listed[0]['id'] + 1}",
        f"plan:qh-2027:document:{listed[0]['id']}",
    ]


@pytest.mark.parametrize(
    ("over", "status", "words"),
    [
        ({"name": "ban-ve.dwg", "media_type": "image/vnd.dwg"}, 415, "ảnh JPG, PNG hoặc tệp PDF"),
        ({"name": "anh.jpg", "media_type": "image/jpeg"}, 415, "không phải ảnh JPG thật"),
        ({"title": " "}, 400, "Tiêu đề tài liệu"),
        ({"kind": "memo"}, 400, "thuyết minh, bản vẽ"),
        (
            {"content_base64": base64.b64encode(PDF + b"0" * MAX_DOCUMENT_BYTES).decode()},
            413,
            "tối đa 20 MiB",
        ),
    ],
)
def test_bad_documents_store_nothing(
    http: TestClient, draft_city: dict[str, str], over: dict[str, Any], status: int, words: str
) -> None:
    path = "/planning/plans/qh-2027/documents"
    r = http.post(path, json=_doc(**over), headers=_editor(draft_city))
    assert r.status_code == status, r.text
    assert words in r.json()["description_vi"]
    assert http.get(path).json()["documents"] == []


def test_cli_documents(http: TestClient, env: dict[str, str], tmp_path: Path) -> None:
    runner = CliRunner()
    vi = {**env, "DOTHI_LANG": "vi"}
    drawing = tmp_path / "ban-ve.pdf"
    drawing.write_bytes(PDF)
    args = ["planning", "consultation", "upload", "qh-2027", str(drawing)]
    done = runner.invoke(cli, [*args, "--title", "Bản vẽ quy hoạch", "--kind", "drawing"], env=vi)
    assert done.exit_code == 0, done.output
    listed = runner.invoke(cli, ["planning", "consultation", "documents", "qh-2027"], env=vi)
    assert "Bản vẽ" in listed.output and "ban-ve.pdf" in listed.output
    wrong = tmp_path / "ghi-chu.txt"
    wrong.write_text("không phải PDF")
    bad = runner.invoke(cli, [*args[:-1], str(wrong), "--title", "Ghi chú"], env=vi)
    assert isinstance(bad.exception, InvalidInput)
    assert "chỉ nhận ảnh JPG, PNG hoặc tệp PDF" in bad.exception.vi
