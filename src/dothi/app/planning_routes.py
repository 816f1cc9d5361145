"""HTTP route of the planning lookup: ``GET /planning/lookup``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import Connection

from dothi.app.auth_deps import CurrentPrincipal
from dothi.auth.policy import Principal
from dothi.db.engine import Database
from dothi.errors import InvalidInput
from dothi.planning import lookup as pl
from dothi.spatial.queries import parse_datetime

router = APIRouter(tags=["planning"])

_KEYS = {
    "point": ("lon", "lat"),
    "certificate": ("x", "y", "crs"),
    "parcel": ("commune", "sheet_no", "parcel_no"),
}
_KNOWN = {k for names in _KEYS.values() for k in names} | {"datetime"}


def _number(params: dict[str, str], name: str) -> float:
    try:
        value = float(params[name])
    except ValueError:
        raise InvalidInput(f"{name} phải là một số.", f"{name} must be a number.") from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidInput(f"{name} phải là một số hữu hạn.", f"{name} must be a finite number.")
    return value


@router.get("/lookup")
def planning_lookup(request: Request, who: CurrentPrincipal) -> JSONResponse:
    """Tra cứu quy hoạch theo điểm, tọa độ VN-2000 trên giấy chứng nhận, hoặc thửa đất /
    planning lookup by point, VN-2000 certificate coordinates, or parcel."""
    params = dict(request.query_params)
    unknown = sorted(set(params) - _KNOWN)
    if unknown:
        raise InvalidInput(
            f"Tham số không được hỗ trợ: {', '.join(unknown)}.",
            f"Unsupported parameter(s): {', '.join(unknown)}.",
        )
    given = [kind for kind, names in _KEYS.items() if any(n in params for n in names)]
    if len(given) != 1 or not all(n in params for n in _KEYS[given[0]]):
        raise InvalidInput(
            "Cho đúng một cách tra cứu: lon+lat, hoặc x+y+crs (tọa độ VN-2000 trên giấy chứng "
            "nhận: X là tọa độ bắc, Y là tọa độ đông), hoặc commune+sheet_no+parcel_no.",
            "Give exactly one way to look up: lon+lat, or x+y+crs (VN-2000 certificate "
            "coordinates: X northing, Y easting), or commune+sheet_no+parcel_no.",
        )
    as_of = parse_datetime(params.get("datetime"))
    db: Database = request.app.state.db
    with db.read() as conn:
        answer = _answer(db, conn, who, given[0], params, as_of)
    body: dict[str, Any] = answer.as_dict()
    return JSONResponse(body)


def _answer(
    db: Database,
    conn: Connection,
    who: Principal,
    kind: str,
    params: dict[str, str],
    as_of: datetime | None,
) -> pl.Lookup:
    if kind == "parcel":
        return pl.lookup_parcel(
            db,
            conn,
            who,
            params["commune"],
            params["sheet_no"],
            params["parcel_no"],
            as_of=as_of,
        )
    if kind == "certificate":
        lon, lat = pl.certificate_to_lonlat(
            _number(params, "x"), _number(params, "y"), params["crs"]
        )
    else:
        lon, lat = _number(params, "lon"), _number(params, "lat")
    return pl.lookup_point(db, conn, who, lon, lat, as_of=as_of)
