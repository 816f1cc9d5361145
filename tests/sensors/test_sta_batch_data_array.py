"""Batch requests (``batch-request/batch-request``) and dataArray
(``data-array/data-array``): change sets all or nothing, references between requests, bulk
observations with every row checked before any is stored; both backends."""

from __future__ import annotations

import orjson
from sta_client import ROOT, sta_client, thing

from dothi.config import Settings
from dothi.db.engine import Database


def _multipart(parts: list[str], boundary: str = "batch_1") -> bytes:
    body = "".join(f"--{boundary}\r\n{p}\r\n" for p in parts) + f"--{boundary}--\r\n"
    return body.encode()


def _http(method: str, url: str, body: object | None = None, content_id: str | None = None) -> str:
    head = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
    if content_id:
        head += f"Content-ID: {content_id}\r\n"
    req = f"{method} {url} HTTP/1.1\r\nHost: localhost\r\n"
    if body is not None:
        req += "Content-Type: application/json\r\n\r\n" + orjson.dumps(body).decode()
    else:
        req += "\r\n"
    return head + "\r\n" + req


def _changeset(parts: list[str], boundary: str = "changeset_1") -> str:
    inner = "".join(f"--{boundary}\r\n{p}\r\n" for p in parts) + f"--{boundary}--"
    return f"Content-Type: multipart/mixed; boundary={boundary}\r\n\r\n{inner}"


def test_a_batch_with_a_change_set_and_references(db: Database, settings: Settings) -> None:
    client, auth = sta_client(db, settings)
    t = thing()
    ds = t.pop("Datastreams")[0]
    body = _multipart(
        [
            _changeset(
                [
                    _http("POST", f"{ROOT}/Things", t, content_id="1"),
                    _http("POST", "$1/Datastreams", ds, content_id="2"),
                ]
            ),
            _http("GET", f"{ROOT}/Things?$count=true"),
        ]
    )
    r = client.post(
        f"{ROOT}/$batch",
        content=body,
        headers={**auth, "Content-Type": "multipart/mixed; boundary=batch_1"},
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("multipart/mixed; boundary=")
    assert r.text.count("HTTP/1.1 201 Created") == 2
    assert '"@iot.count":1' in r.text
    things = client.get(f"{ROOT}/Things?$expand=Datastreams").json()["value"]
    assert [d["name"] for d in things[0]["Datastreams"]] == ["PM2.5"]


def test_a_failing_change_set_writes_nothing(db: Database, settings: Settings) -> None:
    client, auth = sta_client(db, settings)
    t = thing()
    t.pop("Datastreams")
    body = _multipart(
        [
            _changeset(
                [
                    _http("POST", f"{ROOT}/Things", t, content_id="1"),
                    _http("POST", "$1/Datastreams", {"name": "thiếu mọi thứ"}, content_id="2"),
                ]
            )
        ]
    )
    r = client.post(
        f"{ROOT}/$batch",
        content=body,
        headers={**auth, "Content-Type": "multipart/mixed; boundary=batch_1"},
    )
    assert r.status_code == 200 and "HTTP/1.1 400 Bad Request" in r.text
    assert "201" not in r.text
    assert client.get(f"{ROOT}/Things?$count=true").json()["@iot.count"] == 0
    bad = client.post(
        f"{ROOT}/$batch", content=b"x", headers={**auth, "Content-Type": "text/plain"}
    )
    assert bad.status_code == 415


def test_data_array_creates_in_bulk_and_refuses_a_bad_row_whole(
    db: Database, settings: Settings
) -> None:
    client, auth = sta_client(db, settings)
    tid = client.post(f"{ROOT}/Things", json=thing(), headers=auth).json()["@iot.id"]
    dsid = client.get(f"{ROOT}/Things({tid})/Datastreams").json()["value"][0]["@iot.id"]
    rows = [[f"2026-12-0{d}T00:00:00Z", 10.0 + d] for d in range(1, 8)]
    block = {"Datastream": {"@iot.id": dsid}, "components": ["phenomenonTime", "result"]}
    r = client.post(
        f"{ROOT}/CreateObservations",
        json=[{**block, "dataArray@iot.count": len(rows), "dataArray": rows}],
        headers=auth,
    )
    assert r.status_code == 201, r.text
    links = r.json()
    assert len(links) == 7 and all("/Observations(" in link for link in links)
    bad = [*rows, ["2026-12-08T00:00:00Z", "cao"]]
    r = client.post(f"{ROOT}/CreateObservations", json=[{**block, "dataArray": bad}], headers=auth)
    assert r.status_code == 400 and "dataArray[7]" in r.text
    short = [["2026-12-09T00:00:00Z"]]
    r = client.post(
        f"{ROOT}/CreateObservations", json=[{**block, "dataArray": short}], headers=auth
    )
    assert r.status_code == 400 and "dataArray[0]" in r.text
    assert client.get(f"{ROOT}/Observations?$count=true").json()["@iot.count"] == 7
    arr = client.get(f"{ROOT}/Datastreams({dsid})/Observations?$resultFormat=dataArray").json()
    assert arr["value"][0]["components"][:2] == ["id", "phenomenonTime"]
    assert arr["value"][0]["dataArray@iot.count"] == 7
