"""Conformance class ``data-array/data-array`` (OGC 18-088 §11.3): Observations read in the
compact dataArray format, and created in bulk with ``CreateObservations``; both backends."""

from __future__ import annotations

from typing import Any

import pytest
import sta_samples
from sta_samples import REQ, ROOT, client

from dothi.config import Settings
from dothi.db.engine import Database

CONFORMANCE_CLASS = REQ + "data-array/data-array"
BASE = "http://testserver" + ROOT
world = sta_samples.sta_world
EVERY = ["id", "phenomenonTime", "result", "resultTime", "resultQuality", "validTime", "parameters"]


def _blocks(page: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The blocks of a dataArray answer by their (Multi)Datastream link, checked."""
    found = {}
    for block in page["value"]:
        (link,) = [v for k, v in block.items() if k.endswith("Datastream@iot.navigationLink")]
        assert block["dataArray@iot.count"] == len(block["dataArray"])
        assert all(len(row) == len(block["components"]) for row in block["dataArray"])
        found[link.removeprefix(BASE + "/")] = block
    return found


@pytest.mark.writes
def test_data_array(sta_world: dict[str, Any], db: Database, settings: Settings) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/data-array/data-array

    ``$resultFormat=dataArray`` answers one block per (Multi)Datastream, with its
    components (those of ``$select``) and rows in that order; ``POST CreateObservations``
    creates the rows of each block (with or without a FeatureOfInterest) and answers their
    links in order."""
    c, w, auth = client(db, settings), sta_world, sta_world["auth"]
    page = c.get(f"{ROOT}/Observations?$count=true&$top=3&$resultFormat=dataArray").json()
    assert page["@iot.count"] == 12 and "$resultFormat=dataArray" in page["@iot.nextLink"]
    blocks = _blocks(page)
    pm = blocks[f"Datastreams({w['PM2.5 Hoàn Kiếm']})"]
    assert pm["components"] == EVERY
    first = w["obs:PM2.5 Hoàn Kiếm"][0]
    assert pm["dataArray"][0] == [
        first,
        "2026-03-01T00:00:00Z",
        10,
        "2026-03-01T00:05:00Z",
        None,
        None,
        None,
    ]
    assert sum(len(b["dataArray"]) for b in blocks.values()) == 3
    q = {
        "$resultFormat": "dataArray",
        "$select": "result,phenomenonTime",
        "$orderby": "phenomenonTime desc",
    }
    blocks = _blocks(c.get(f"{ROOT}/Observations", params=q).json())
    assert {tuple(b["components"]) for b in blocks.values()} == {("phenomenonTime", "result")}
    multi = blocks[f"MultiDatastreams({w['Bụi và nhiệt']})"]
    assert multi["dataArray"] == [["2026-03-01T00:00:00Z", [12, 27]]]
    assert [row[1] for row in blocks[f"Datastreams({w['PM2.5 Nhà Bè']})"]["dataArray"]] == [
        75,
        65,
        55,
    ]
    # Creating: a block with its FeatureOfInterest, one without, one of a MultiDatastream.
    body = [
        {
            "Datastream": {"@iot.id": w["PM2.5 Nhà Bè"]},
            "components": ["phenomenonTime", "result", "FeatureOfInterest/id"],
            "dataArray@iot.count": 2,
            "dataArray": [
                ["2026-03-03T10:20:00+07:00", 20, w["area"]],
                ["2026-03-03T10:21:00+07:00", 30, w["area"]],
            ],
        },
        {
            "Datastream": {"@iot.id": w["Nhiệt độ Hoàn Kiếm"]},
            "components": ["phenomenonTime", "result", "resultTime"],
            "dataArray@iot.count": 2,
            "dataArray": [
                ["2026-03-03T00:00:00Z", 28.5, "2026-03-03T00:01:00Z"],
                ["2026-03-03T01:00:00Z", 29, None],
            ],
        },
        {
            "MultiDatastream": {"@iot.id": w["Bụi và nhiệt"]},
            "components": ["phenomenonTime", "result"],
            "dataArray": [["2026-03-03T00:00:00Z", [15, 28.5]]],
        },
    ]
    r = c.post(f"{ROOT}/CreateObservations", json=body, headers=auth)
    assert r.status_code == 201, r.text
    links = r.json()
    assert len(links) == 5 and all(link.startswith(f"{BASE}/Observations(") for link in links)
    made = [c.get(link.removeprefix("http://testserver")).json() for link in links]
    assert [o["result"] for o in made] == [20, 30, 28.5, 29, [15, 28.5]]
    assert made[0]["phenomenonTime"] == "2026-03-03T03:20:00Z"
    assert made[2]["resultTime"] == "2026-03-03T00:01:00Z" and made[3]["resultTime"] is None
    features = [
        c.get(link.removeprefix("http://testserver") + "/FeatureOfInterest").json()["@iot.id"]
        for link in links
    ]
    assert features[:2] == [w["area"]] * 2
    assert features[2] == features[3] == w["foi:Hồ Gươm"]
    # A row that does not fit its components refuses the request, naming the row.
    bad = [{**body[1], "dataArray": [["2026-03-04T00:00:00Z", 1, None], ["2026-03-04T01:00:00Z"]]}]
    r = c.post(f"{ROOT}/CreateObservations", json=bad, headers=auth)
    assert r.status_code == 400 and "dataArray[1]" in r.text
    assert c.get(f"{ROOT}/Observations?$count=true&$top=0").json()["@iot.count"] == 17
