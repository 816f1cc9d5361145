"""Plans (đồ án quy hoạch): registration and life cycle.

Status moves ``draft`` → ``consultation`` (with a period) → ``approved`` (with the approval
decision), or ``draft`` → ``approved``; a consultation may go back to ``draft``. Approving a
plan that ``supersedes`` another marks the other ``superseded`` — kept, never deleted.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, select

from dothi.errors import Conflict, InvalidInput, NotFound
from dothi.planning.tables import plan

if TYPE_CHECKING:
    from dothi.auth.policy import Principal

LEVELS = ("general", "zoning", "detailed")
STATUSES = ("draft", "consultation", "approved", "superseded")
_MOVES = {
    "draft": ("consultation", "approved"),
    "consultation": ("draft", "approved"),
    "approved": (),
    "superseded": (),
}
_ID = re.compile(r"^[a-z0-9][a-z0-9_-]{0,63}$")
#: What each status means to a reader: only an approved plan is in force.
STATUS_LABELS: dict[str, dict[str, str]] = {
    "draft": {"vi": "Bản nháp (chưa công bố)", "en": "Draft (not published)"},
    "consultation": {
        "vi": "Dự thảo đang lấy ý kiến (chưa có hiệu lực)",
        "en": "Draft in consultation (not in force)",
    },
    "approved": {"vi": "Đã phê duyệt, đang có hiệu lực", "en": "Approved, in force"},
    "superseded": {
        "vi": "Đã được thay thế (hết hiệu lực)",
        "en": "Superseded (no longer in force)",
    },
}
LEVEL_LABELS: dict[str, dict[str, str]] = {
    "general": {"vi": "Quy hoạch chung", "en": "General plan"},
    "zoning": {"vi": "Quy hoạch phân khu", "en": "Zoning plan"},
    "detailed": {"vi": "Quy hoạch chi tiết", "en": "Detailed plan"},
}


@dataclass(frozen=True)
class Plan:
    """A plan and where it stands."""

    id: str
    name: str
    level: str
    scale: str | None
    status: str
    decision_no: str | None
    decision_date: date | None
    authority: str | None
    consultation_from: date | None
    consultation_to: date | None
    supersedes: str | None
    documents: list[dict[str, str]]

    @property
    def in_force(self) -> bool:
        """True for an approved plan: its rules are the rules; a draft's are proposals."""
        return self.status == "approved"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data, with the status and level in words (vi/en)."""
        out: dict[str, Any] = dict(self.__dict__)
        for key in ("decision_date", "consultation_from", "consultation_to"):
            value = out[key]
            out[key] = None if value is None else value.isoformat()
        out["in_force"] = self.in_force
        out["status_label"] = STATUS_LABELS.get(self.status)
        out["level_label"] = LEVEL_LABELS.get(self.level)
        out["name_label"] = {lang: name_in(self.name, lang) for lang in ("vi", "en")}
        return out

    def summary(self) -> dict[str, Any]:
        """What a zone carries of its plan: id, name, status (in words) and decision."""
        return plan_summary(
            self.id,
            self.name,
            self.status,
            self.decision_no,
            None if self.decision_date is None else self.decision_date.isoformat(),
        )


def name_in(name: str, lang: str) -> str:
    """A name written ``"Vietnamese / English"`` in one language (the whole name when it
    has one language only), as the layer schemas write titles."""
    vi, sep, en = name.partition(" / ")
    if not sep:
        return name
    return en.strip() if lang == "en" else vi.strip()


def date_text(iso: str | None, lang: str) -> str:
    """An ISO date as people write it: ``01/01/2026`` in Vietnamese, ISO in English."""
    if not iso:
        return "–"
    if lang == "en":
        return iso[:10]
    year, month, day = iso[:10].split("-")
    return f"{day}/{month}/{year}"


def plan_summary(
    plan_id: str | None,
    name: str | None,
    status: str,
    decision_no: str | None,
    decision_date: str | None,
) -> dict[str, Any]:
    """A plan as a zone in a lookup, a sheet or a change list names it."""
    label = name or plan_id or ""
    return {
        "id": plan_id,
        "name": name,
        "name_label": {lang: name_in(label, lang) for lang in ("vi", "en")},
        "status": status,
        "status_label": STATUS_LABELS.get(status, {"vi": status, "en": status}),
        "in_force": status == "approved",
        "decision_no": decision_no,
        "decision_date": decision_date,
    }


def _row(r: Any) -> Plan:
    return Plan(
        id=r.id,
        name=r.name,
        level=r.level,
        scale=r.scale,
        status=r.status,
        decision_no=r.decision_no,
        decision_date=r.decision_date,
        authority=r.authority,
        consultation_from=r.consultation_from,
        consultation_to=r.consultation_to,
        supersedes=r.supersedes,
        documents=json.loads(r.documents),
    )


def get_plan(conn: Connection, plan_id: str) -> Plan:
    """The plan with this id; :class:`NotFound` if there is none."""
    r = conn.execute(select(plan).where(plan.c.id == plan_id)).first()
    if r is None:
        raise NotFound(f"Không có đồ án quy hoạch «{plan_id}».", f"No plan '{plan_id}'.")
    return _row(r)


def shown_statuses(who: Principal) -> tuple[str, ...]:
    """The plan statuses whose plans ``who`` may see, and with them their zones, scenarios
    and consultation: drafts are the planners' working documents (editors and
    administrators); everyone sees the other statuses."""
    if who.role in ("admin", "editor"):
        return STATUSES
    return tuple(s for s in STATUSES if s != "draft")


def list_plans(conn: Connection, statuses: tuple[str, ...] = STATUSES) -> list[Plan]:
    """Plans with one of ``statuses``, by id."""
    stmt = select(plan).where(plan.c.status.in_(statuses)).order_by(plan.c.id)
    return [_row(r) for r in conn.execute(stmt)]


def plans_by_id(conn: Connection) -> dict[str, Plan]:
    """Every plan, by id (a lookup names each zone's plan)."""
    return {p.id: p for p in list_plans(conn)}


def add_plan(
    conn: Connection,
    plan_id: str,
    name: str,
    level: str,
    *,
    scale: str | None = None,
    authority: str | None = None,
    supersedes: str | None = None,
    documents: list[dict[str, str]] | None = None,
) -> Plan:
    """Register a plan as a ``draft``."""
    if not _ID.match(plan_id):
        raise InvalidInput(
            f"Mã đồ án «{plan_id}» chỉ gồm chữ thường không dấu, số, - và _ (tối đa 64).",
            f"Plan id '{plan_id}' may use lower-case ASCII letters, digits, - and _ (≤ 64).",
        )
    if level not in LEVELS:
        raise InvalidInput(
            f"Cấp quy hoạch phải là một trong: {', '.join(LEVELS)}.",
            f"The plan level must be one of: {', '.join(LEVELS)}.",
        )
    label = " ".join(name.split())
    if not 1 <= len(label) <= 300:
        raise InvalidInput("Tên đồ án dài 1–300 ký tự.", "A plan name is 1–300 characters.")
    if conn.execute(select(plan.c.id).where(plan.c.id == plan_id)).first():
        raise Conflict(f"Đồ án «{plan_id}» đã có.", f"Plan '{plan_id}' already exists.")
    if supersedes is not None:
        get_plan(conn, supersedes)
    now = datetime.now(UTC)
    conn.execute(
        plan.insert().values(
            id=plan_id,
            name=label,
            level=level,
            scale=scale,
            status="draft",
            authority=authority,
            supersedes=supersedes,
            documents=json.dumps(documents or [], ensure_ascii=False),
            created_at=now,
            updated_at=now,
        )
    )
    return get_plan(conn, plan_id)


def set_status(
    conn: Connection,
    plan_id: str,
    status: str,
    *,
    consultation: tuple[date, date] | None = None,
    decision: tuple[str, date] | None = None,
) -> Plan:
    """Move a plan to ``status``: a consultation needs its period, an approval its decision
    (number and date); approving supersedes the plan this one replaces."""
    current = get_plan(conn, plan_id)
    if status not in STATUSES:
        raise InvalidInput(
            f"Trạng thái phải là một trong: {', '.join(STATUSES)}.",
            f"The status must be one of: {', '.join(STATUSES)}.",
        )
    if status not in _MOVES[current.status]:
        raise Conflict(
            f"Đồ án «{plan_id}» đang ở trạng thái {current.status}, "
            f"không chuyển sang {status} được.",
            f"Plan '{plan_id}' is {current.status} and cannot become {status}.",
        )
    values: dict[str, Any] = {"status": status, "updated_at": datetime.now(UTC)}
    if status == "consultation":
        if consultation is None or consultation[1] < consultation[0]:
            raise InvalidInput(
                "Lấy ý kiến cần ngày bắt đầu và ngày kết thúc (không trước ngày bắt đầu).",
                "A consultation needs a start and an end date (not before the start).",
            )
        values |= {"consultation_from": consultation[0], "consultation_to": consultation[1]}
    if status == "approved":
        if decision is None or not decision[0].strip():
            raise InvalidInput(
                "Phê duyệt cần số và ngày của quyết định.",
                "An approval needs the decision's number and date.",
            )
        values |= {"decision_no": decision[0].strip(), "decision_date": decision[1]}
        if current.supersedes is not None:
            old = get_plan(conn, current.supersedes)
            if old.status != "approved":
                raise Conflict(
                    f"Đồ án được thay thế «{old.id}» chưa được phê duyệt ({old.status}).",
                    f"The plan it replaces, '{old.id}', is not approved ({old.status}).",
                )
            conn.execute(
                plan.update()
                .where(plan.c.id == old.id)
                .values(status="superseded", updated_at=values["updated_at"])
            )
    conn.execute(plan.update().where(plan.c.id == plan_id).values(**values))
    return get_plan(conn, plan_id)
