"""The demo city loads completely, twice without change, and is served."""

from __future__ import annotations

from fastapi.testclient import TestClient
from shapely.geometry import shape

from dothi.app.main import create_app
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.demo.loader import load_demo, manifest
from dothi.spatial.layers import feature_counts, list_layers


def test_demo_loads_every_layer_and_is_idempotent(db: Database, settings: Settings) -> None:
    entries = manifest()
    reports = load_demo(db, settings)
    assert [r.layer_id for r in reports] == [e["layer"] for e in entries]
    with db.read() as conn:
        counts = feature_counts(conn)
        layers = {ly.id: ly for ly in list_layers(conn)}
    for e in entries:
        assert counts[e["layer"]] == e["features"], e["layer"]
        assert layers[e["layer"]].license == e["license"] and layers[e["layer"]].attribution
    assert all(r.rejected == 0 for r in reports)
    again = load_demo(db, settings)
    assert sum(r.unchanged for r in again) == sum(e["features"] for e in entries)
    assert sum(r.inserted + r.updated for r in again) == 0
    client = TestClient(create_app(settings, db))
    body = client.get("/api/layers").json()
    ids = {ly["id"] for ly in body["layers"]}
    assert {"admin_province", "admin_commune", "building", "planning_zone"} <= ids
    zone = client.get("/api/layers/planning_zone/features", params={"limit": 1}).json()
    assert zone["features"][0]["properties"]["illustrative"] is True
    ward = client.get(
        "/api/layers/admin_commune/features", params={"bbox": "106.698,10.772,106.699,10.773"}
    ).json()
    assert any("Bến Thành" in f["properties"]["name"] for f in ward["features"])


def test_demo_plans_constraints_and_consultation(db: Database, settings: Settings) -> None:
    load_demo(db, settings)
    load_demo(db, settings)  # a second run adds no plan or comment
    client = TestClient(create_app(settings, db))
    listed = {p["id"]: p for p in client.get("/planning/plans").json()["plans"]}
    assert listed["minh-hoa-2026"]["status"] == "approved"
    draft = listed["minh-hoa-2027"]
    assert draft["status"] == "consultation" and draft["supersedes"] == "minh-hoa-2026"
    assert "MINH HỌA" in draft["name"]
    comments = client.get("/planning/plans/minh-hoa-2027/comments").json()["comments"]
    assert len(comments) == 3 and sum(1 for c in comments if c["answer"]) == 2
    # A point inside a zone: the 2026 zone applies, the 2027 draft's zone is proposed.
    zone = client.get(
        "/api/layers/planning_zone/features",
        params={"limit": 1, "bbox": "106.69,10.77,106.70,10.78"},
    ).json()["features"][0]
    inside = shape(zone["geometry"]).representative_point()
    answer = client.get("/planning/lookup", params={"lon": inside.x, "lat": inside.y}).json()
    assert [z["properties"]["plan_id"] for z in answer["zones"]] == ["minh-hoa-2026"]
    assert [z["properties"]["plan_id"] for z in answer["proposed_zones"]] == ["minh-hoa-2027"]
    kinds = {
        f["properties"]["kind"]
        for f in client.get("/api/layers/planning_constraint/features").json()["features"]
    }
    assert kinds == {"road_red_line", "heritage_buffer"}
