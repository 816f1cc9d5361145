"""Measuring in metres: local metric projections and geodesic areas on the WGS 84 ellipsoid.

A *local metric projection* is centred on a place (rounded to 0.0001°, so nearby places
share one) and has metres as units: ``"laea"`` (Lambert azimuthal equal-area: areas are
ellipsoidal areas) or ``"aeqd"`` (azimuthal equidistant: distances from the centre are
geodesic distances). Move geometries into one with :func:`dothi.geo.transform.move_with`.
"""

from __future__ import annotations

from functools import cache, lru_cache
from typing import Literal

import pyproj
from shapely.geometry.base import BaseGeometry

__all__ = ["MetricKind", "geodesic_area", "local_metric", "local_metric_crs"]

MetricKind = Literal["laea", "aeqd"]
#: Decimals the centre is rounded to (0.0001° ≈ 11 m).
_CENTRE_DECIMALS = 4


def local_metric_crs(lon: float, lat: float, kind: MetricKind) -> str:
    """The PROJ string of the ``kind`` projection centred on (``lon``, ``lat``) rounded to
    0.0001°, on the WGS 84 ellipsoid, in metres."""
    lon, lat = round(lon, _CENTRE_DECIMALS), round(lat, _CENTRE_DECIMALS)
    return f"+proj={kind} +lat_0={lat} +lon_0={lon} +ellps=WGS84 +units=m"


def local_metric(lon: float, lat: float, kind: MetricKind) -> pyproj.Transformer:
    """An ``always_xy`` transformer from WGS 84 lon/lat to :func:`local_metric_crs`.

    The same object is returned for every centre that rounds alike (a cache of 256); it is
    used from any thread, as transformers made by ``Transformer.from_crs`` may be.
    """
    return _local_metric(round(lon, _CENTRE_DECIMALS), round(lat, _CENTRE_DECIMALS), kind)


@lru_cache(maxsize=256)
def _local_metric(lon: float, lat: float, kind: MetricKind) -> pyproj.Transformer:
    crs = pyproj.CRS.from_proj4(local_metric_crs(lon, lat, kind))
    return pyproj.Transformer.from_crs("EPSG:4326", crs, always_xy=True)


@cache
def _geod() -> pyproj.Geod:
    return pyproj.Geod(ellps="WGS84")


def geodesic_area(geom: BaseGeometry) -> float:
    """Geodesic area of a lon/lat geometry in square metres (0 for points and lines)."""
    if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon", "GeometryCollection"):
        return 0.0
    area, _ = _geod().geometry_area_perimeter(geom)
    return abs(float(area))
