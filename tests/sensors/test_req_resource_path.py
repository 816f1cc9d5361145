"""Conformance class ``resource-path/resource-path-to-entities`` (OGC 18-088 §9.2): every
usage of a resource path, on both backends."""

from __future__ import annotations

from typing import Any

import pytest
import sta_samples
from sta_samples import HOAN_KIEM, REQ, ROOT, client

from dothi.config import Settings
from dothi.db.engine import Database

CONFORMANCE_CLASS = REQ + "resource-path/resource-path-to-entities"
BASE = "http://testserver" + ROOT
world = sta_samples.sta_world
SETS = [
    "Things", "Locations", "HistoricalLocations", "Datastreams", "MultiDatastreams", "Sensors",
    "ObservedProperties", "Observations", "FeaturesOfInterest", "TaskingCapabilities", "Tasks",
    "Actuators",
]  # fmt: skip


def test_resource_path_to_entities(
    sta_world: dict[str, Any], db: Database, settings: Settings
) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/resource-path-to-entities

    Usage 1 (service root), 2 (collection), 3 (entity), 4 (property, and a member of a
    complex property), 5 (``$value``), 6 (navigation property), 7 (``$ref``), 8 (nested
    paths); a null property answers 204, a path to nothing 404."""
    c = client(db, settings)
    w = sta_world
    # 1: the service root lists every entity set with its URL.
    root = c.get(ROOT).json()["value"]
    assert [(s["name"], s["url"]) for s in root] == [(n, f"{BASE}/{n}") for n in SETS]
    for entity_set in SETS:
        # 2: a collection is {"value": [...]}.
        assert isinstance(c.get(f"{ROOT}/{entity_set}").json()["value"], list)
    # 3: one entity by its id.
    thing = c.get(f"{ROOT}/Things({w['Trạm Hoàn Kiếm']})").json()
    assert thing["name"] == "Trạm Hoàn Kiếm"
    # 4: a property, as {"name": value}; a member of a complex property likewise.
    assert c.get(f"{ROOT}/Things({w['Trạm Hoàn Kiếm']})/name").json() == {"name": "Trạm Hoàn Kiếm"}
    owner = c.get(f"{ROOT}/Things({w['Trạm Hoàn Kiếm']})/properties/owner")
    assert owner.json() == {"owner": "Sở Nông nghiệp và Môi trường"}
    unit = c.get(f"{ROOT}/Datastreams({w['PM2.5 Hoàn Kiếm']})/unitOfMeasurement/symbol")
    assert unit.json() == {"symbol": "µg/m³"}
    first = w["obs:PM2.5 Hoàn Kiếm"][0]
    assert c.get(f"{ROOT}/Observations({first})/resultTime").json() == {
        "resultTime": "2026-03-01T00:05:00Z"
    }
    second = w["obs:PM2.5 Hoàn Kiếm"][1]
    assert c.get(f"{ROOT}/Observations({second})/resultTime").status_code == 204
    assert c.get(f"{ROOT}/Observations({second})/resultTime/$value").status_code == 204
    # 5: the raw value: text for a string or a time, JSON for an object.
    r = c.get(f"{ROOT}/Observations({first})/resultTime/$value")
    assert r.text == "2026-03-01T00:05:00Z" and r.headers["content-type"].startswith("text/plain")
    assert c.get(f"{ROOT}/Observations({first})/result/$value").text == "10"
    r = c.get(f"{ROOT}/Locations({w['loc:Hồ Gươm']})/location/$value")
    assert r.text.startswith("{") and f"{HOAN_KIEM[0]}" in r.text
    assert c.get(f"{ROOT}/Things({w['Trạm Hoàn Kiếm']})/properties/floors/$value").text == "3"
    # 6: navigation to many (a collection) and to one (an entity).
    streams = c.get(f"{ROOT}/Things({w['Trạm Hoàn Kiếm']})/Datastreams").json()["value"]
    assert sorted(d["name"] for d in streams) == ["Nhiệt độ Hoàn Kiếm", "PM2.5 Hoàn Kiếm"]
    sensor = c.get(f"{ROOT}/Datastreams({w['PM2.5 Nhà Bè']})/Sensor").json()
    assert sensor["@iot.id"] == w["Quang học"]
    # 7: $ref gives only the selfLinks, of a collection or of one entity.
    refs = c.get(f"{ROOT}/Datastreams({w['PM2.5 Nhà Bè']})/Observations/$ref").json()["value"]
    assert refs == [{"@iot.selfLink": f"{BASE}/Observations({i})"} for i in w["obs:PM2.5 Nhà Bè"]]
    assert c.get(f"{ROOT}/Datastreams({w['PM2.5 Nhà Bè']})/Sensor/$ref").json() == {
        "@iot.selfLink": f"{BASE}/Sensors({w['Quang học']})"
    }
    # 8: nested paths, through ids, properties and links.
    obs = w["obs:PM2.5 Nhà Bè"][0]
    nested = f"{ROOT}/Datastreams({w['PM2.5 Nhà Bè']})/Observations({obs})"
    assert c.get(nested).json()["result"] == 55
    assert c.get(f"{nested}/phenomenonTime").json() == {"phenomenonTime": "2026-03-02T00:00:00Z"}
    assert c.get(f"{nested}/FeatureOfInterest").json()["name"] == "Chợ Nhà Bè"
    assert c.get(f"{nested}/FeatureOfInterest/Observations/$ref").status_code == 200
    deep = f"{ROOT}/Things({w['Trạm Nhà Bè']})/Datastreams({w['PM2.5 Nhà Bè']})/Sensor/name"
    assert c.get(deep).json() == {"name": "Quang học"}


@pytest.mark.parametrize(
    "path",
    [
        "Things(999999)",
        "Things(999999)/Datastreams",
        "Things(999999)/name",
        "Nothings",
        "Things(1)/Colour",
        "Things(1)/properties/colour",
        # The Datastream is not the Thing's.
        "Things({nb})/Datastreams({hk_pm})/Observations",
        "Things({nb})/Datastreams({hk_pm})",
    ],
)
def test_resource_path_to_nothing_is_404(
    sta_world: dict[str, Any], db: Database, settings: Settings, path: str
) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/resource-path/resource-path-to-entities

    A path that names no entity, property or set is 404 Not Found."""
    c = client(db, settings)
    path = path.format(nb=sta_world["Trạm Nhà Bè"], hk_pm=sta_world["PM2.5 Hoàn Kiếm"])
    assert c.get(f"{ROOT}/{path}").status_code == 404, path
