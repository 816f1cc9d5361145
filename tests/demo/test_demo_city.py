"""The demo city a citizen can read: streets and water under the map, parcels with
addresses, and accounts to sign in with."""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import importlib.util
import json
import stat
import sys
from pathlib import Path
from types import ModuleType

from click.testing import CliRunner
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from dothi.app.main import create_app
from dothi.auth.schema import account
from dothi.cli.main import cli
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.db.schema import changeset
from dothi.demo.accounts import DEMO_ACCOUNTS, ensure_demo_accounts, password_file
from dothi.demo.loader import load_demo, manifest

REPO = Path(__file__).resolve().parents[2]
BUILD = REPO / "tools" / "build_demo.py"
DATA = REPO / "src" / "dothi" / "demo" / "data"


def _features(client: TestClient, layer: str) -> list[dict]:
    body = client.get(f"/api/layers/{layer}/features", params={"limit": 1000}).json()
    return body["features"]  # type: ignore[no-any-return]


def test_demo_has_named_streets_water_green_and_parcel_addresses(
    db: Database, settings: Settings
) -> None:
    load_demo(db, settings)
    client = TestClient(create_app(settings, db))
    roads = _features(client, "road")
    assert len(roads) >= 50
    assert all(r["properties"]["name"] and r["properties"]["illustrative"] for r in roads)
    names = {r["properties"]["name"] for r in roads}
    assert {"Lê Lợi", "Nguyễn Huệ", "Đồng Khởi", "Hai Bà Trưng"} <= names
    assert not any(n.startswith(("Đường ", "Ð")) or "Ð" in n for n in names)  # Ð is not Đ
    surfaces = _features(client, "green_water")
    kinds = {(s["properties"]["category"], s["properties"]["name"]) for s in surfaces}
    assert ("water", "Sông Sài Gòn") in kinds
    assert any(category == "green" for category, _ in kinds)
    assert all(s["properties"]["illustrative"] is True for s in surfaces)
    entries = {e["layer"]: e for e in manifest()}
    assert entries["road"]["illustrative"] and entries["green_water"]["illustrative"]
    parcels = _features(client, "land_parcel")
    assert len(parcels) == entries["land_parcel"]["features"]
    wards = {"26740": "phường Sài Gòn", "27013": "phường Tây Thạnh"}
    for p in parcels:
        props = p["properties"]
        assert props["illustrative"] is True and "địa chỉ minh họa" in props["note"]
        number, _, rest = props["address"].partition(" ")
        street, _, ward = rest.partition(", ")
        assert number[0].isdigit() and street in names, props["address"]
        assert ward == wards[props["commune_code"]]
    addresses = [p["properties"]["address"] for p in parcels]
    assert len(set(addresses)) == len(addresses)


def test_address_search_finds_le_loi_parcels(db: Database, settings: Settings) -> None:
    load_demo(db, settings)
    client = TestClient(create_app(settings, db))
    for q in ("Lê Lợi", "le loi", "lê lợi phường sài gòn"):
        found = client.get("/planning/search", params={"q": q}).json()["parcels"]
        assert found, q
        assert all("Lê Lợi" in p["address"] and p["illustrative"] for p in found), q
    street = client.get("/planning/search", params={"q": "Nguyễn Huệ"}).json()["parcels"]
    assert street and all("Nguyễn Huệ" in p["address"] for p in street)


def _counts(db: Database) -> tuple[int, int]:
    with db.read() as conn:
        sets = conn.execute(select(func.count()).select_from(changeset)).scalar_one()
        accounts = conn.execute(select(func.count()).select_from(account)).scalar_one()
    return int(sets), int(accounts)


def test_demo_rerun_adds_no_change_set_and_no_account(db: Database, settings: Settings) -> None:
    load_demo(db, settings)
    first = ensure_demo_accounts(db, settings)
    assert [a.created for a in first] == [True] * len(DEMO_ACCOUNTS)
    before = _counts(db)
    load_demo(db, settings)
    again = ensure_demo_accounts(db, settings)
    assert _counts(db) == before
    assert [(a.name, a.password) for a in again] == [(a.name, a.password) for a in first]
    assert not any(a.created for a in again)


def test_demo_accounts_sign_in_with_the_kept_passwords(db: Database, settings: Settings) -> None:
    made = ensure_demo_accounts(db, settings)
    path = password_file(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    kept = json.loads(path.read_text("utf-8"))
    client = TestClient(create_app(settings, db))
    roles = {}
    for acc in made:
        assert kept[acc.name] == acc.password and len(acc.password) >= 16
        answer = client.post("/api/login", json={"name": acc.name, "password": acc.password})
        assert answer.status_code == 200, answer.text
        roles[acc.name] = answer.json()["role"]
    assert roles == {"demo-canbo": "editor", "demo-quantri": "admin"}
    wrong = client.post("/api/login", json={"name": "demo-canbo", "password": "x" * 16})
    assert wrong.status_code == 401
    # Another data folder gets passwords of its own.
    other = dataclasses.replace(settings, data_dir=settings.data_dir / "other")
    assert {a.password for a in made}.isdisjoint(
        a.password for a in ensure_demo_accounts(db, other)
    )


def test_a_lost_password_file_gives_new_passwords_that_work(
    db: Database, settings: Settings
) -> None:
    old = ensure_demo_accounts(db, settings)
    password_file(settings).unlink()
    new = ensure_demo_accounts(db, settings)
    assert not any(a.created for a in new)
    client = TestClient(create_app(settings, db))
    for before, after in zip(old, new, strict=True):
        assert before.password != after.password
        ok = client.post("/api/login", json={"name": after.name, "password": after.password})
        assert ok.status_code == 200
        stale = client.post("/api/login", json={"name": before.name, "password": before.password})
        assert stale.status_code == 401


def test_demo_command_prints_how_to_sign_in(
    db: Database, settings: Settings, env: dict[str, str]
) -> None:
    runner = CliRunner()
    vi = {**env, "DOTHI_LANG": "vi"}
    first = runner.invoke(cli, ["demo", "--no-serve"], env=vi)
    assert first.exit_code == 0, first.output
    kept = json.loads(password_file(settings).read_text("utf-8"))
    assert "http://127.0.0.1:8000/map" in first.output
    for name, password in kept.items():
        assert f"tên {name}, mật khẩu {password}" in first.output
    assert str(password_file(settings)) in first.output
    again = runner.invoke(cli, ["demo", "--no-serve"], env=vi)
    assert again.exit_code == 0 and all(p in again.output for p in kept.values())


def _build_module() -> ModuleType:
    sys.path.insert(0, str(BUILD.parent))
    try:
        spec = importlib.util.spec_from_file_location("build_demo", BUILD)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(BUILD.parent))
    return module


def test_build_schema_check_takes_x_annotations_and_refuses_unknown_keywords() -> None:
    build = _build_module()
    schemas = build.load_schemas()  # the shipped schemas carry x-value-labels
    road = json.loads(json.dumps(schemas["road"]))
    codes = [
        c["code"]
        for c in json.loads((build.SCHEMA_DIR / "land_use_codes.json").read_text())["codes"]
    ]
    assert build.check_schema_doc(road, codes) == []
    road["schema"]["properties"]["name"]["default"] = "x"
    assert build.check_schema_doc(road, codes) == ["road.name: unsupported keywords ['default']"]


def test_shipped_files_are_the_ones_the_manifest_names() -> None:
    # The build (tools/build_demo.py, from the shared open data) writes the digest of each
    # file's GeoJSON into the manifest; a file edited by hand, or a build half-copied, no
    # longer matches it.
    doc = json.loads((DATA / "manifest.json").read_text(encoding="utf-8"))
    for entry in doc["layers"]:
        digest = hashlib.sha256(gzip.decompress((DATA / entry["file"]).read_bytes())).hexdigest()
        assert digest == entry["sha256"], entry["file"]
