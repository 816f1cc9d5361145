"""``frost-sta-client`` (the FROST-Server project's Python client, from PyPI) against a live
``dothi serve``, unchanged: it creates Things with Locations and Datastreams, Observations,
queries with its filter/expand/top API (following next links), updates (PUT and JSON
Patch) and deletes. Its authentication hook (an ``AuthHandler``) carries the account's
token; both backends."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import frost_sta_client as fsc
import geojson
import pytest
import requests
from live import dothi_server

from dothi.auth.accounts import create_account
from dothi.auth.tokens import create_token
from dothi.config import Settings
from dothi.db.engine import Database

OM = "http://www.opengis.net/def/observationType/OGC-OM/2.0/"


class _Bearer(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self.token = token

    def __call__(self, r: requests.PreparedRequest) -> requests.PreparedRequest:
        r.headers["Authorization"] = f"Bearer {self.token}"
        return r


class TokenAuth(fsc.AuthHandler):
    """The client's hook for credentials, with a Dothi API token."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def add_auth_header(self) -> requests.auth.AuthBase:
        return _Bearer(self.token)


@pytest.fixture
def service(
    db: Database, settings: Settings, env: dict[str, str]
) -> Iterator[fsc.SensorThingsService]:
    with db.write() as conn:
        create_account(conn, "frost", "editor")
        token, _ = create_token(conn, "frost", "frost-sta-client")
    with dothi_server(env) as url:
        yield fsc.SensorThingsService(url + "sta/v1.1", auth_handler=TokenAuth(token))


def _station(name: str, lon: float, lat: float) -> fsc.Thing:
    thing = fsc.Thing(
        name=name, description="Trạm quan trắc không khí", properties={"city": "Hà Nội"}
    )
    thing.locations = [
        fsc.Location(
            name=f"Vị trí {name}",
            description="Hè phố",
            encoding_type="application/geo+json",
            location=geojson.Point((lon, lat)),
        )
    ]
    thing.datastreams = [
        fsc.Datastream(
            name=f"PM2.5 {name}",
            description="Bụi mịn trung bình 1 giờ",
            observation_type=OM + "OM_Measurement",
            unit_of_measurement=fsc.UnitOfMeasurement(
                "microgram per cubic metre", "µg/m³", "ucum:ug/m3"
            ),
            sensor=fsc.Sensor(
                name="Cảm biến quang học",
                description="Tán xạ laser",
                encoding_type="application/pdf",
                metadata="https://example.org/pms.pdf",
            ),
            observed_property=fsc.ObservedProperty(
                name="PM2.5",
                definition="https://dbpedia.org/page/Particulates",
                description="Bụi mịn",
            ),
        )
    ]
    return thing


def test_frost_client_creates_queries_updates_and_deletes(service: fsc.SensorThingsService) -> None:
    hk = _station("Hoàn Kiếm", 105.8522, 21.0287)
    service.create(hk)
    assert isinstance(hk.id, int)
    nb = _station("Nhà Bè", 106.73, 10.695)
    service.create(nb)
    # A second Datastream linked to the Thing the client already holds (sent in full).
    found = service.things().find(hk.id)
    sensor = service.sensors().query().filter("name eq 'Cảm biến quang học'").top(1).list().get(0)
    temperature = fsc.Datastream(
        name="Nhiệt độ Hoàn Kiếm",
        description="Nhiệt độ không khí",
        observation_type=OM + "OM_Measurement",
        unit_of_measurement=fsc.UnitOfMeasurement("degree Celsius", "°C", "ucum:Cel"),
        thing=found,
        sensor=sensor,
        observed_property=fsc.ObservedProperty(
            name="Nhiệt độ", definition="ucum:Cel", description="Nhiệt"
        ),
    )
    service.create(temperature)
    start = datetime(2026, 3, 1, tzinfo=UTC)
    pm = service.datastreams().query().filter("name eq 'PM2.5 Hoàn Kiếm'").list().get(0)
    for hour in range(7):
        obs = fsc.Observation(
            phenomenon_time=start + timedelta(hours=hour), result=10 * hour, datastream=pm
        )
        service.create(obs)
    for hour in range(2):
        obs = fsc.Observation(
            phenomenon_time=start + timedelta(hours=hour), result=25 + hour, datastream=temperature
        )
        service.create(obs)
    # Queries: $filter, $orderby, $top (every page through the next links), $count.
    query = (
        service.observations()
        .query()
        .filter("result ge 20 and result lt 60")
        .orderby("result", "asc")
    )
    results = [o.result for o in query.top(2).count().list()]
    assert results == [20, 25, 26, 30, 40, 50]
    listed = query.top(2).count().list()
    assert listed.count == 6 and listed.next_link is not None
    things = (
        service.things()
        .query()
        .expand("Datastreams($orderby=name),Locations")
        .orderby("name", "asc")
        .list()
    )
    assert [t.name for t in things] == ["Hoàn Kiếm", "Nhà Bè"]
    first = things.get(0)
    assert [d.name for d in first.datastreams] == ["Nhiệt độ Hoàn Kiếm", "PM2.5 Hoàn Kiếm"]
    assert first.locations.get(0).location["coordinates"] == [105.8522, 21.0287]
    near = (
        service.things()
        .query()
        .filter("geo.distance(Locations/location, geography'POINT(105.85 21.03)') lt 0.1")
        .list()
    )
    assert [t.name for t in near] == ["Hoàn Kiếm"]
    streams = found.get_datastreams().query().filter("startswith(name, 'PM')").list()
    assert [d.name for d in streams] == ["PM2.5 Hoàn Kiếm"]
    # Updates: PUT the entity as read back, then a JSON Patch.
    thing = service.things().find(nb.id)
    thing.description = "Cảm biến giá rẻ"
    service.update(thing)
    assert service.things().find(nb.id).description == "Cảm biến giá rẻ"
    service.patch(thing, [{"op": "replace", "path": "/name", "value": "Nhà Bè 2"}])
    again = service.things().find(nb.id)
    assert (again.name, again.properties) == ("Nhà Bè 2", {"city": "Hà Nội"})
    obs = service.observations().query().filter("result eq 60").list().get(0)
    obs.result = 61
    service.update(obs)
    assert service.observations().find(obs.id).result == 61
    # Deletes, with what goes with a Thing.
    service.delete(obs)
    service.delete(again)
    with pytest.raises(requests.exceptions.HTTPError) as gone:
        service.things().find(nb.id)
    assert gone.value.response.status_code == 404
    assert [t.name for t in service.things().query().list()] == ["Hoàn Kiếm"]
    assert len(list(service.observations().query().list())) == 8
