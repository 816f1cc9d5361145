"""Officials' data work over HTTP: a file's preview and suggested mapping, an import of an
uploaded Shapefile, layers retitled, opened, deleted and restored — with who may, and the
audit log."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prepared import dataset
from samples import land_parcel, parcels, write_geojson, write_ogr, zip_folder

from dothi.app import data_routes
from dothi.app.main import create_app
from dothi.auth.accounts import create_account, grant
from dothi.auth.audit import list_audit
from dothi.auth.tokens import create_token
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.spatial.importer import ImportOptions, import_file
from dothi.spatial.layers import feature_counts, find_layer

TOKENS = ("admin", "editor", "viewer", "granted")


@dataset
def officials(db: Database, settings: Settings, tmp_path: Path) -> dict[str, str]:
    path = write_geojson(tmp_path / "p.geojson", parcels(3))
    opts = ImportOptions("thua", new_layer=True, key="ma", title_vi="Thửa mẫu", title_en="Parcels")
    import_file(db, settings, path, opts)
    tokens = {}
    with db.write() as conn:
        create_account(conn, "an", "admin")
        create_account(conn, "binh", "editor")
        create_account(conn, "chi", "viewer")
        create_account(conn, "dung", "editor")
        grant(conn, "dung", "thua", edit=True)
        for name, role in zip(("an", "binh", "chi", "dung"), TOKENS, strict=True):
            tokens[role], _ = create_token(conn, name, "test")
    return tokens


@pytest.fixture
def client(officials: dict[str, str], db: Database, settings: Settings) -> TestClient:
    return TestClient(create_app(settings, db))


def _auth(tokens: dict[str, str], who: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens[who]}"}


def _parcel_shapefile(tmp_path: Path, n: int = 3) -> Path:
    """``land_parcel`` rows as a zipped Shapefile: DBF cuts ``commune_code`` to
    ``commune_co`` and ``land_use_code`` to ``land_use_c``."""
    folder = tmp_path / "shp"
    folder.mkdir()
    with pytest.warns(RuntimeWarning, match="laundered field name"):
        write_ogr(
            folder / "thua_dat.shp",
            [land_parcel(i) for i in range(n)],
            driver="ESRI Shapefile",
        )
    return zip_folder(folder, tmp_path / "thua_dat.zip")


def _send(path: Path, **fields: str) -> dict[str, Any]:
    return {"files": {"file": (path.name, path.read_bytes())}, "data": fields}


def _uploads_left(settings: Settings) -> list[Path]:
    folder = settings.data_dir / "uploads"
    return list(folder.iterdir()) if folder.exists() else []


def test_preview_of_a_shapefile_suggests_the_fields_of_truncated_names(
    client: TestClient, officials: dict[str, str], db: Database, settings: Settings, tmp_path: Path
) -> None:
    shp = _parcel_shapefile(tmp_path)
    r = client.post(
        "/api/imports/preview",
        headers=_auth(officials, "admin"),
        **_send(shp, layer="land_parcel"),
    )
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["file"]["features"] == 3 and doc["file"]["format"] == "ESRI Shapefile"
    assert doc["file"]["crs"]["spec"] == "EPSG:4326"
    assert doc["layer"]["state"] == "core"
    columns = {c["name"]: c for c in doc["columns"]}
    assert columns["commune_co"]["suggested"] == "commune_code"
    assert columns["commune_co"]["how_label"]["vi"] == "tên bị cắt còn 10 ký tự"
    assert columns["commune_co"]["samples"] == ["26734"] * 3
    assert columns["parcel_uid"]["how"] == "same"
    # land_use_c may be land_use_code or land_use_code_generation: the person chooses.
    assert columns["land_use_c"]["how"] == "kept"
    assert doc["mapping_problem"]["code"] == "AmbiguousColumn"
    fields = {f["name"]: f["title"] for f in doc["layer"]["fields"]}
    assert fields["commune_code"]["vi"] == "Mã xã/phường (2025)"
    assert fields["commune_code"]["en"] == "Commune code (2025)"
    with db.read() as conn:
        assert find_layer(conn, "land_parcel") is None
    assert _uploads_left(settings) == []


def test_preview_of_an_unknown_layer_names_the_close_ones(
    client: TestClient, officials: dict[str, str], tmp_path: Path
) -> None:
    path = write_geojson(tmp_path / "x.geojson", parcels(2))
    r = client.post(
        "/api/imports/preview", headers=_auth(officials, "editor"), **_send(path, layer="thuaa")
    )
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["layer"]["state"] == "new" and "thua" in doc["layer"]["similar"]
    assert [c["how"] for c in doc["columns"]] == ["kept"] * 4


def test_import_with_the_mapping_lands_the_rows(
    client: TestClient, officials: dict[str, str], db: Database, settings: Settings, tmp_path: Path
) -> None:
    shp = _parcel_shapefile(tmp_path, 4)
    mapping = {"commune_co": "commune_code", "land_use_c": "land_use_code"}
    r = client.post(
        "/api/imports",
        headers=_auth(officials, "admin"),
        **_send(shp, layer="land_parcel", column_map=json.dumps(mapping)),
    )
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["counts"]["inserted"] == 4 and doc["counts"]["rejected"] == 0
    assert doc["created_layer"] is True and doc["changeset_id"]
    how = {c["source"]: (c["target"], c["how"]) for c in doc["columns"]}
    assert how["commune_co"] == ("commune_code", "map")
    assert how["land_use_c"] == ("land_use_code", "map")
    with db.read() as conn:
        props = [r.properties for r in db.port.find(conn, "land_parcel")]
        history = conn.exec_driver_sql("select created_by from changeset").scalars().all()
    assert {p["commune_code"] for p in props} == {"26734"}
    assert {p["land_use_code"] for p in props} == {"ODT"}
    assert "account:" in history[-1]
    with db.read() as conn:
        created = list_audit(conn, action="layer_create")
    assert created and created[0].layer_id == "land_parcel" and created[0].account_id
    assert _uploads_left(settings) == []


def test_a_new_layer_only_when_asked(
    client: TestClient, officials: dict[str, str], db: Database, tmp_path: Path
) -> None:
    path = write_geojson(tmp_path / "cay.geojson", parcels(2))
    headers = _auth(officials, "editor")
    r = client.post("/api/imports", headers=headers, **_send(path, layer="cay_xanh"))
    assert r.status_code == 400 and r.json()["code"] == "UnknownLayer"
    r = client.post(
        "/api/imports",
        headers=headers,
        **_send(path, layer="cay_xanh", new_layer="true", title_vi="Cây xanh", access="public"),
    )
    assert r.status_code == 200, r.text
    with db.read() as conn:
        layer = find_layer(conn, "cay_xanh")
    assert layer is not None and layer.title_vi == "Cây xanh" and layer.access == "public"


@pytest.mark.parametrize(
    ("who", "status", "preview"),
    [(None, 401, 401), ("viewer", 403, 403), ("editor", 403, 200), ("granted", 200, 200)],
)
def test_who_may_import_into_an_existing_layer(
    client: TestClient,
    officials: dict[str, str],
    tmp_path: Path,
    who: str | None,
    status: int,
    preview: int,
) -> None:
    path = write_geojson(tmp_path / "p.geojson", parcels(5))
    headers = {} if who is None else _auth(officials, who)
    r = client.post("/api/imports", headers=headers, **_send(path, layer="thua"))
    assert r.status_code == status, r.text
    if status != 200:
        assert r.json()["description_vi"]
    # A preview writes nothing: any official may look at a file against a layer they read.
    r = client.post("/api/imports/preview", headers=headers, **_send(path, layer="thua"))
    assert r.status_code == preview, r.text


def test_preview_does_not_show_a_layer_the_official_may_not_read(
    client: TestClient, officials: dict[str, str], db: Database, tmp_path: Path
) -> None:
    with db.write() as conn:
        conn.exec_driver_sql("update layer set access = 'restricted' where id = 'thua'")
    path = write_geojson(tmp_path / "p.geojson", parcels(1))
    r = client.post(
        "/api/imports/preview", headers=_auth(officials, "editor"), **_send(path, layer="thua")
    )
    assert r.status_code == 404 and "ten" not in r.text


def test_bad_files_are_clear_4xx_and_write_nothing(
    client: TestClient, officials: dict[str, str], db: Database, settings: Settings, tmp_path: Path
) -> None:
    headers = _auth(officials, "admin")
    broken = tmp_path / "hong.zip"
    broken.write_bytes(b"PK\x03\x04 not really a zip")
    r = client.post("/api/imports", headers=headers, **_send(broken, layer="thua"))
    assert r.status_code == 400 and "zip" in r.json()["description_vi"]
    exe = tmp_path / "virus.exe"
    exe.write_bytes(b"MZ")
    r = client.post("/api/imports", headers=headers, **_send(exe, layer="thua"))
    assert r.status_code == 400 and r.json()["code"] == "UnsupportedFileType"
    r = client.post("/api/imports", headers=headers, data={"layer": "thua"})
    assert r.status_code in (400, 415)
    r = client.post(
        "/api/imports", headers={**headers, "Content-Type": "application/json"}, content=b"{}"
    )
    assert r.status_code == 415
    # A file whose third row has no geometry type the layer takes: the whole import fails.
    bad = write_geojson(tmp_path / "p.geojson", parcels(3))
    r = client.post(
        "/api/imports",
        headers=headers,
        **_send(bad, layer="thua", column_map=json.dumps({"ma": "thua_khong_co"})),
    )
    assert r.status_code == 400 and r.json()["code"] == "UnknownField"
    with db.read() as conn:
        assert feature_counts(conn)["thua"] == 3
        changesets = conn.exec_driver_sql("select count(*) from changeset").scalar()
    assert changesets == 1
    assert _uploads_left(settings) == []


def test_files_over_the_limit_are_refused(
    client: TestClient,
    officials: dict[str, str],
    settings: Settings,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(data_routes, "MAX_UPLOAD_BYTES", 1000)
    path = write_geojson(tmp_path / "p.geojson", parcels(40))
    r = client.post("/api/imports", headers=_auth(officials, "admin"), **_send(path, layer="thua"))
    assert r.status_code == 413 and "MiB" in r.json()["description_vi"]
    assert _uploads_left(settings) == []


def test_a_failed_import_leaves_nothing(
    client: TestClient, officials: dict[str, str], db: Database, settings: Settings, tmp_path: Path
) -> None:
    # Rows of the core land_parcel layer that lack its required columns: refused whole.
    path = write_geojson(tmp_path / "p.geojson", parcels(3))
    r = client.post(
        "/api/imports", headers=_auth(officials, "admin"), **_send(path, layer="land_parcel")
    )
    assert r.status_code == 400, r.text
    assert "required" in r.json()["description"]
    with db.read() as conn:
        assert find_layer(conn, "land_parcel") is None
        assert list_audit(conn, action="layer_create") == []
    assert list((settings.data_dir / "reports").glob("*land_parcel*")) == []


def test_layers_are_retitled_opened_deleted_and_restored_with_audit(
    client: TestClient, officials: dict[str, str], db: Database
) -> None:
    headers = _auth(officials, "granted")
    r = client.patch(
        "/api/layers/thua", headers=headers, json={"title_vi": "Thửa đất", "access": "public"}
    )
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["title_vi"] == "Thửa đất" and doc["access"] == "public"
    assert doc["access_label"]["vi"] == "Công khai — mọi người"
    r = client.delete("/api/layers/thua", headers=headers)
    assert r.status_code == 200 and r.json()["removed"] == 3
    listed = client.get("/api/managed-layers", headers=_auth(officials, "admin")).json()
    assert [ly["id"] for ly in listed["deleted"]] == ["thua"]
    assert "thua" not in [ly["id"] for ly in listed["layers"]]
    r = client.post("/api/layers/thua/restore", headers=headers)
    assert r.status_code == 200 and r.json()["restored"] == 3
    with db.read() as conn:
        assert feature_counts(conn)["thua"] == 3
        entries = [(e.action, e.outcome, e.layer_id) for e in list_audit(conn)]
        actors = {e.account_id for e in list_audit(conn) if e.action.startswith("layer_")}
    for action in ("layer_rename", "layer_access", "layer_delete", "layer_restore"):
        assert (action, "ok", "thua") in entries, action
    assert None not in actors


def test_layer_changes_are_refused_to_who_may_not(
    client: TestClient, officials: dict[str, str], db: Database
) -> None:
    assert client.delete("/api/layers/thua").status_code == 401
    r = client.patch(
        "/api/layers/thua", headers=_auth(officials, "editor"), json={"access": "public"}
    )
    assert r.status_code == 403
    assert client.get("/api/managed-layers", headers=_auth(officials, "viewer")).status_code == 403
    r = client.patch("/api/layers/thua", headers=_auth(officials, "admin"), json={"access": "all"})
    assert r.status_code == 400
    r = client.patch("/api/layers/thua", headers=_auth(officials, "admin"), json={"colour": "x"})
    assert r.status_code == 400
    assert (
        client.delete("/api/layers/khong_co", headers=_auth(officials, "admin")).status_code == 404
    )
    with db.read() as conn:
        denied = [e for e in list_audit(conn) if e.outcome == "denied"]
        layer = find_layer(conn, "thua")
    assert [(e.action, e.layer_id) for e in denied] == [("layer_access", "thua")]
    assert layer is not None and layer.access == "internal" and layer.title_vi == "Thửa mẫu"


def test_core_layers_are_not_deleted(
    client: TestClient, officials: dict[str, str], tmp_path: Path
) -> None:
    headers = _auth(officials, "admin")
    shp = _parcel_shapefile(tmp_path, 1)
    mapping = json.dumps({"land_use_c": "land_use_code"})
    r = client.post(
        "/api/imports", headers=headers, **_send(shp, layer="land_parcel", column_map=mapping)
    )
    assert r.status_code == 200, r.text
    r = client.delete("/api/layers/land_parcel", headers=headers)
    assert r.status_code == 409 and r.json()["code"] == "CoreLayer"
    assert "lớp lõi" in r.json()["description_vi"]
    listed = client.get("/api/managed-layers", headers=headers).json()
    core = next(ly for ly in listed["layers"] if ly["id"] == "land_parcel")
    assert core["core"] is True and core["feature_count"] == 1


def test_a_malformed_form_is_a_clear_400(
    client: TestClient, officials: dict[str, str], settings: Settings
) -> None:
    headers = {
        **_auth(officials, "admin"),
        "Content-Type": "multipart/form-data; boundary=xyz",
    }
    body = b'--xyz\r\nContent-Disposition: form-data; name="layer"\r\n\r\nthua\r\n--xyz--\r\n'
    r = client.post("/api/imports", headers=headers, content=body)
    assert r.status_code == 400 and r.json()["code"] == "NoFile"
    r = client.post("/api/imports", headers=headers, content=b"--abc\r\ngarbage" * 10)
    assert r.status_code == 400 and r.json()["description_vi"]
    assert _uploads_left(settings) == []
