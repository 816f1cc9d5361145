"""OGC API – Features Part 2 (CRS by reference): the CRSs offered and their axis order.

Coordinates go out in the axis order the CRS defines: CRS84 is longitude, latitude;
EPSG:4326 and EPSG:4756 (VN-2000 geographic) are latitude, longitude; the projected
VN-2000 CRSs are easting, northing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

import numpy as np
import pyproj
import shapely
from shapely.geometry.base import BaseGeometry

from dothi.errors import InvalidInput
from dothi.geo.transform import move, move_xy

CRS84 = "http://www.opengis.net/def/crs/OGC/1.3/CRS84"
_EPSG = "http://www.opengis.net/def/crs/EPSG/0/"
#: WGS 84, VN-2000 geographic, UTM 48N/49N and every TM-3 zone.
SUPPORTED_EPSG = (4326, 4756, 3405, 3406, 5896, 5897, 5898, 5899, *range(9205, 9219))


def supported_uris() -> list[str]:
    """The CRS URIs every collection can be read in (``crs`` of a collection)."""
    return [CRS84, *(f"{_EPSG}{code}" for code in SUPPORTED_EPSG)]


@dataclass(frozen=True)
class OutputCrs:
    """A CRS asked for by URI, with what is needed to write and read coordinates in it."""

    uri: str
    crs: pyproj.CRS
    #: True when the first axis is northing/latitude (coordinates are swapped for it).
    lat_first: bool

    @property
    def is_storage(self) -> bool:
        """True for CRS84, the storage CRS: no transformation at all."""
        return self.uri == CRS84


def _code(uri: str) -> int | None:
    for prefix in (_EPSG, "https://www.opengis.net/def/crs/EPSG/0/", "EPSG:", "epsg:"):
        if uri.startswith(prefix):
            tail = uri[len(prefix) :]
            return int(tail) if tail.isdigit() else None
    return None


@cache
def parse_crs(uri: str | None) -> OutputCrs:
    """The CRS of a ``crs``/``bbox-crs``/``filter-crs`` parameter (default CRS84)."""
    if uri is None or uri in (CRS84, "https://www.opengis.net/def/crs/OGC/1.3/CRS84"):
        return OutputCrs(CRS84, pyproj.CRS.from_user_input("OGC:CRS84"), lat_first=False)
    code = _code(uri.strip())
    if code is None or code not in SUPPORTED_EPSG:
        raise InvalidInput(
            f"Hệ tọa độ «{uri}» không được hỗ trợ. Dùng {CRS84} hoặc {_EPSG}<mã> với mã là "
            f"một trong: {', '.join(map(str, SUPPORTED_EPSG))}.",
            f"Unsupported CRS '{uri}'. Use {CRS84} or {_EPSG}<code> with one of: "
            f"{', '.join(map(str, SUPPORTED_EPSG))}.",
            code="InvalidParameterValue",
        )
    crs = pyproj.CRS.from_epsg(code)
    lat_first = crs.axis_info[0].direction in ("north", "south")
    return OutputCrs(f"{_EPSG}{code}", crs, lat_first)


def _swap(coords: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    return coords[:, ::-1].copy()


def to_output(geoms: Any, target: OutputCrs) -> Any:
    """WGS 84 lon/lat geometries (one or an array) in ``target``, in its axis order."""
    if target.is_storage:
        return geoms
    moved = move(geoms, pyproj.CRS.from_epsg(4326), target.crs)
    return shapely.transform(moved, _swap) if target.lat_first else moved


def from_input(geometry: BaseGeometry, source: OutputCrs) -> BaseGeometry:
    """A geometry given in ``source`` (its axis order) as WGS 84 lon/lat."""
    if source.is_storage:
        return geometry
    g = shapely.transform(geometry, _swap) if source.lat_first else geometry
    return move(g, source.crs, pyproj.CRS.from_epsg(4326))


def bbox_to_wgs84(
    bbox: tuple[float, float, float, float], source: OutputCrs
) -> tuple[float, float, float, float]:
    """A ``bbox`` given in ``source`` (its axis order) as a lon/lat box covering it."""
    if source.is_storage:
        return bbox
    a, b, c, d = bbox
    # Points along the edges: a straight edge in one CRS is curved in another.
    t = np.linspace(0.0, 1.0, 17)
    with np.errstate(over="ignore", invalid="ignore"):  # absurd boxes are refused below
        first = np.concatenate([a + (c - a) * t, np.full(17, c), c - (c - a) * t, np.full(17, a)])
        second = np.concatenate([np.full(17, b), b + (d - b) * t, np.full(17, d), d - (d - b) * t])
    if source.lat_first:
        first, second = second, first  # now x = longitude/easting, y = latitude/northing
    finite = np.isfinite(first).all() and np.isfinite(second).all()
    if not finite or (
        source.crs.is_geographic and (np.abs(second).max() > 90 or np.abs(first).max() > 180)
    ):
        raise _outside(source)
    x, y = move_xy(first, second, source.crs, pyproj.CRS.from_epsg(4326))
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise _outside(source)
    return (float(x.min()), float(y.min()), float(x.max()), float(y.max()))


def _outside(source: OutputCrs) -> InvalidInput:
    return InvalidInput(
        f"bbox nằm ngoài vùng xác định của hệ tọa độ {source.uri}.",
        f"The bbox lies outside the area where {source.uri} is defined.",
        code="InvalidParameterValue",
    )
