"""Public consultation (lấy ý kiến cộng đồng) on a plan: comments, moderation, answers.

A plan in ``consultation`` takes comments during its period (dates in Viet Nam time): on the
plan as a whole, on one of its zones, or on a place (a point, filed under the zone it falls
in). Anyone may comment; giving a name, phone or e-mail is optional, and what is given is
sealed (:mod:`dothi.auth.personal_data`) and never shown publicly. A comment waits for
moderation before it is public; officials answer it. Floods are held back by
:data:`RATE_LIMITS`, counted per client address, per browser session and per identity;
neither the address nor the session nor the e-mail or phone is kept for it, only keyed
hashes of them.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from shapely.geometry import Point
from sqlalchemy import Connection, func, select

from dothi.auth.audit import audit
from dothi.auth.personal_data import client_key, seal, unseal
from dothi.auth.policy import Principal
from dothi.db.engine import Database
from dothi.db.spatial.base import as_utc
from dothi.errors import Conflict, Forbidden, InvalidInput, NotFound, TooManyRequests
from dothi.planning import actions
from dothi.planning.consultation.attachments import (
    MAX_BYTES,
    MAX_FILES,
    Attachment,
    parse_attachments,
)
from dothi.planning.plans import Plan, get_plan
from dothi.planning.tables import attachment, comment

ZONES = "planning_zone"
#: Viet Nam keeps UTC+7 all year: a consultation period's dates are local dates.
VIETNAM_TIME = timezone(timedelta(hours=7))
TOPICS: dict[str, tuple[str, str]] = {
    "land_use": ("Chức năng sử dụng đất", "Land use"),
    "density_height": ("Mật độ, tầng cao", "Density and height"),
    "transport": ("Giao thông", "Transport"),
    "green_space": ("Cây xanh, mặt nước", "Green space and water"),
    "social_infrastructure": ("Trường học, y tế, chợ", "Schools, health, markets"),
    "technical_infrastructure": ("Cấp thoát nước, điện", "Water, drainage, power"),
    "environment": ("Môi trường", "Environment"),
    "heritage": ("Di sản, cảnh quan", "Heritage and landscape"),
    "compensation": ("Bồi thường, tái định cư", "Compensation and resettlement"),
    "other": ("Khác", "Other"),
}
STATUSES = ("pending", "published", "rejected")
#: For each key a comment is counted under, (window, most comments within it).
#: A public meeting puts fifty people or more behind one Wi-Fi address: the address's
#: allowance is large enough for two comments each in ten minutes, and still stops a
#: script at 600 a day. One person — a browser session, or an e-mail or phone given — may
#: send what one person writes (5 in ten minutes, 20 a day). A client that sends no
#: session (an API script) is one person: its address stands for its session.
RATE_LIMITS: dict[str, tuple[tuple[timedelta, int], ...]] = {
    "address": ((timedelta(minutes=10), 100), (timedelta(days=1), 600)),
    "session": ((timedelta(minutes=10), 5), (timedelta(days=1), 20)),
    "identity": ((timedelta(minutes=10), 5), (timedelta(days=1), 20)),
}
#: A browser session id as the page makes it (a random UUID kept by the browser).
_SESSION = re.compile(r"[A-Za-z0-9_-]{16,64}")
MAX_BODY_CHARS = 5000
#: A comment request at its largest: every attachment at its limit, in base64 (4/3), and text.
MAX_REQUEST_BYTES = MAX_FILES * (MAX_BYTES * 4 // 3 + 4) + 2**20
_IDENTITY_FIELDS = {"name": 200, "phone": 30, "email": 200, "address": 300}
_IDENTITY_WORDS = {
    "name": ("Họ tên", "The name"),
    "phone": ("Số điện thoại", "The phone number"),
    "email": ("Email", "The e-mail address"),
    "address": ("Địa chỉ", "The address"),
}
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PHONE = re.compile(r"\+?[\d \-.]+")


def _text(raw: Any, what_vi: str, what_en: str, limit: int) -> str:
    if not isinstance(raw, str):
        raise InvalidInput(f"{what_vi} phải là văn bản.", f"{what_en} must be text.")
    text = unicodedata.normalize("NFC", raw).strip()
    if not text or len(text) > limit:
        raise InvalidInput(
            f"{what_vi} dài 1–{limit} ký tự.", f"{what_en} must be 1–{limit} characters."
        )
    return text


@dataclass(frozen=True)
class NewComment:
    """A comment as submitted, checked but not yet stored."""

    body: str
    topic: str
    zone_uid: str | None = None
    point: tuple[float, float] | None = None
    identity: dict[str, str] = field(default_factory=dict)
    attachments: list[Attachment] = field(default_factory=list)


def parse_comment(doc: Any) -> NewComment:
    """A comment from a JSON body: ``body``, ``topic``, optional ``zone_uid``, ``lon``+``lat``,
    ``identity`` ({name, phone, email, address}) and ``attachments``."""
    if not isinstance(doc, dict):
        raise InvalidInput("Thân yêu cầu phải là đối tượng JSON.", "The body must be an object.")
    known = {"body", "topic", "zone_uid", "lon", "lat", "identity", "attachments"}
    unknown = sorted(set(doc) - known)
    if unknown:
        raise InvalidInput(
            f"Trường không được hỗ trợ: {', '.join(unknown)}.",
            f"Unsupported field(s): {', '.join(unknown)}.",
        )
    body = _text(doc.get("body"), "Nội dung góp ý", "The comment", MAX_BODY_CHARS)
    topic = doc.get("topic", "other")
    if topic not in TOPICS:
        raise InvalidInput(
            f"Chủ đề phải là một trong: {', '.join(vi for vi, _ in TOPICS.values())}.",
            f"The topic must be one of: {', '.join(en for _, en in TOPICS.values())}.",
        )
    zone_uid = doc.get("zone_uid")
    if zone_uid is not None:
        zone_uid = _text(zone_uid, "Ô quy hoạch", "The zone", 200)
    point = None
    if "lon" in doc or "lat" in doc:
        lon, lat = doc.get("lon"), doc.get("lat")
        ok = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (lon, lat))
        if not ok or not (-180 <= lon <= 180 and -90 <= lat <= 90):  # type: ignore[operator]
            raise InvalidInput(
                "Vị trí góp ý cần cả kinh độ và vĩ độ (số, độ WGS 84), đi cùng nhau.",
                "A place needs both longitude and latitude (numbers, WGS 84 degrees), "
                "given together.",
            )
        point = (float(lon), float(lat))  # type: ignore[arg-type]
    identity: dict[str, str] = {}
    given = doc.get("identity") or {}
    if not isinstance(given, dict) or set(given) - set(_IDENTITY_FIELDS):
        raise InvalidInput(
            "Thông tin liên hệ chỉ gồm: họ tên, điện thoại, email, địa chỉ.",
            "Contact details may only hold: name, phone, e-mail, address.",
        )
    for key, value in given.items():
        if value not in (None, ""):
            vi, en = _IDENTITY_WORDS[key]
            identity[key] = _text(value, vi, en, _IDENTITY_FIELDS[key])
    if "email" in identity and not _EMAIL.fullmatch(identity["email"]):
        raise InvalidInput("Địa chỉ email không hợp lệ.", "The e-mail address is not valid.")
    phone = identity.get("phone")
    if phone is not None and not (
        _PHONE.fullmatch(phone) and 8 <= sum(c.isdigit() for c in phone) <= 15
    ):
        raise InvalidInput(
            "Số điện thoại chỉ gồm chữ số, dấu cách, -, + (8–15 chữ số).",
            "A phone number has digits, spaces, - and + only (8–15 digits).",
        )
    files = parse_attachments(doc.get("attachments"))
    return NewComment(body, topic, zone_uid, point, identity, files)


def today_in_vietnam(now: datetime | None = None) -> date:
    """The date in Viet Nam now (consultation periods are local dates)."""
    return (now or datetime.now(UTC)).astimezone(VIETNAM_TIME).date()


def is_open(found: Plan, today: date) -> bool:
    """True while the plan takes comments."""
    start, end = found.consultation_from, found.consultation_to
    return (
        found.status == "consultation"
        and start is not None
        and end is not None
        and (start <= today <= end)
    )


def is_closed(found: Plan, today: date) -> bool:
    """True once a consultation has ended (its period passed, or the plan moved on)."""
    if found.consultation_to is None:
        return False
    return found.status != "consultation" or today > found.consultation_to


@dataclass(frozen=True)
class RateKeys:
    """The keyed hashes a comment is counted under (see :data:`RATE_LIMITS`)."""

    address: str
    session: str
    identity: str | None


def rate_keys(
    key: bytes, client: str | None, session: str | None, identity: dict[str, str]
) -> RateKeys:
    """The keys of one comment: its address, its browser session (the address when it
    sends none) and the e-mail or phone it gives (folded: case, spaces)."""
    address = client_key(key, client)
    if session is not None and not _SESSION.fullmatch(session):
        raise InvalidInput(
            "Mã phiên của trình duyệt không hợp lệ; hãy tải lại trang.",
            "The browser session id is not valid; reload the page.",
        )
    own = client_key(key, f"session:{session}") if session else address
    contact = identity.get("email", "").casefold() or "".join(
        c for c in identity.get("phone", "") if c.isdigit()
    )
    return RateKeys(address, own, client_key(key, f"identity:{contact}") if contact else None)


def _check_rate(conn: Connection, keys: RateKeys, now: datetime) -> None:
    columns = {
        "address": (comment.c.client_key, keys.address),
        "session": (comment.c.session_key, keys.session),
        "identity": (comment.c.identity_key, keys.identity),
    }
    for name, limits in RATE_LIMITS.items():
        column, value = columns[name]
        if value is None:
            continue
        for window, most in limits:
            since = now - window
            stmt = select(func.count(), func.min(comment.c.created_at)).where(
                column == value, comment.c.created_at >= since
            )
            count, oldest = conn.execute(stmt).one()
            if count >= most:
                wait = max(1, int((as_utc(oldest) + window - now).total_seconds()) + 1)
                raise TooManyRequests(
                    f"Đã gửi quá nhiều góp ý; hãy thử lại sau {_wait_words(wait, 'vi')}.",
                    f"Too many comments sent; try again in {_wait_words(wait, 'en')}.",
                    retry_after=wait,
                )


def _wait_words(seconds: int, lang: str) -> str:
    if seconds < 120:
        return f"{seconds} giây" if lang == "vi" else f"{seconds} seconds"
    minutes = (seconds + 59) // 60
    if minutes < 120:
        return f"{minutes} phút" if lang == "vi" else f"{minutes} minutes"
    hours = (minutes + 59) // 60
    return f"{hours} giờ" if lang == "vi" else f"{hours} hours"


def _zone_of(db: Database, conn: Connection, plan_id: str, new: NewComment) -> str | None:
    """The zone the comment is about: the one named, or the zone of the plan at the point."""
    if new.point is not None:
        hits = [
            z.fid
            for z in db.port.intersecting(conn, ZONES, Point(new.point))
            if z.properties.get("plan_id") == plan_id
        ]
        if not hits:
            raise InvalidInput(
                "Điểm góp ý nằm ngoài các ô quy hoạch của đồ án.",
                "The point is outside the plan's zones.",
            )
        if new.zone_uid is not None and new.zone_uid not in hits:
            raise InvalidInput(
                f"Điểm góp ý không nằm trong ô «{new.zone_uid}».",
                f"The point is not in zone '{new.zone_uid}'.",
            )
        return new.zone_uid or hits[0]
    if new.zone_uid is not None:
        zone = db.port.current_feature(conn, ZONES, new.zone_uid)
        if zone is None or zone.properties.get("plan_id") != plan_id:
            raise NotFound(
                f"Đồ án không có ô quy hoạch «{new.zone_uid}».",
                f"The plan has no zone '{new.zone_uid}'.",
            )
    return new.zone_uid


def submit(
    db: Database,
    key: bytes,
    plan_id: str,
    new: NewComment,
    client: str | None,
    session: str | None = None,
) -> dict[str, Any]:
    """Store a comment on an open consultation (pending moderation), with its attachments,
    in one transaction; :class:`TooManyRequests` past the limits of its address, its
    browser ``session`` or its identity (:data:`RATE_LIMITS`)."""
    now = datetime.now(UTC)
    keys = rate_keys(key, client, session, new.identity)
    with db.write() as conn:
        found = get_plan(conn, plan_id)
        if not is_open(found, today_in_vietnam(now)):
            raise Conflict(
                f"Đồ án «{plan_id}» không đang lấy ý kiến.",
                f"Plan '{plan_id}' is not open for comments.",
                code="ConsultationClosed",
            )
        _check_rate(conn, keys, now)
        zone_uid = _zone_of(db, conn, plan_id, new)
        lon, lat = new.point or (None, None)
        comment_id = conn.execute(
            comment.insert()
            .returning(comment.c.id)
            .values(
                plan_id=plan_id,
                zone_uid=zone_uid,
                lon=lon,
                lat=lat,
                topic=new.topic,
                body=new.body,
                status="pending",
                identity=seal(key, new.identity) if new.identity else None,
                client_key=keys.address,
                session_key=keys.session,
                identity_key=keys.identity,
                created_at=now,
            )
        ).scalar_one()
        for f in new.attachments:
            conn.execute(
                attachment.insert().values(
                    comment_id=comment_id,
                    name=f.name,
                    media_type=f.media_type,
                    size=len(f.content),
                    sha256=f.sha256,
                    content=f.content,
                )
            )
    return {"id": comment_id, "status": "pending", "zone_uid": zone_uid}


def is_staff(who: Principal) -> bool:
    """Planners who moderate and answer: editors and administrators."""
    return who.role in ("admin", "editor")


def require_staff(who: Principal) -> None:
    """:class:`Forbidden` unless ``who`` is an official (editor, administrator)."""
    if not is_staff(who):
        raise Forbidden(
            "Chỉ cán bộ (biên tập viên, quản trị) được làm việc này.",
            "Only officials (editors, administrators) may do this.",
        )


def _get(conn: Connection, comment_id: int) -> Any:
    # Ids past the 64-bit range (from a URL) would overflow PostgreSQL's bigint.
    fits = 0 < comment_id < 2**63
    r = fits and conn.execute(select(comment).where(comment.c.id == comment_id)).first()
    if not r:
        raise NotFound(f"Không có góp ý số {comment_id}.", f"No comment {comment_id}.")
    return r


def _files(conn: Connection, ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    cols = (attachment.c.id, attachment.c.comment_id, attachment.c.name)
    stmt = select(*cols, attachment.c.media_type, attachment.c.size).where(
        attachment.c.comment_id.in_(ids)
    )
    out: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
    for r in conn.execute(stmt.order_by(attachment.c.id)):
        out[r.comment_id].append(
            {"id": r.id, "name": r.name, "media_type": r.media_type, "size": r.size}
        )
    return out


def _public(r: Any, files: list[dict[str, Any]], staff: bool) -> dict[str, Any]:
    """A comment as shown: never identity or client key; moderation details to staff only.
    The public sees a place to about 10 m (4 decimals): enough for the plan, while a point
    someone put at their own house stays vague."""
    digits = 7 if staff else 4
    out: dict[str, Any] = {
        "id": r.id,
        "plan_id": r.plan_id,
        "zone_uid": r.zone_uid,
        "lon": None if r.lon is None else round(r.lon, digits),
        "lat": None if r.lat is None else round(r.lat, digits),
        "topic": r.topic,
        "topic_label": {"vi": TOPICS[r.topic][0], "en": TOPICS[r.topic][1]},
        "body": r.body,
        "created_at": as_utc(r.created_at).isoformat(),
        "answer": r.answer,
        "answered_at": None if r.answered_at is None else as_utc(r.answered_at).isoformat(),
        "attachments": files,
    }
    if staff:
        out |= {
            "status": r.status,
            "moderation_note": r.moderation_note,
            "moderated_by": r.moderated_by,
            "answered_by": r.answered_by,
            "has_identity": r.identity is not None,
        }
    return out


def list_comments(
    conn: Connection,
    who: Principal,
    plan_id: str,
    *,
    status: str | None = None,
    topic: str | None = None,
    zone_uid: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> tuple[list[dict[str, Any]], int]:
    """A page of a plan's comments (published ones for the public; staff pick a status)
    and how many match."""
    staff = is_staff(who)
    if status is not None and status not in STATUSES:
        raise InvalidInput(
            "Trạng thái góp ý là: chờ kiểm duyệt, đã công bố hoặc bị từ chối "
            f"({', '.join(STATUSES)}).",
            f"A comment's status is pending, published or rejected ({', '.join(STATUSES)}).",
        )
    if status not in (None, "published"):
        require_staff(who)
    where = [comment.c.plan_id == plan_id]
    if status is not None or not staff:
        where.append(comment.c.status == (status or "published"))
    if topic is not None:
        where.append(comment.c.topic == topic)
    if zone_uid is not None:
        where.append(comment.c.zone_uid == zone_uid)
    total = int(conn.execute(select(func.count()).select_from(comment).where(*where)).scalar_one())
    rows = conn.execute(
        select(comment).where(*where).order_by(comment.c.id).limit(limit).offset(offset)
    ).all()
    files = _files(conn, [r.id for r in rows])
    return [_public(r, files[r.id], staff) for r in rows], total


def get_comment(conn: Connection, who: Principal, comment_id: int) -> dict[str, Any]:
    """One comment, if the caller may see it (published, or staff)."""
    r = _get(conn, comment_id)
    if r.status != "published" and not is_staff(who):
        raise NotFound(f"Không có góp ý số {comment_id}.", f"No comment {comment_id}.")
    return _public(r, _files(conn, [r.id])[r.id], is_staff(who))


def moderate(
    conn: Connection, who: Principal, comment_id: int, decision: str, note: str | None
) -> dict[str, Any]:
    """Publish or reject a comment (a rejection needs its reason); audited."""
    require_staff(who)
    if decision not in ("published", "rejected"):
        raise InvalidInput(
            "Kiểm duyệt là công bố (published) hoặc từ chối (rejected).",
            "Moderation either publishes (published) or rejects (rejected).",
        )
    if decision == "rejected" and not (note or "").strip():
        raise InvalidInput("Từ chối góp ý cần ghi lý do.", "A rejection needs its reason.")
    _get(conn, comment_id)
    conn.execute(
        comment.update()
        .where(comment.c.id == comment_id)
        .values(
            status=decision,
            moderation_note=(note or "").strip() or None,
            moderated_by=who.name,
            moderated_at=datetime.now(UTC),
        )
    )
    audit(conn, who, actions.COMMENT_MODERATE, target=f"comment:{comment_id}")
    return get_comment(conn, who, comment_id)


def answer(conn: Connection, who: Principal, comment_id: int, text: Any) -> dict[str, Any]:
    """Give (or correct) the official answer to a comment that was not rejected; audited."""
    require_staff(who)
    body = _text(text, "Nội dung trả lời", "The answer", MAX_BODY_CHARS)
    if _get(conn, comment_id).status == "rejected":
        raise Conflict("Góp ý đã bị từ chối.", "The comment was rejected.")
    conn.execute(
        comment.update()
        .where(comment.c.id == comment_id)
        .values(answer=body, answered_by=who.name, answered_at=datetime.now(UTC))
    )
    audit(conn, who, actions.COMMENT_ANSWER, target=f"comment:{comment_id}")
    return get_comment(conn, who, comment_id)


def _require_admin(who: Principal) -> None:
    if not who.is_admin:
        raise Forbidden(
            "Chỉ quản trị viên được xem hoặc xóa thông tin cá nhân.",
            "Only administrators may read or erase personal data.",
        )


def read_identity(
    conn: Connection, key: bytes, who: Principal, comment_id: int, client: str | None
) -> dict[str, Any]:
    """The identity a commenter gave (administrators only; every read is in the audit log)."""
    _require_admin(who)
    r = _get(conn, comment_id)
    audit(conn, who, "personal_data_read", target=f"comment:{comment_id}", client=client)
    return {} if r.identity is None else unseal(key, r.identity)


def erase_identity(conn: Connection, who: Principal, comment_id: int, client: str | None) -> None:
    """Erase a commenter's identity on their request (the comment itself stays); audited."""
    _require_admin(who)
    _get(conn, comment_id)
    conn.execute(comment.update().where(comment.c.id == comment_id).values(identity=None))
    audit(conn, who, "personal_data_erase", target=f"comment:{comment_id}", client=client)


def attachment_file(
    conn: Connection, who: Principal, comment_id: int, file_id: int
) -> tuple[str, str, bytes]:
    """(name, media type, content) of an attachment the caller may see."""
    get_comment(conn, who, comment_id)
    r = (
        0 < file_id < 2**63
        and conn.execute(
            select(attachment.c.name, attachment.c.media_type, attachment.c.content).where(
                attachment.c.id == file_id, attachment.c.comment_id == comment_id
            )
        ).first()
    )
    if not r:
        raise NotFound("Không có tệp đính kèm này.", "No such attachment.")
    return r.name, r.media_type, bytes(r.content)
