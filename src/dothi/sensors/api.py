"""``/sensors``: the small JSON API of the map's sensor layer, over
:mod:`dothi.sensors.latest`.

- ``GET /sensors/latest`` — every Thing with a Location as GeoJSON: its Datastreams'
  latest values, its profile and its state (level, colour, label in both languages);
- ``GET /sensors/datastreams/{id}/rollups?resolution=hour|day&from=&to=`` — a chart's
  hourly or daily count, min, max, mean and last.

Open to everyone, as the SensorThings API's reads are.
"""

from __future__ import annotations

from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from dothi.sensors.latest import rollup_series, sensors_geojson
from dothi.webkit.deps import db_of

router = APIRouter(tags=["sensors"])


@router.get("/latest", response_class=Response)
def latest(request: Request) -> Response:
    """Thiết bị và số đo mới nhất / the devices with their latest readings and state
    (GeoJSON FeatureCollection)."""
    with db_of(request).read() as conn:
        doc = sensors_geojson(conn)
    # Thousands of devices: serialised at once rather than walked by the JSON encoder.
    return Response(
        orjson.dumps(doc),
        media_type="application/geo+json",
        headers={"Cache-Control": "no-cache"},
    )


@router.get("/datastreams/{datastream_id}/rollups")
def rollups(
    request: Request,
    datastream_id: Annotated[int, Path(ge=1, le=2**63 - 1)],
    resolution: str = "hour",
    start: Annotated[str | None, Query(alias="from")] = None,
    end: Annotated[str | None, Query(alias="to")] = None,
) -> dict[str, Any]:
    """Số liệu tổng hợp cho biểu đồ / a Datastream's hourly or daily rollups (count, min,
    max, mean, last) over ``[from, to)``, by default the last day (hour) or week (day)."""
    with db_of(request).read() as conn:
        return rollup_series(conn, datastream_id, resolution, start, end)
