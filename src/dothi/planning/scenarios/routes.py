"""HTTP routes of planning scenarios (mounted at ``/planning``): thin adapters over
:mod:`dothi.planning.scenarios.store` and :mod:`dothi.planning.scenarios.indicators`.

- ``GET /planning/scenarios[?plan_id=]`` — the scenarios the caller may see;
- ``POST /planning/scenarios`` — save one (editors and admins): ``{"name", "plan_id",
  "assumptions": {"floor_area_per_person_m2", "household_size",
  "mixed_use_residential_share", "edition" | "date", "norm_set"}, "id"?, "description"?,
  "illustrative"?}`` → 201 with the scenario;
- ``GET|PUT|DELETE /planning/scenarios/{id}`` — one scenario; PUT changes the fields given
  (assumptions are merged), DELETE answers 204;
- ``GET /planning/scenarios/{id}/indicators`` — its indicators;
- ``GET /planning/scenarios/compare?ids=a,b[&format=json|csv|pdf|svg]`` — 2 to 6 scenarios
  side by side: JSON (indicators, table rows, charts), the table as CSV (UTF-8 with BOM),
  a PDF report (table and charts) or the charts as SVG.

Scenarios of a draft plan are for editors and admins only, like the plan.
"""

from __future__ import annotations

from typing import Any

import orjson
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import Response

from dothi.errors import InvalidInput
from dothi.planning.scenarios import report
from dothi.planning.scenarios import store as sc
from dothi.planning.scenarios.data import LAYERS
from dothi.planning.scenarios.indicators import compare, parse_ids, scenario_indicators
from dothi.webkit.bodies import json_body, query_params
from dothi.webkit.deps import (
    CurrentPrincipal,
    audit_layer_reads,
    client_address,
    db_of,
    readable_access,
)

router = APIRouter(tags=["planning"])

FORMATS = {
    "json": "application/json",
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
    "svg": "image/svg+xml",
}


def _json(doc: Any, status: int = 200) -> Response:
    body = orjson.dumps(doc, option=orjson.OPT_SERIALIZE_NUMPY)
    return Response(body, status_code=status, media_type="application/json")


@router.get("/scenarios")
def scenario_list(request: Request, who: CurrentPrincipal) -> Response:
    """Các phương án / scenarios the caller may see (``?plan_id=`` for one plan's)."""
    params = query_params(request, ("plan_id",))
    db = db_of(request)
    with db.read() as conn:
        found = sc.list_scenarios(conn, who, params.get("plan_id"))
    return _json({"scenarios": [s.to_dict() for s in found]})


@router.post("/scenarios", status_code=201)
async def scenario_add(request: Request, who: CurrentPrincipal) -> Response:
    """Lưu một phương án / save a scenario (editors and admins)."""
    sc.require_planner(who)
    doc = await json_body(request)
    db = db_of(request)

    def save() -> dict[str, Any]:
        with db.write() as conn:
            return sc.add_scenario(conn, who, doc, client=client_address(request)).to_dict()

    return _json(await run_in_threadpool(save), status=201)


@router.get("/scenarios/compare", responses={200: {"content": {m: {} for m in FORMATS.values()}}})
def scenario_compare(request: Request, who: CurrentPrincipal) -> Response:
    """So sánh 2–6 phương án / compare 2–6 scenarios (``?ids=a,b``, ``format=json|csv|pdf|
    svg``)."""
    params = query_params(request, ("ids", "format"))
    kind = params.get("format", "json")
    if kind not in FORMATS:
        raise InvalidInput(
            f"format phải là một trong: {', '.join(FORMATS)}; nhận «{kind}».",
            f"format must be one of: {', '.join(FORMATS)}; got '{kind}'.",
        )
    ids = parse_ids(params.get("ids"))
    db = db_of(request)
    doc = compare(db, who, ids)
    audit_layer_reads(request, who, readable_access(db, who, LAYERS))
    if kind == "json":
        return _json(doc)
    body = {"csv": report.to_csv, "pdf": report.to_pdf, "svg": report.to_svg}[kind](doc)
    name = f"so-sanh-phuong-an-{'-'.join(ids)}.{kind}"
    headers = {
        "Content-Disposition": f'inline; filename="{name}"',
        "X-Content-Type-Options": "nosniff",
        # Opened on its own, an SVG is a document of this site: it may draw, never run.
        "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'; sandbox",
    }
    return Response(body, media_type=FORMATS[kind], headers=headers)


@router.get("/scenarios/{scenario_id}")
def scenario_get(request: Request, scenario_id: str, who: CurrentPrincipal) -> Response:
    """Một phương án / one scenario."""
    db = db_of(request)
    with db.read() as conn:
        return _json(sc.get_scenario(conn, scenario_id, who).to_dict())


@router.put("/scenarios/{scenario_id}")
async def scenario_put(request: Request, scenario_id: str, who: CurrentPrincipal) -> Response:
    """Sửa một phương án / change a scenario (the fields given; editors and admins)."""
    sc.require_planner(who)
    doc = await json_body(request)
    db = db_of(request)

    def save() -> dict[str, Any]:
        with db.write() as conn:
            return sc.update_scenario(
                conn, who, scenario_id, doc, client=client_address(request)
            ).to_dict()

    return _json(await run_in_threadpool(save))


@router.delete("/scenarios/{scenario_id}", status_code=204)
def scenario_delete(request: Request, scenario_id: str, who: CurrentPrincipal) -> Response:
    """Xóa một phương án (đồ án vẫn giữ) / delete a scenario (its plan stays)."""
    db = db_of(request)
    with db.write() as conn:
        sc.delete_scenario(conn, who, scenario_id, client=client_address(request))
    return Response(status_code=204)


@router.get("/scenarios/{scenario_id}/indicators")
def scenario_indicators_route(
    request: Request, scenario_id: str, who: CurrentPrincipal
) -> Response:
    """Chỉ tiêu của một phương án / the indicators of one scenario."""
    query_params(request, ())
    db = db_of(request)
    doc = scenario_indicators(db, who, scenario_id)
    audit_layer_reads(request, who, readable_access(db, who, LAYERS))
    return _json(doc)
