"""A small SensorThings world for the requirement tests (``test_req_*.py``), built once per
backend through the HTTP API itself and shared by the tests that only read it.

Two air-quality stations in Hà Nội and Nhà Bè with four Datastreams, eleven Observations
(numbers, strings, intervals, parameters), a MultiDatastream, a streetlight with a
TaskingCapability, its Actuator and a Task. Every entity set has entities, so that each
requirement can be checked on each set.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from prepared import dataset

from dothi.app.main import create_app
from dothi.auth.accounts import create_account
from dothi.auth.tokens import create_token
from dothi.config import Settings
from dothi.db.engine import Database

ROOT = "/sta/v1.1"
REQ = "http://www.opengis.net/spec/iot_sensing/1.1/req/"
TASKING = "http://www.opengis.net/spec/iot_tasking/1.0/req/"
OM = "http://www.opengis.net/def/observationType/OGC-OM/2.0/"
GEOJSON = "application/geo+json"
UG = {"name": "microgram per cubic metre", "symbol": "µg/m³", "definition": "ucum:ug/m3"}
CEL = {"name": "degree Celsius", "symbol": "°C", "definition": "ucum:Cel"}

HOAN_KIEM = (105.8522, 21.0287)
NHA_BE = (106.7300, 10.6950)
#: The Observations of each Datastream: (phenomenonTime, result, extra properties).
OBSERVATIONS: dict[str, list[tuple[str, Any, dict[str, Any]]]] = {
    "PM2.5 Hoàn Kiếm": [
        ("2026-03-01T00:00:00Z", 10, {"resultTime": "2026-03-01T00:05:00Z"}),
        ("2026-03-01T01:00:00Z", 20, {"parameters": {"calibrated": True}}),
        ("2026-03-01T02:00:00Z", 30, {"validTime": "2026-03-01T02:00:00Z/2026-03-01T03:00:00Z"}),
        ("2026-03-01T03:00:00Z/2026-03-01T04:00:00Z", 40, {}),
    ],
    "Nhiệt độ Hoàn Kiếm": [
        ("2026-03-01T00:00:00Z", 25.5, {}),
        ("2026-03-01T01:00:00Z", 26.5, {}),
    ],
    "PM2.5 Nhà Bè": [
        ("2026-03-02T00:00:00Z", 55, {}),
        ("2026-03-02T01:00:00Z", 65, {}),
        ("2026-03-02T02:00:00Z", 75, {}),
    ],
    "Chất lượng Nhà Bè": [
        ("2026-03-02T00:00:00Z", "tốt", {"FeatureOfInterest": "area"}),
        ("2026-03-02T01:00:00Z", "kém", {"FeatureOfInterest": "area"}),
    ],
}
#: The area observed by the last Datastream (a FeatureOfInterest of its own).
AREA = {
    "type": "Polygon",
    "coordinates": [
        [[106.72, 10.69], [106.74, 10.69], [106.74, 10.70], [106.72, 10.70], [106.72, 10.69]]
    ],
}


def point(lon: float, lat: float) -> dict[str, Any]:
    """A GeoJSON point."""
    return {"type": "Point", "coordinates": [lon, lat]}


def location(name: str, lon: float, lat: float) -> dict[str, Any]:
    """A Location at a point."""
    return {
        "name": name,
        "description": f"Vị trí {name}",
        "encodingType": GEOJSON,
        "location": point(lon, lat),
    }


def sensor(name: str) -> dict[str, Any]:
    """A Sensor."""
    return {
        "name": name,
        "description": f"Cảm biến {name}",
        "encodingType": "application/pdf",
        "metadata": f"https://example.org/{name}.pdf",
    }


def observed_property(name: str, definition: str) -> dict[str, Any]:
    """An ObservedProperty."""
    return {"name": name, "definition": definition, "description": f"Đại lượng {name}"}


def datastream(name: str, unit: dict[str, Any], kind: str, **links: Any) -> dict[str, Any]:
    """A Datastream with its links (``Sensor=…``, ``ObservedProperty=…``, ``Thing=…``)."""
    return {
        "name": name,
        "description": f"Chuỗi {name}",
        "unitOfMeasurement": unit,
        "observationType": OM + kind,
        **links,
    }


def editor(db: Database, name: str = "sta-editor") -> dict[str, str]:
    """The headers of a new editor's token."""
    with db.write() as conn:
        create_account(conn, name, "editor")
        token, _ = create_token(conn, name, "test")
    return {"Authorization": f"Bearer {token}"}


def client(db: Database, settings: Settings) -> TestClient:
    """The app in process."""
    return TestClient(create_app(settings, db))


def created(response: Any) -> int:
    """The id of what a POST created (201 asserted)."""
    assert response.status_code == 201, response.text
    return int(response.json()["@iot.id"])


def build_world(db: Database, settings: Settings) -> dict[str, Any]:
    """Make the world; the ids of its entities by name, and an editor's headers."""
    auth = editor(db)
    c = client(db, settings)
    ids: dict[str, Any] = {"auth": auth}
    hk = {
        "name": "Trạm Hoàn Kiếm",
        "description": "Trạm quan trắc không khí",
        "properties": {"owner": "Sở Nông nghiệp và Môi trường", "floors": 3},
        "Locations": [location("Hồ Gươm", *HOAN_KIEM)],
        "Datastreams": [
            datastream(
                "PM2.5 Hoàn Kiếm",
                UG,
                "OM_Measurement",
                Sensor=sensor("Quang học"),
                ObservedProperty=observed_property("PM2.5", "https://dbpedia.org/page/PM2.5"),
            ),
            datastream(
                "Nhiệt độ Hoàn Kiếm",
                CEL,
                "OM_Measurement",
                Sensor=sensor("Nhiệt kế"),
                ObservedProperty=observed_property("Nhiệt độ", "https://dbpedia.org/page/T"),
            ),
        ],
    }
    ids["Trạm Hoàn Kiếm"] = created(c.post(f"{ROOT}/Things", json=hk, headers=auth))
    for d in c.get(f"{ROOT}/Datastreams?$expand=Sensor,ObservedProperty").json()["value"]:
        ids[d["name"]] = d["@iot.id"]
        ids[d["Sensor"]["name"]] = d["Sensor"]["@iot.id"]
        ids[d["ObservedProperty"]["name"]] = d["ObservedProperty"]["@iot.id"]
    nb = {
        "name": "Trạm Nhà Bè",
        "description": "Cảm biến giá rẻ",
        "properties": {"owner": "Phường Nhà Bè", "floors": 1},
        "Locations": [location("Chợ Nhà Bè", *NHA_BE)],
        "Datastreams": [
            datastream(
                "PM2.5 Nhà Bè",
                UG,
                "OM_Measurement",
                Sensor={"@iot.id": ids["Quang học"]},
                ObservedProperty={"@iot.id": ids["PM2.5"]},
            ),
            datastream(
                "Chất lượng Nhà Bè",
                {"name": None, "symbol": None, "definition": None},
                "OM_CategoryObservation",
                Sensor={"@iot.id": ids["Quang học"]},
                ObservedProperty=observed_property("Chất lượng", "https://example.org/aq"),
            ),
        ],
    }
    ids["Trạm Nhà Bè"] = created(c.post(f"{ROOT}/Things", json=nb, headers=auth))
    for d in c.get(f"{ROOT}/Things({ids['Trạm Nhà Bè']})/Datastreams").json()["value"]:
        ids[d["name"]] = d["@iot.id"]
    for p in c.get(f"{ROOT}/ObservedProperties").json()["value"]:
        ids[p["name"]] = p["@iot.id"]
    area = {
        "name": "Khu dân cư Nhà Bè",
        "description": "Vùng quan sát",
        "encodingType": GEOJSON,
        "feature": AREA,
    }
    ids["area"] = created(c.post(f"{ROOT}/FeaturesOfInterest", json=area, headers=auth))
    for stream, rows in OBSERVATIONS.items():
        for time, result, extra in rows:
            body = {"phenomenonTime": time, "result": result, **extra}
            if "FeatureOfInterest" in extra:
                body["FeatureOfInterest"] = {"@iot.id": ids[extra["FeatureOfInterest"]]}
            r = c.post(f"{ROOT}/Datastreams({ids[stream]})/Observations", json=body, headers=auth)
            ids.setdefault(f"obs:{stream}", []).append(created(r))
    # Generated features are named after their Location.
    for f in c.get(f"{ROOT}/FeaturesOfInterest").json()["value"]:
        ids[f"foi:{f['name']}"] = f["@iot.id"]
    for loc in c.get(f"{ROOT}/Locations").json()["value"]:
        ids[f"loc:{loc['name']}"] = loc["@iot.id"]
    multi = {
        "name": "Bụi và nhiệt",
        "description": "PM2.5 và nhiệt độ cùng lúc",
        "observationType": OM + "OM_ComplexObservation",
        "multiObservationDataTypes": [OM + "OM_Measurement", OM + "OM_Measurement"],
        "unitOfMeasurements": [UG, CEL],
        "Thing": {"@iot.id": ids["Trạm Hoàn Kiếm"]},
        "Sensor": {"@iot.id": ids["Quang học"]},
        "ObservedProperties": [{"@iot.id": ids["PM2.5"]}, {"@iot.id": ids["Nhiệt độ"]}],
    }
    ids["Bụi và nhiệt"] = created(c.post(f"{ROOT}/MultiDatastreams", json=multi, headers=auth))
    r = c.post(
        f"{ROOT}/MultiDatastreams({ids['Bụi và nhiệt']})/Observations",
        json={"phenomenonTime": "2026-03-01T00:00:00Z", "result": [12, 27]},
        headers=auth,
    )
    ids["obs:Bụi và nhiệt"] = [created(r)]
    light = {
        "name": "Đèn đường 17",
        "description": "Đèn LED đường Tràng Tiền",
        "TaskingCapabilities": [
            {
                "name": "Điều chỉnh độ sáng",
                "description": "Độ sáng từ 0 đến 100 %",
                "taskingParameters": dimming(),
                "Actuator": {
                    "name": "Bộ điều khiển đèn",
                    "description": "Bộ điều khiển DALI",
                    "encodingType": "application/pdf",
                    "metadata": "https://example.org/dali.pdf",
                },
            }
        ],
    }
    ids["Đèn đường 17"] = created(c.post(f"{ROOT}/Things", json=light, headers=auth))
    tc = c.get(f"{ROOT}/TaskingCapabilities?$expand=Actuator").json()["value"][0]
    ids["Điều chỉnh độ sáng"] = tc["@iot.id"]
    ids["Bộ điều khiển đèn"] = tc["Actuator"]["@iot.id"]
    task = {"taskingParameters": {"brightness": 40}}
    r = c.post(f"{ROOT}/TaskingCapabilities({tc['@iot.id']})/Tasks", json=task, headers=auth)
    ids["task"] = created(r)
    return ids


def dimming() -> dict[str, Any]:
    """The tasking parameters of a dimmable streetlight (a SWE Common DataRecord)."""
    return {
        "type": "DataRecord",
        "field": [
            {
                "name": "brightness",
                "label": "Độ sáng",
                "description": "Độ sáng của đèn",
                "definition": "https://example.org/brightness",
                # The form dothi.sensors.tasking checks (17-079's examples nest the pair).
                "constraint": {"type": "AllowedValues", "interval": [0, 100]},
                "uom": {"code": "%"},
                "type": "Quantity",
            }
        ],
    }


@dataset(shared=True)
def sta_world(db: Database, settings: Settings, tmp_path: Path) -> dict[str, Any]:
    """The world, read-only (a test that writes is marked ``writes`` and gets a copy)."""
    return build_world(db, settings)
