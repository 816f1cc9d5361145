"""HTTP routes of the public consultation (mounted at ``/planning``). Thin adapters over
:mod:`dothi.planning.consultation.comments` and :mod:`dothi.planning.consultation.report`:

- ``GET /comment-topics`` — the topics a comment may have (vi/en);
- ``GET|POST /plans/{plan_id}/comments`` — published comments (officials: any status); comment;
- ``GET /comments/{id}``; ``POST /comments/{id}/moderation``; ``PUT /comments/{id}/answer``;
- ``GET|DELETE /comments/{id}/identity`` — administrators, audited;
- ``GET /comments/{id}/attachments/{file_id}``;
- ``GET /plans/{plan_id}/consultation/report?format=json|csv|pdf[&table=counts]``;
- ``GET|POST /plans/{plan_id}/documents`` — the plan's documents (officials upload);
  ``GET /plans/{plan_id}/documents/{id}`` — one, downloaded.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from dothi.auth.personal_data import data_key
from dothi.auth.policy import Principal
from dothi.db.engine import Database
from dothi.errors import InvalidInput, NotFound
from dothi.planning.changes import zone_codes
from dothi.planning.consultation import comments as cs
from dothi.planning.consultation import documents as docs
from dothi.planning.consultation import report
from dothi.planning.plans import Plan, get_plan, shown_statuses
from dothi.webkit.bodies import json_body, query_params
from dothi.webkit.deps import AppSettings, CurrentPrincipal, client_address, db_of

router = APIRouter(tags=["consultation"])
#: The header in which the consultation page sends its browser session id.
SESSION_HEADER = "Dothi-Session"


def _visible_plan(db: Database, who: Principal, plan_id: str) -> Plan:
    with db.read() as conn:
        found = get_plan(conn, plan_id)
    if found.status not in shown_statuses(who):
        raise NotFound(f"Không có đồ án quy hoạch «{plan_id}».", f"No plan '{plan_id}'.")
    return found


def _int(params: dict[str, str], name: str, default: int, low: int, high: int) -> int:
    raw = params.get(name)
    if raw is None:
        return default
    try:
        value = int(raw)
    except ValueError:
        value = low - 1
    if not low <= value <= high:
        raise InvalidInput(
            f"{name} là số nguyên từ {low} đến {high}.",
            f"{name} must be an integer from {low} to {high}.",
        )
    return value


@router.get("/comment-topics")
def comment_topics() -> JSONResponse:
    """Chủ đề góp ý / comment topics."""
    return JSONResponse(
        {"topics": [{"id": k, "vi": vi, "en": en} for k, (vi, en) in cs.TOPICS.items()]}
    )


@router.get("/plans/{plan_id}/comments")
def plan_comments(request: Request, plan_id: str, who: CurrentPrincipal) -> JSONResponse:
    """Góp ý về đồ án (đã công bố; cán bộ xem mọi trạng thái) / a plan's comments."""
    params = query_params(request, ("status", "topic", "zone_uid", "limit", "offset"))
    db = db_of(request)
    _visible_plan(db, who, plan_id)
    limit = _int(params, "limit", 100, 1, 500)
    offset = _int(params, "offset", 0, 0, 10**9)
    with db.read() as conn:
        items, total = cs.list_comments(
            conn,
            who,
            plan_id,
            status=params.get("status"),
            topic=params.get("topic"),
            zone_uid=params.get("zone_uid"),
            limit=limit,
            offset=offset,
        )
    return JSONResponse({"comments": items, "numberMatched": total, "numberReturned": len(items)})


@router.post("/plans/{plan_id}/comments", status_code=201)
async def post_comment(
    request: Request, plan_id: str, who: CurrentPrincipal, settings: AppSettings
) -> JSONResponse:
    """Gửi góp ý (chờ kiểm duyệt) / send a comment (published after moderation).

    The header ``Dothi-Session`` (a random id the page keeps) lets many people behind one
    address — a public meeting's Wi-Fi — each send their own comments."""
    new = cs.parse_comment(await json_body(request, limit=cs.MAX_REQUEST_BYTES))
    db = db_of(request)
    key = data_key(settings)
    client = client_address(request)
    session = request.headers.get(SESSION_HEADER)

    def store() -> dict[str, Any]:
        _visible_plan(db, who, plan_id)
        return cs.submit(db, key, plan_id, new, client, session)

    stored = await run_in_threadpool(store)
    stored["message"] = {
        "vi": "Cảm ơn bạn. Góp ý sẽ được công bố sau khi kiểm duyệt.",
        "en": "Thank you. The comment will be public once moderated.",
    }
    return JSONResponse(stored, status_code=201)


@router.get("/comments/{comment_id}")
def one_comment(request: Request, comment_id: int, who: CurrentPrincipal) -> JSONResponse:
    """Một góp ý / one comment."""
    with db_of(request).read() as conn:
        return JSONResponse(cs.get_comment(conn, who, comment_id))


@router.post("/comments/{comment_id}/moderation")
async def moderate_comment(
    request: Request, comment_id: int, who: CurrentPrincipal
) -> JSONResponse:
    """Kiểm duyệt: ``{"decision": "published"|"rejected", "note": "..."}`` / moderate."""
    doc = await json_body(request)
    if not isinstance(doc, dict) or set(doc) - {"decision", "note"}:
        raise InvalidInput(
            "Thân yêu cầu là {decision, note}.", "The body is an object {decision, note}."
        )
    note = doc.get("note")

    def run() -> dict[str, Any]:
        with db_of(request).write() as conn:
            return cs.moderate(conn, who, comment_id, str(doc.get("decision")), note and str(note))

    return JSONResponse(await run_in_threadpool(run))


@router.put("/comments/{comment_id}/answer")
async def answer_comment(request: Request, comment_id: int, who: CurrentPrincipal) -> JSONResponse:
    """Trả lời chính thức: ``{"answer": "..."}`` / the official answer."""
    doc = await json_body(request)
    if not isinstance(doc, dict) or set(doc) != {"answer"}:
        raise InvalidInput("Thân yêu cầu là {answer}.", "The body is an object {answer}.")

    def run() -> dict[str, Any]:
        with db_of(request).write() as conn:
            return cs.answer(conn, who, comment_id, doc["answer"])

    return JSONResponse(await run_in_threadpool(run))


@router.get("/comments/{comment_id}/identity")
def comment_identity(
    request: Request, comment_id: int, who: CurrentPrincipal, settings: AppSettings
) -> JSONResponse:
    """Thông tin cá nhân người góp ý (quản trị viên; ghi nhật ký) / the commenter's identity."""
    key = data_key(settings)
    with db_of(request).write() as conn:
        found = cs.read_identity(conn, key, who, comment_id, client_address(request))
    return JSONResponse(found, headers={"Cache-Control": "no-store"})


@router.delete("/comments/{comment_id}/identity", status_code=204)
def erase_identity(request: Request, comment_id: int, who: CurrentPrincipal) -> Response:
    """Xóa thông tin cá nhân theo yêu cầu / erase the commenter's identity on request."""
    with db_of(request).write() as conn:
        cs.erase_identity(conn, who, comment_id, client_address(request))
    return Response(status_code=204)


def _download(name: str, media: str, content: bytes) -> Response:
    """A stored file, downloaded: never rendered in the site's origin."""
    ascii_name = name.encode("ascii", "replace").decode().replace('"', "_")
    return Response(
        content,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{ascii_name}"; '
            f"filename*=UTF-8''{quote(name)}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
        },
    )


@router.get("/comments/{comment_id}/attachments/{file_id}")
def comment_attachment(
    request: Request, comment_id: int, file_id: int, who: CurrentPrincipal
) -> Response:
    """Tệp đính kèm / an attachment (downloaded, never rendered in the site's origin)."""
    with db_of(request).read() as conn:
        name, media, content = cs.attachment_file(conn, who, comment_id, file_id)
    return _download(name, media, content)


@router.get("/plans/{plan_id}/documents")
def plan_documents(request: Request, plan_id: str, who: CurrentPrincipal) -> JSONResponse:
    """Hồ sơ đồ án: thuyết minh, bản vẽ… / the plan's documents (report, drawings…)."""
    query_params(request, ())
    db = db_of(request)
    found = _visible_plan(db, who, plan_id)
    with db.read() as conn:
        stored = docs.list_documents(conn, plan_id)
    # Links the plan was registered with, beside the files stored here.
    return JSONResponse({"documents": stored, "links": found.documents})


@router.post("/plans/{plan_id}/documents", status_code=201)
async def upload_plan_document(
    request: Request, plan_id: str, who: CurrentPrincipal
) -> JSONResponse:
    """Tải lên tài liệu của đồ án (cán bộ; PDF, JPG, PNG) / upload a document of the plan
    (officials; ``{title, kind, name, media_type, content_base64}``); audited."""
    cs.require_staff(who)
    new = docs.parse_document(await json_body(request, limit=docs.MAX_UPLOAD_BYTES))
    db = db_of(request)
    client = client_address(request)

    def store() -> dict[str, Any]:
        _visible_plan(db, who, plan_id)
        with db.write() as conn:
            return docs.add_document(conn, who, plan_id, new, client)

    return JSONResponse(await run_in_threadpool(store), status_code=201)


@router.get("/plans/{plan_id}/documents/{document_id}")
def plan_document(
    request: Request, plan_id: str, document_id: int, who: CurrentPrincipal
) -> Response:
    """Một tài liệu của đồ án (tải về) / one of the plan's documents, downloaded."""
    db = db_of(request)
    _visible_plan(db, who, plan_id)
    with db.read() as conn:
        name, media, content = docs.document_file(conn, plan_id, document_id)
    return _download(name, media, content)


@router.get(
    "/plans/{plan_id}/consultation/report",
    responses={200: {"content": {"text/csv": {}, "application/pdf": {}}}},
)
def consultation_report(request: Request, plan_id: str, who: CurrentPrincipal) -> Response:
    """Báo cáo tổng hợp ý kiến (JSON, CSV, PDF) / synthesis of the consultation."""
    params = query_params(request, ("format", "table"))
    fmt, table = params.get("format", "json"), params.get("table", "comments")
    if fmt not in ("json", "csv", "pdf") or table not in ("comments", "counts"):
        raise InvalidInput(
            "format là json, csv hoặc pdf; table là comments hoặc counts.",
            "format is json, csv or pdf; table is comments or counts.",
        )
    db = db_of(request)
    found = _visible_plan(db, who, plan_id)
    with db.read() as conn:
        s = report.synthesis(conn, who, found, zone_codes(db, conn, who, plan_id))
    if fmt == "json":
        return JSONResponse(s.as_dict())
    name = f"gop-y-{plan_id}"
    if fmt == "csv":
        body = report.counts_csv(s) if table == "counts" else report.comments_csv(s)
        media, name = "text/csv; charset=utf-8", f"{name}-{table}.csv"
    else:
        body, media, name = report.render_pdf(s), "application/pdf", f"{name}.pdf"
    return Response(
        body, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )
