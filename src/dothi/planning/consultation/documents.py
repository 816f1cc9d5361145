"""A plan's documents (hồ sơ đồ án): the explanatory report, drawings, the decision.

Officials (editors and administrators, as for moderating comments) upload them; everyone
who may see the plan — the public, for a plan in consultation — lists and downloads them.
Files are checked as comment attachments are (:mod:`.attachments`: PDF, JPG, PNG, content
matching the type, photos without their metadata), with a larger size limit for drawings,
and kept in the database so that a document and its file commit together. Every upload is
in the audit log.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, select

from dothi.auth.audit import audit
from dothi.auth.policy import Principal
from dothi.db.spatial.base import as_utc
from dothi.errors import InvalidInput, NotFound
from dothi.planning import actions
from dothi.planning.consultation.attachments import Attachment, parse_attachment
from dothi.planning.consultation.comments import require_staff
from dothi.planning.plans import get_plan
from dothi.planning.tables import document

#: Drawings are large: a plan's documents may be larger than a comment's photos.
MAX_DOCUMENT_BYTES = 20 * 2**20
#: The JSON body of an upload at its largest (the file in base64, and a little text).
MAX_UPLOAD_BYTES = MAX_DOCUMENT_BYTES * 4 // 3 + 2**16
KINDS: dict[str, dict[str, str]] = {
    "report": {"vi": "Thuyết minh", "en": "Explanatory report"},
    "drawing": {"vi": "Bản vẽ", "en": "Drawing"},
    "decision": {"vi": "Quyết định, tờ trình", "en": "Decision or submission"},
    "other": {"vi": "Tài liệu khác", "en": "Other document"},
}


@dataclass(frozen=True)
class NewDocument:
    """A document as uploaded, checked but not yet stored."""

    title: str
    kind: str
    file: Attachment


def parse_document(doc: Any) -> NewDocument:
    """A document from ``{"title", "kind", "name", "media_type", "content_base64"}``."""
    if not isinstance(doc, dict):
        raise InvalidInput("Thân yêu cầu phải là đối tượng JSON.", "The body must be an object.")
    known = {"title", "kind", "name", "media_type", "content_base64"}
    if set(doc) - known:
        raise InvalidInput(
            "Tài liệu gồm: tiêu đề, loại, tên tệp, kiểu tệp và nội dung.",
            "A document has: a title, a kind, a file name, a file type and its content.",
        )
    file = parse_attachment(
        {k: doc.get(k) for k in ("name", "media_type", "content_base64")},
        max_bytes=MAX_DOCUMENT_BYTES,
    )
    return new_document(doc.get("title"), doc.get("kind", "other"), file)


def new_document(raw_title: Any, kind: Any, file: Attachment) -> NewDocument:
    """A document from its title, its kind and its checked file."""
    title = unicodedata.normalize("NFC", raw_title).strip() if isinstance(raw_title, str) else ""
    if not 1 <= len(title) <= 300:
        raise InvalidInput(
            "Tiêu đề tài liệu dài 1–300 ký tự.", "A document's title is 1–300 characters."
        )
    if kind not in KINDS:
        names = ", ".join(k["vi"].lower() for k in KINDS.values())
        names_en = ", ".join(k["en"].lower() for k in KINDS.values())
        raise InvalidInput(
            f"Loại tài liệu phải là một trong: {names}.",
            f"The kind of document must be one of: {names_en}.",
        )
    return NewDocument(title, kind, file)


def _public(r: Any) -> dict[str, Any]:
    return {
        "id": r.id,
        "plan_id": r.plan_id,
        "title": r.title,
        "kind": r.kind,
        "kind_label": KINDS.get(r.kind, KINDS["other"]),
        "name": r.name,
        "media_type": r.media_type,
        "size": r.size,
        "sha256": r.sha256,
        "uploaded_at": as_utc(r.uploaded_at).isoformat(),
    }


_LISTED = (
    document.c.id,
    document.c.plan_id,
    document.c.title,
    document.c.kind,
    document.c.name,
    document.c.media_type,
    document.c.size,
    document.c.sha256,
    document.c.uploaded_at,
)


def add_document(
    conn: Connection, who: Principal, plan_id: str, new: NewDocument, client: str | None = None
) -> dict[str, Any]:
    """Store a document of the plan (officials only); audited."""
    require_staff(who)
    get_plan(conn, plan_id)
    made = conn.execute(
        document.insert()
        .returning(document.c.id)
        .values(
            plan_id=plan_id,
            title=new.title,
            kind=new.kind,
            name=new.file.name,
            media_type=new.file.media_type,
            size=len(new.file.content),
            sha256=new.file.sha256,
            content=new.file.content,
            uploaded_by=who.name,
            uploaded_at=datetime.now(UTC),
        )
    ).scalar_one()
    audit(
        conn,
        who,
        actions.PLAN_DOCUMENT_UPLOAD,
        target=f"plan:{plan_id}:document:{made}",
        client=client,
    )
    row = conn.execute(select(*_LISTED).where(document.c.id == made)).one()
    return _public(row)


def list_documents(conn: Connection, plan_id: str) -> list[dict[str, Any]]:
    """The plan's documents, oldest first (without their content)."""
    stmt = select(*_LISTED).where(document.c.plan_id == plan_id).order_by(document.c.id)
    return [_public(r) for r in conn.execute(stmt)]


def document_file(conn: Connection, plan_id: str, document_id: int) -> tuple[str, str, bytes]:
    """(name, media type, content) of one of the plan's documents."""
    r = (
        0 < document_id < 2**63
        and conn.execute(
            select(document.c.name, document.c.media_type, document.c.content).where(
                document.c.id == document_id, document.c.plan_id == plan_id
            )
        ).first()
    )
    if not r:
        raise NotFound("Không có tài liệu này.", "No such document.")
    return r.name, r.media_type, bytes(r.content)
