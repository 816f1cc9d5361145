"""Conformance class ``datamodel`` (OGC 18-088 §8): the control information, the
properties and the relations of every entity type, one requirement at a time, on both
backends. The expected properties and relations are the standard's tables, written here
again rather than read from the server's model."""

from __future__ import annotations

from typing import Any

import pytest
import sta_samples
from sta_samples import GEOJSON, OM, REQ, ROOT, UG, client, point

from dothi.config import Settings
from dothi.db.engine import Database

CONFORMANCE_CLASS = REQ + "datamodel"
#: The shared world, a fixture named ``sta_world``.
world = sta_samples.sta_world
BASE = "http://testserver" + ROOT

#: (mandatory, optional) properties of each entity type (18-088 Tables 2–16).
PROPERTIES: dict[str, tuple[set[str], set[str]]] = {
    "Things": ({"name", "description"}, {"properties"}),
    "Locations": ({"name", "description", "encodingType", "location"}, {"properties"}),
    "HistoricalLocations": ({"time"}, set()),
    "Datastreams": (
        {"name", "description", "unitOfMeasurement", "observationType"},
        {"observedArea", "phenomenonTime", "resultTime", "properties"},
    ),
    "Sensors": ({"name", "description", "encodingType", "metadata"}, {"properties"}),
    "ObservedProperties": ({"name", "definition", "description"}, {"properties"}),
    "Observations": (
        {"phenomenonTime", "result", "resultTime"},
        {"resultQuality", "validTime", "parameters"},
    ),
    "FeaturesOfInterest": ({"name", "description", "encodingType", "feature"}, {"properties"}),
}
#: Relations of each entity type (18-088), and those the MultiDatastream and Tasking
#: extensions add; the plural ones lead to collections.
RELATIONS: dict[str, tuple[set[str], set[str]]] = {
    "Things": (
        {"Locations", "HistoricalLocations", "Datastreams"},
        {"MultiDatastreams", "TaskingCapabilities"},
    ),
    "Locations": ({"Things", "HistoricalLocations"}, set()),
    "HistoricalLocations": ({"Thing", "Locations"}, set()),
    "Datastreams": ({"Thing", "Sensor", "ObservedProperty", "Observations"}, set()),
    "Sensors": ({"Datastreams"}, {"MultiDatastreams"}),
    "ObservedProperties": ({"Datastreams"}, {"MultiDatastreams"}),
    "Observations": ({"Datastream", "FeatureOfInterest"}, {"MultiDatastream"}),
    "FeaturesOfInterest": ({"Observations"}, set()),
}
#: The requirement of each entity set, as the standard names it.
REQUIREMENT = {
    "Things": "thing",
    "Locations": "location",
    "HistoricalLocations": "historical-location",
    "Datastreams": "datastream",
    "Sensors": "sensor",
    "ObservedProperties": "observed-property",
    "Observations": "observation",
    "FeaturesOfInterest": "feature-of-interest",
}
ALL_SETS = [
    *PROPERTIES,
    "MultiDatastreams",
    "TaskingCapabilities",
    "Tasks",
    "Actuators",
]


def _path(url: str) -> str:
    assert url.startswith(BASE), url
    return ROOT + url.removeprefix(BASE)


def _valid_body(entity_set: str, ids: dict[str, Any]) -> dict[str, Any]:
    """A body that creates one entity of the set (linking to the world's entities)."""
    described = {"name": "Mới", "description": "Thực thể mới"}
    return {
        "Things": described,
        "Locations": {**described, "encodingType": GEOJSON, "location": point(105.8, 21.0)},
        "HistoricalLocations": {
            "time": "2026-01-01T00:00:00Z",
            "Thing": {"@iot.id": ids["Trạm Hoàn Kiếm"]},
            "Locations": [{"@iot.id": ids["loc:Hồ Gươm"]}],
        },
        "Datastreams": {
            **described,
            "unitOfMeasurement": UG,
            "observationType": OM + "OM_Measurement",
            "Thing": {"@iot.id": ids["Trạm Hoàn Kiếm"]},
            "Sensor": {"@iot.id": ids["Quang học"]},
            "ObservedProperty": {"@iot.id": ids["PM2.5"]},
        },
        "Sensors": {**described, "encodingType": "text/html", "metadata": "https://x.org"},
        "ObservedProperties": {**described, "definition": "https://x.org/p"},
        "Observations": {"result": 1, "Datastream": {"@iot.id": ids["PM2.5 Hoàn Kiếm"]}},
        "FeaturesOfInterest": {**described, "encodingType": GEOJSON, "feature": point(1, 2)},
    }[entity_set]


@pytest.mark.parametrize("entity_set", ALL_SETS)
def test_common_control_information(
    sta_world: dict[str, Any], db: Database, settings: Settings, entity_set: str
) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel/entity-control-information/common-control-information

    Every entity has ``@iot.id``, an ``@iot.selfLink`` that reads it back, and a
    ``<Relation>@iot.navigationLink`` for each relation that reads the related entities."""
    c = client(db, settings)
    entities = c.get(f"{ROOT}/{entity_set}").json()["value"]
    assert entities, entity_set
    for entity in entities:
        assert isinstance(entity["@iot.id"], int)
        assert entity["@iot.selfLink"] == f"{BASE}/{entity_set}({entity['@iot.id']})"
        again = c.get(_path(entity["@iot.selfLink"]))
        assert again.status_code == 200 and again.json() == entity
        links = {k: v for k, v in entity.items() if k.endswith("@iot.navigationLink")}
        assert links, entity_set
        for key, link in links.items():
            assert link == f"{entity['@iot.selfLink']}/{key.removesuffix('@iot.navigationLink')}"
            # 204: an empty link to one entity (an Observation of a MultiDatastream).
            assert c.get(_path(link)).status_code in (200, 204), link


@pytest.mark.writes
@pytest.mark.parametrize("entity_set", list(PROPERTIES), ids=REQUIREMENT.get)
def test_properties(
    sta_world: dict[str, Any], db: Database, settings: Settings, entity_set: str
) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel/{thing,location,historical-location,datastream,sensor,observed-property,observation,feature-of-interest}/properties

    Each entity has the mandatory properties of its table and may have the optional ones,
    nothing else; each can be read on its own; one created without a mandatory property
    the client must give is refused (400) and nothing is created."""
    mandatory, optional = PROPERTIES[entity_set]
    c = client(db, settings)
    entities = c.get(f"{ROOT}/{entity_set}").json()["value"]
    for entity in entities:
        plain = {k for k in entity if "@" not in k}
        assert mandatory <= plain, (entity_set, mandatory - plain)
        assert plain <= mandatory | optional, (entity_set, plain - mandatory - optional)
    first = entities[0]["@iot.id"]
    for name in sorted(mandatory | optional):
        r = c.get(f"{ROOT}/{entity_set}({first})/{name}")
        if r.status_code == 204:
            assert name not in mandatory or name == "resultTime", name
            continue
        assert r.status_code == 200, (name, r.text)
        assert list(r.json()) == [name]
    auth = sta_world["auth"]
    body = _valid_body(entity_set, sta_world)
    before = c.get(f"{ROOT}/{entity_set}?$count=true&$top=0").json()["@iot.count"]
    # phenomenonTime and resultTime of an Observation are the server's to fill in.
    for name in sorted(mandatory - {"phenomenonTime", "resultTime"}):
        lacking = {k: v for k, v in body.items() if k != name}
        r = c.post(f"{ROOT}/{entity_set}", json=lacking, headers=auth, params={"lang": "en"})
        assert r.status_code == 400 and name in r.text, (name, r.text)
    assert c.get(f"{ROOT}/{entity_set}?$count=true&$top=0").json()["@iot.count"] == before
    made = c.post(f"{ROOT}/{entity_set}", json=body, headers=auth)
    assert made.status_code == 201, made.text
    assert mandatory <= set(made.json())


@pytest.mark.writes
@pytest.mark.parametrize("entity_set", list(RELATIONS), ids=REQUIREMENT.get)
def test_relations(
    sta_world: dict[str, Any], db: Database, settings: Settings, entity_set: str
) -> None:
    """http://www.opengis.net/spec/iot_sensing/1.1/req/datamodel/{thing,location,historical-location,datastream,sensor,observed-property,observation,feature-of-interest}/relations

    Each entity has the direct relations of its table (and those of the extensions): a
    relation to many reads a collection, to one an entity, and the related entity relates
    back; an entity without a mandatory relation cannot be created."""
    core, extension = RELATIONS[entity_set]
    c = client(db, settings)
    for entity in c.get(f"{ROOT}/{entity_set}").json()["value"]:
        names = {k.removesuffix("@iot.navigationLink") for k in entity if "@iot.nav" in k}
        assert core <= names <= core | extension, (entity_set, names)
        for name in sorted(core):
            r = c.get(f"{ROOT}/{entity_set}({entity['@iot.id']})/{name}")
            if name.endswith("s"):
                assert r.status_code == 200 and isinstance(r.json()["value"], list)
            else:
                # A to-one relation may be empty only for an Observation of a
                # MultiDatastream (its Datastream): 204 No Content.
                assert r.status_code == 200 or (name == "Datastream" and r.status_code == 204)
    auth = sta_world["auth"]
    body = _valid_body(entity_set, sta_world)
    for name in {"Thing", "Sensor", "ObservedProperty", "Datastream"} & set(body):
        lacking = {k: v for k, v in body.items() if k != name}
        r = c.post(f"{ROOT}/{entity_set}", json=lacking, headers=auth, params={"lang": "en"})
        assert r.status_code == 400 and name in r.text, (name, r.text)
    made = c.post(f"{ROOT}/{entity_set}", json=body, headers=auth)
    assert made.status_code == 201, made.text
    new_id = made.json()["@iot.id"]
    for name in sorted(n for n in core if not n.endswith("s")):
        linked = c.get(f"{ROOT}/{entity_set}({new_id})/{name}").json()
        back = c.get(_path(linked["@iot.selfLink"]) + f"/{entity_set}").json()["value"]
        assert new_id in [e["@iot.id"] for e in back], (entity_set, name)
