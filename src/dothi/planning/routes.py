"""HTTP routes of planning (mounted at ``/planning``): ``lookup``, ``sheet`` (PDF), ``search``,
``compliance``, ``regulations``, ``plans`` (with each plan's ``boundary``, ``zones`` and
``changes``). Thin adapters over :mod:`dothi.planning`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import shapely.geometry
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response
from sqlalchemy import Connection

from dothi.auth.policy import Principal
from dothi.db.engine import Database
from dothi.errors import DothiError, InvalidInput, NotFound
from dothi.params import parse_datetime
from dothi.planning import changes as ch
from dothi.planning import compliance, plans, sheet
from dothi.planning import lookup as pl
from dothi.planning import regulations as regs
from dothi.webkit.bodies import json_body, query_params
from dothi.webkit.deps import CurrentPrincipal, audit_layer_reads, db_of, readable_access

router = APIRouter(tags=["planning"])

_KEYS = {
    "point": ("lon", "lat"),
    "certificate": ("x", "y", "crs"),
    "parcel": ("commune", "sheet_no", "parcel_no"),
    "address": ("q",),
}
_KNOWN = {k for names in _KEYS.values() for k in names} | {"datetime"}


#: How people call the coordinates a lookup takes (errors name them so, with the parameter).
_COORDINATES = {
    "lon": ("Kinh độ", "The longitude"),
    "lat": ("Vĩ độ", "The latitude"),
    "x": ("Tọa độ X", "The X coordinate"),
    "y": ("Tọa độ Y", "The Y coordinate"),
}


def _number(params: dict[str, str], name: str) -> float:
    vi, en = _COORDINATES[name]
    try:
        value = float(params[name])
    except ValueError:
        raise InvalidInput(
            f"{vi} ({name}) phải là một số.", f"{en} ({name}) must be a number."
        ) from None
    if value != value or value in (float("inf"), float("-inf")):
        raise InvalidInput(
            f"{vi} ({name}) phải là một số hữu hạn.", f"{en} ({name}) must be a finite number."
        )
    return value


def _lookup_kind(params: dict[str, str]) -> str:
    """Which way to find the place the query parameters give (exactly one is allowed)."""
    given = [kind for kind, names in _KEYS.items() if any(n in params for n in names)]
    if len(given) != 1 or not all(n in params for n in _KEYS[given[0]]):
        raise InvalidInput(
            "Cho đúng một cách tra cứu: lon+lat, hoặc x+y+crs (tọa độ VN-2000 trên giấy chứng "
            "nhận: X là tọa độ bắc, Y là tọa độ đông), hoặc commune+sheet_no+parcel_no, hoặc q "
            "(địa chỉ).",
            "Give exactly one way to look up: lon+lat, or x+y+crs (VN-2000 certificate "
            "coordinates: X northing, Y easting), or commune+sheet_no+parcel_no, or q "
            "(an address).",
        )
    return given[0]


def _lookup_from(request: Request, who: Principal) -> pl.Lookup:
    """The lookup the query parameters ask for (one way to find the place)."""
    params = query_params(request, _KNOWN)
    kind = _lookup_kind(params)
    as_of = parse_datetime(params.get("datetime"))
    db = db_of(request)
    # Independent reads: no BEGIN/COMMIT round trips on PostgreSQL.
    with db.read(snapshot=False) as conn:
        return _answer(db, conn, who, kind, params, as_of)


@router.get("/lookup")
async def planning_lookup(request: Request, who: CurrentPrincipal) -> Response:
    """Tra cứu quy hoạch theo điểm, tọa độ VN-2000 trên giấy chứng nhận, thửa đất hoặc địa
    chỉ / planning lookup by point, VN-2000 certificate coordinates, parcel or address."""
    params = query_params(request, _KNOWN)
    if _lookup_kind(params) in ("point", "certificate") and "datetime" not in params:
        # A point lookup is a few index reads (one call on PostGIS), well under a
        # millisecond: run in the event loop, the trip to the thread pool costs more.
        answer = _lookup_from(request, who)
    else:
        # Address and parcel-number searches and history reads may take longer.
        answer = await run_in_threadpool(_lookup_from, request, who)
    if "restricted" in answer.read.values():
        await run_in_threadpool(audit_layer_reads, request, who, answer.read)
    return Response(orjson.dumps(answer.as_dict()), media_type="application/json")


@router.get("/sheet", responses={200: {"content": {"application/pdf": {}}}})
def planning_sheet(request: Request, who: CurrentPrincipal) -> Response:
    """Phiếu thông tin quy hoạch (PDF) của một thửa / the planning information sheet (PDF)
    of a parcel, found as for ``/planning/lookup``."""
    answer = _lookup_from(request, who)
    if answer.parcel is None:
        raise NotFound(
            "Không có thửa đất tại điểm này để in phiếu.", "There is no parcel here to print."
        )
    db = db_of(request)
    with db.read() as conn:
        context = pl.surroundings(db, conn, who, sheet.map_bounds(answer))
    audit_layer_reads(request, who, answer.read | readable_access(db, who, pl.CONTEXT_LAYERS))
    name = f"phieu-quy-hoach-{answer.parcel.get('parcel_uid', 'thua')}.pdf"
    return Response(
        sheet.render_sheet(answer, context=context),
        media_type="application/pdf",
        headers={"Content-Disposition": f'inline; filename="{name}"'},
    )


def _answer(
    db: Database,
    conn: Connection,
    who: Principal,
    kind: str,
    params: dict[str, str],
    as_of: datetime | None,
) -> pl.Lookup:
    if kind == "address":
        return pl.lookup_address(db, conn, who, params["q"])
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


_MAX_BATCH = 500


def _parcel_key(doc: Any) -> tuple[str, str, str]:
    if not isinstance(doc, dict) or not all(k in doc for k in ("commune", "sheet_no", "parcel_no")):
        raise InvalidInput(
            "parcel phải có commune, sheet_no và parcel_no.",
            "parcel must have commune, sheet_no and parcel_no.",
        )
    return str(doc["commune"]), str(doc["sheet_no"]), str(doc["parcel_no"])


def _one(
    db: Database, conn: Connection, who: Principal, doc: Any, edition: regs.Edition
) -> dict[str, Any]:
    if not isinstance(doc, dict):
        raise InvalidInput("Mỗi đề xuất là một đối tượng JSON.", "Each proposal is a JSON object.")
    proposal = compliance.parse_proposal(doc.get("building"))
    answer = pl.lookup_parcel(db, conn, who, *_parcel_key(doc.get("parcel")))
    result = compliance.as_dict(compliance.check(answer, proposal, edition))
    parcel = answer.parcel or {}
    return {"parcel": parcel.get("parcel_uid"), "edition": edition.code, **result}


@router.post("/compliance")
async def planning_compliance(request: Request, who: CurrentPrincipal) -> JSONResponse:
    """Kiểm tra đề xuất xây dựng theo quy hoạch (một hoặc nhiều) / check building proposals
    against the plan (one, or many as ``{"proposals": [...]}``)."""
    doc = await json_body(request)
    if not isinstance(doc, dict):
        raise InvalidInput("Thân yêu cầu phải là đối tượng JSON.", "The body must be an object.")
    edition_code, day = doc.get("edition"), doc.get("date")
    if edition_code is not None:
        edition = regs.edition_named(str(edition_code))
    else:
        when = parse_datetime(str(day)) if day is not None else None
        edition = regs.edition_on((when or datetime.now(UTC)).date())
    db = db_of(request)
    if "proposals" not in doc:

        def single() -> dict[str, Any]:
            with db.read() as conn:
                answer = _one(db, conn, who, doc, edition)
            audit_layer_reads(request, who, readable_access(db, who, pl.LAYERS))
            return answer

        return JSONResponse(await run_in_threadpool(single))
    items = doc["proposals"]
    if not isinstance(items, list) or not 1 <= len(items) <= _MAX_BATCH:
        raise InvalidInput(
            f"proposals phải là danh sách 1–{_MAX_BATCH} đề xuất.",
            f"proposals must be a list of 1–{_MAX_BATCH} proposals.",
        )

    def batch() -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        with db.read() as conn:
            for i, item in enumerate(items):
                try:
                    out.append({"index": i, **_one(db, conn, who, item, edition)})
                except DothiError as exc:  # one bad proposal does not stop the batch
                    out.append({"index": i, "error": {"vi": exc.vi, "en": exc.en}})
        audit_layer_reads(request, who, readable_access(db, who, pl.LAYERS))
        return out

    return JSONResponse({"edition": edition.code, "results": await run_in_threadpool(batch)})


@router.get("/search")
def planning_search(request: Request, who: CurrentPrincipal) -> JSONResponse:
    """Tìm thửa theo địa chỉ, tên đường, phường/xã hoặc số tờ/số thửa, không phân biệt dấu /
    find parcels by address, street, ward or sheet/parcel number, ignoring tone marks and
    case (``?q=``, up to 20)."""
    params = dict(request.query_params)
    if set(params) != {"q"}:
        raise InvalidInput("Chỉ dùng tham số q.", "Use the q parameter only.")
    db = db_of(request)
    with db.read() as conn:
        found = pl.search_parcels(db, conn, who, params["q"], limit=20)
        codes = {str(r.properties.get("commune_code")) for r in found}
        names = (
            pl.commune_names(db, conn, codes)
            if pl.COMMUNES in readable_access(db, who, (pl.COMMUNES,))
            else {}
        )
    audit_layer_reads(request, who, readable_access(db, who, (pl.PARCELS,)))
    keys = ("address", "commune_code", "sheet_no", "parcel_no", "area_m2", "illustrative")
    parcels = [
        {
            "parcel_uid": r.fid,
            **{k: r.properties.get(k) for k in keys},
            "commune_name": names.get(str(r.properties.get("commune_code"))),
        }
        for r in found
    ]
    return JSONResponse({"parcels": parcels})


@router.get("/regulations")
def planning_regulations() -> JSONResponse:
    """Các ấn bản quy chuẩn và thời gian hiệu lực / regulation editions and their validity."""
    today = datetime.now(UTC).date()
    current = regs.edition_on(today).code
    return JSONResponse(
        {
            "editions": [
                {
                    "code": e.code,
                    "valid_from": e.valid_from.isoformat(),
                    "valid_to": None if e.valid_to is None else e.valid_to.isoformat(),
                    "in_force": e.code == current,
                    "rules": e.rules,
                }
                for e in regs.editions()
            ]
        }
    )


@router.get("/plans")
def planning_plans(request: Request, who: CurrentPrincipal) -> JSONResponse:
    """Các đồ án quy hoạch / plans, with their status and approval decision."""
    db = db_of(request)
    with db.read() as conn:
        found = plans.list_plans(conn, plans.shown_statuses(who))
    return JSONResponse({"plans": [p.to_dict() for p in found]})


@router.get("/plans/{plan_id}/boundary")
def planning_plan_boundary(request: Request, plan_id: str, who: CurrentPrincipal) -> Response:
    """Ranh giới đồ án (hợp các ô quy hoạch), GeoJSON / the plan's boundary (the union of its
    zones) as a GeoJSON Feature."""
    db = db_of(request)
    with db.read() as conn:
        found = plans.get_plan(conn, plan_id)
        if found.status not in plans.shown_statuses(who):
            raise NotFound(f"Không có đồ án quy hoạch «{plan_id}».", f"No plan '{plan_id}'.")
        doc = pl.plan_boundary(db, conn, who, plan_id)
    audit_layer_reads(request, who, readable_access(db, who, (pl.ZONES,)))
    return Response(orjson.dumps(doc), media_type="application/geo+json")


@router.get("/plans/{plan_id}")
def planning_plan(request: Request, plan_id: str, who: CurrentPrincipal) -> JSONResponse:
    """Một đồ án quy hoạch / one plan."""
    db = db_of(request)
    with db.read() as conn:
        found = plans.get_plan(conn, plan_id)
    if found.status not in plans.shown_statuses(who):
        raise NotFound(f"Không có đồ án quy hoạch «{plan_id}».", f"No plan '{plan_id}'.")
    return JSONResponse(found.to_dict())


def _shown_plan(conn: Connection, who: Principal, plan_id: str) -> plans.Plan:
    found = plans.get_plan(conn, plan_id)
    if found.status not in plans.shown_statuses(who):
        raise NotFound(f"Không có đồ án quy hoạch «{plan_id}».", f"No plan '{plan_id}'.")
    return found


def _wants_geojson(request: Request, params: dict[str, str]) -> bool:
    fmt = params.get("f")
    if fmt not in (None, "json", "geojson"):
        raise InvalidInput("f là json hoặc geojson.", "f is json or geojson.")
    accept = request.headers.get("accept", "")
    return fmt == "geojson" or (fmt is None and "application/geo+json" in accept)


@router.get("/plans/{plan_id}/zones")
def planning_plan_zones(request: Request, plan_id: str, who: CurrentPrincipal) -> Response:
    """Các ô quy hoạch của đồ án (GeoJSON), theo thứ tự ký hiệu, kèm trạng thái đồ án /
    the plan's zones as GeoJSON in the natural order of their codes (BT-2 before BT-11),
    each with its plan's status (``plan_status``, ``in_force``) and its function in words."""
    query_params(request, ())
    db = db_of(request)
    with db.read() as conn:
        found = _shown_plan(conn, who, plan_id)
        rows = ch.plan_zones(db, conn, who, plan_id)
    audit_layer_reads(request, who, readable_access(db, who, (pl.ZONES,)))
    summary = found.summary()
    features = [
        {
            "type": "Feature",
            "id": r.fid,
            "geometry": None if r.geometry is None else shapely.geometry.mapping(r.geometry),
            "properties": {
                **r.properties,
                "plan_status": found.status,
                "in_force": found.in_force,
                "function_text_vi": ch.field_value("land_use_function", r, "vi"),
                "function_text_en": ch.field_value("land_use_function", r, "en"),
            },
        }
        for r in rows
    ]
    doc = {"type": "FeatureCollection", "plan": summary, "features": features}
    return Response(orjson.dumps(doc), media_type="application/geo+json")


@router.get("/plans/{plan_id}/changes")
def planning_plan_changes(request: Request, plan_id: str, who: CurrentPrincipal) -> Response:
    """Nội dung điều chỉnh: từng ô thay đổi, trước → sau, ô thêm, ô bỏ (JSON; GeoJSON với
    ``f=geojson``) / what a draft changes against the plan it replaces (``against=`` another
    plan): each zone before and after, zones added and removed."""
    params = query_params(request, ("against", "f"))
    geojson = _wants_geojson(request, params)
    db = db_of(request)
    with db.read() as conn:
        _shown_plan(conn, who, plan_id)
        against = params.get("against")
        if against is not None:
            _shown_plan(conn, who, against)
        found = ch.compare_plans(db, conn, who, plan_id, against=against)
    audit_layer_reads(request, who, readable_access(db, who, (pl.ZONES,)))
    if geojson:
        doc = {**found.as_geojson(), **{k: v for k, v in found.as_dict().items() if k != "zones"}}
        return Response(orjson.dumps(doc), media_type="application/geo+json")
    return Response(orjson.dumps(found.as_dict()), media_type="application/json")
