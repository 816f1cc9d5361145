"""Access control and Part 4 (create/replace/update/delete) over HTTP, with real tokens."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from prepared import dataset
from samples import parcels, square, write_geojson
from shapely.geometry import mapping

from dothi.app.main import create_app
from dothi.auth.accounts import create_account, get_account, grant
from dothi.auth.audit import list_audit
from dothi.auth.tokens import create_token
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.spatial.importer import ImportOptions, import_file

ITEMS = "/ogcapi/collections/thua/items"


@dataset
def accounts(db: Database, settings: Settings, tmp_path: Path) -> dict[str, str]:
    for layer, access in (("thua", "public"), ("noi_bo", "internal"), ("mat", "restricted")):
        path = write_geojson(tmp_path / f"{layer}.geojson", parcels(3))
        import_file(
            db,
            settings,
            path,
            ImportOptions(layer_id=layer, new_layer=True, key="ma", access=access),
        )
    tokens = {}
    with db.write() as conn:
        create_account(conn, "bien_tap", "editor", agency="Sở Xây dựng")
        grant(conn, "bien_tap", "thua", edit=True)
        create_account(conn, "xem", "viewer")
        create_account(conn, "quan_tri", "admin")
        for name in ("bien_tap", "xem", "quan_tri"):
            tokens[name] = create_token(conn, name, "kiểm thử")[0]
    return tokens


@pytest.fixture
def setup(
    accounts: dict[str, str], db: Database, settings: Settings
) -> tuple[TestClient, dict[str, str]]:
    return TestClient(create_app(settings, db)), dict(accounts)


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def ids(client: TestClient, headers: dict[str, str] | None = None) -> list[str]:
    return [
        c["id"] for c in client.get("/ogcapi/collections", headers=headers).json()["collections"]
    ]


def test_visibility_by_role(setup: tuple[TestClient, dict[str, str]], db: Database) -> None:
    client, tokens = setup
    assert ids(client) == ["thua"]
    assert ids(client, auth(tokens["xem"])) == ["noi_bo", "thua"]
    assert ids(client, auth(tokens["quan_tri"])) == ["mat", "noi_bo", "thua"]
    assert client.get("/ogcapi/collections/noi_bo/items").status_code == 404
    assert client.get("/api/layers/noi_bo").status_code == 404
    r = client.get("/ogcapi/collections/mat/items", headers=auth(tokens["quan_tri"]))
    assert r.status_code == 200 and r.json()["numberMatched"] == 3
    bad = client.get("/ogcapi/collections", headers=auth("dothi_not-a-token"))
    assert bad.status_code == 401 and bad.headers["www-authenticate"].startswith("Bearer")
    with db.read() as conn:
        reads = list_audit(conn, action="read_restricted")
        admin = get_account(conn, "quan_tri").id
    assert [(e.account_id, e.layer_id) for e in reads] == [(admin, "mat")]


def feature(i: int, **props: object) -> dict:
    return {
        "type": "Feature",
        "geometry": mapping(square(i)),
        "properties": {"ma": f"N{i}", "ten": f"Thửa mới {i}", "so_tang": 2, **props},
    }


def test_create_replace_update_delete_with_etags(
    setup: tuple[TestClient, dict[str, str]], db: Database
) -> None:
    client, tokens = setup
    editor = auth(tokens["bien_tap"])
    assert client.post(ITEMS, json=feature(40)).status_code == 401
    assert client.post(ITEMS, json=feature(40), headers=auth(tokens["xem"])).status_code == 403
    made = client.post(ITEMS, json=feature(40), headers=editor)
    assert made.status_code == 201, made.text
    url = made.headers["location"]
    assert url.endswith("/items/N40")
    etag = made.headers["etag"]
    assert client.get(url).json()["properties"]["ten"] == "Thửa mới 40"
    replaced = client.put(url, json=feature(40, so_tang=9), headers={**editor, "If-Match": etag})
    assert replaced.status_code == 204
    stale = client.put(url, json=feature(40, so_tang=1), headers={**editor, "If-Match": etag})
    assert stale.status_code == 412
    patched = client.patch(
        url,
        content=b'{"properties": {"ten": "\xc4\x90\xc3\xa3 s\xe1\xbb\xada"}}',
        headers={
            **editor,
            "If-Match": replaced.headers["etag"],
            "Content-Type": "application/merge-patch+json",
        },
    )
    assert patched.status_code == 204
    now = client.get(url).json()["properties"]
    assert now["ten"] == "Đã sửa" and now["so_tang"] == 9
    assert client.delete(url, headers={**editor, "If-Match": etag}).status_code == 412
    assert (
        client.delete(url, headers={**editor, "If-Match": patched.headers["etag"]}).status_code
        == 204
    )
    assert client.get(url).status_code == 404
    with db.read() as conn:
        writes = [(e.action, e.feature_id, e.outcome) for e in list_audit(conn, layer_id="thua")]
    assert ("create", "N40", "ok") in writes and ("delete", "N40", "ok") in writes
    assert ("create", None, "denied") in writes


@pytest.mark.parametrize(
    ("body", "headers", "status"),
    [
        (b"{not json", {"Content-Type": "application/geo+json"}, 400),
        (b'{"type": "Feature"}', {"Content-Type": "text/plain"}, 415),
        (b'{"type": "Point", "coordinates": [1, 2]}', {"Content-Type": "application/json"}, 400),
        (
            b'{"type": "Feature", "geometry": {"type": "Polygon", "coordinates":'
            b" [[[600000, 1190000], [600010, 1190000], [600010, 1190010], [600000, 1190000]]]},"
            b' "properties": {}}',
            {"Content-Type": "application/json"},
            400,
        ),
    ],
)
def test_bad_bodies(
    setup: tuple[TestClient, dict[str, str]], body: bytes, headers: dict[str, str], status: int
) -> None:
    client, tokens = setup
    r = client.post(ITEMS, content=body, headers={**auth(tokens["bien_tap"]), **headers})
    assert r.status_code == status, r.text
    assert r.json()["description"] and r.json()["description_vi"]


def test_tiles_follow_the_callers_rights(setup: tuple[TestClient, dict[str, str]]) -> None:
    client, tokens = setup
    tilejson = "/ogcapi/collections/noi_bo/tiles/WebMercatorQuad"
    assert client.get(tilejson).status_code == 404
    viewer = client.get(tilejson, headers=auth(tokens["xem"]))
    assert viewer.status_code == 200 and viewer.headers["vary"] == "Authorization"
    assert viewer.headers["cache-control"].startswith("private")
    names = {v["id"] for v in client.get("/ogcapi/tiles/WebMercatorQuad").json()["vector_layers"]}
    assert names == {"thua"}
    seen = client.get("/ogcapi/tiles/WebMercatorQuad", headers=auth(tokens["quan_tri"])).json()
    assert {v["id"] for v in seen["vector_layers"]} == {"mat", "noi_bo", "thua"}
