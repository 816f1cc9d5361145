"""The demo city loads completely, twice without change, and is served."""

from __future__ import annotations

from fastapi.testclient import TestClient

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
