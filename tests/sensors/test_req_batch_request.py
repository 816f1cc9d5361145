"""Conformance class ``batch-request/batch-request`` (OGC 18-088 §11.2, after OData 4.0
§11.7): several requests in one ``multipart/mixed`` body, change sets applied together or
not at all, references to what an earlier request of a change set created; both backends."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import orjson
import pytest
import sta_samples
from sta_samples import REQ, ROOT, client

from dothi.config import Settings
from dothi.db.engine import Database

CONFORMANCE_CLASS = REQ + "batch-request/batch-request"
world = sta_samples.sta_world
NAMED = "name eq 'Trạm lô'"


def _http(method: str, url: str, body: object | None = None, content_id: str | None = None) -> str:
    head = "Content-Type: application/http\r\nContent-Transfer-Encoding: binary\r\n"
    if content_id:
        head += f"Content-ID: {content_id}\r\n"
    req = f"{method} {url} HTTP/1.1\r\nHost: localhost\r\n"
    if body is None:
        return head + "\r\n" + req + "\r\n"
    return (
        head + "\r\n" + req + "Content-Type: application/json\r\n\r\n" + orjson.dumps(body).decode()
    )


def _multipart(parts: list[str], boundary: str) -> str:
    return "".join(f"--{boundary}\r\n{p}\r\n" for p in parts) + f"--{boundary}--"


def _changeset(parts: list[str], boundary: str) -> str:
    return f"Content-Type: multipart/mixed; boundary={boundary}\r\n\r\n" + _multipart(
        parts, boundary
    )


def _answers(text: str) -> list[tuple[int, str]]:
    """Each answered request: its status and what follows the status line, in order."""
    found = re.finditer(r"HTTP/1\.1 (\d{3}) [^\r\n]*\r\n(.*?)(?=\r\n--)", text, re.S)
    return [(int(m.group(1)), m.group(2)) for m in found]


@pytest.mark.writes
def test_batch_request(sta_world: dict[str, Any], db: Database, settings: Settings) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/batch-request/batch-request

    A batch answers every request in order in a ``multipart/mixed`` body; the requests of
    a change set succeed together (``$1`` naming what the request with Content-ID 1
    created) or fail together, with one answer, and then nothing of them is stored; a lone
    failing request leaves the others be."""
    c, w, auth = client(db, settings), sta_world, sta_world["auth"]
    thing = {"name": "Trạm lô", "description": "Tạo trong một lô"}
    stream = {
        "name": "PM10",
        "description": "Bụi PM10",
        "unitOfMeasurement": sta_samples.UG,
        "observationType": sta_samples.OM + "OM_Measurement",
        "Sensor": {"@iot.id": w["Quang học"]},
        "ObservedProperty": {"@iot.id": w["PM2.5"]},
    }
    body = _multipart(
        [
            _http("GET", f"{ROOT}/Things?$count=true&$top=0"),
            _changeset(
                [
                    _http("POST", f"{ROOT}/Things", thing, content_id="1"),
                    _http("POST", "$1/Datastreams", stream, content_id="2"),
                    _http("PATCH", "$1", {"description": "Đã sửa trong lô"}, content_id="3"),
                ],
                "changeset_a",
            ),
            _http("GET", "v1.1/Things(987654)"),
            _http("GET", f"{ROOT}/Things?$count=true&$top=0&$filter={quote(NAMED)}"),
            _changeset(
                [
                    _http("POST", f"{ROOT}/Things", thing, content_id="1"),
                    _http("POST", "$1/Datastreams", {"name": "thiếu"}, content_id="2"),
                ],
                "changeset_b",
            ),
        ],
        "batch_x",
    )
    r = c.post(
        f"{ROOT}/$batch",
        content=body.encode(),
        headers={**auth, "Content-Type": "multipart/mixed; boundary=batch_x"},
    )
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("multipart/mixed; boundary=")
    answers = _answers(r.text)
    assert [status for status, _ in answers] == [200, 201, 201, 200, 404, 200, 400]
    assert '"@iot.count":3' in answers[0][1]
    assert "Location: http://testserver/sta/v1.1/Things(" in answers[1][1]
    assert "Location: http://testserver/sta/v1.1/Datastreams(" in answers[2][1]
    assert '"@iot.count":1' in answers[5][1]
    assert "Content-ID: 2" in r.text
    made = c.get(
        f"{ROOT}/Things", params={"$filter": "name eq 'Trạm lô'", "$expand": "Datastreams"}
    )
    (new,) = made.json()["value"]
    assert new["description"] == "Đã sửa trong lô" and [d["name"] for d in new["Datastreams"]] == [
        "PM10"
    ]
    assert c.get(f"{ROOT}/Things?$count=true&$top=0").json()["@iot.count"] == 4
