"""The synthesis of a consultation (báo cáo tổng hợp ý kiến): counts by zone and topic, every
published comment with its answer; as data, CSV (UTF-8 with BOM, so spreadsheet programs
show Vietnamese) and PDF.

The public may have it once the period has closed; officials at any time. Identity fields
never appear in it.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from fpdf import FPDF
from sqlalchemy import Connection, func, select

from dothi.auth.policy import Principal
from dothi.db.spatial.base import as_utc
from dothi.errors import Forbidden
from dothi.pdf import add_fonts
from dothi.planning.consultation.comments import (
    TOPICS,
    VIETNAM_TIME,
    is_closed,
    is_staff,
    today_in_vietnam,
)
from dothi.planning.plans import Plan
from dothi.planning.tables import comment

_NO_ZONE = "(toàn đồ án / whole plan)"


@dataclass(frozen=True)
class Synthesis:
    """What a consultation gathered."""

    plan: Plan
    closed: bool
    #: Comments received, by moderation status (pending, published, rejected).
    received: dict[str, int]
    #: Published comments by (zone, topic).
    counts: dict[tuple[str, str], int]
    comments: list[dict[str, Any]]
    #: The code each zone is known by (``BT-11``), by zone id; a zone missing here is
    #: shown by its id.
    zone_codes: dict[str, str] = field(default_factory=dict)

    def code(self, zone_uid: str | None) -> str:
        """The zone's code as people know it (empty for the whole plan)."""
        return "" if not zone_uid else self.zone_codes.get(zone_uid, zone_uid)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready data."""
        return {
            "plan": self.plan.to_dict(),
            "closed": self.closed,
            "received": self.received,
            "answered": sum(1 for c in self.comments if c["answer"]),
            "counts": [
                {
                    "zone_uid": z or None,
                    "zone_code": self.code(z) or None,
                    "topic": t,
                    "comments": n,
                }
                for (z, t), n in sorted(self.counts.items())
            ],
            "comments": [
                {**c, "zone_code": self.code(c["zone_uid"]) or None} for c in self.comments
            ],
        }


def synthesis(
    conn: Connection, who: Principal, found: Plan, zone_codes: dict[str, str] | None = None
) -> Synthesis:
    """The synthesis of ``found``'s consultation (public once closed, officials any time);
    ``zone_codes``: the codes of the plan's zones by id, to name zones as people do."""
    closed = is_closed(found, today_in_vietnam())
    if not closed and not is_staff(who):
        raise Forbidden(
            "Báo cáo tổng hợp được công bố khi kết thúc lấy ý kiến.",
            "The synthesis is published when the consultation has closed.",
        )
    by_status = select(comment.c.status, func.count()).where(comment.c.plan_id == found.id)
    received = {s: 0 for s in ("pending", "published", "rejected")}
    received |= {s: int(n) for s, n in conn.execute(by_status.group_by(comment.c.status))}
    rows = conn.execute(
        select(comment)
        .where(comment.c.plan_id == found.id, comment.c.status == "published")
        .order_by(comment.c.zone_uid, comment.c.topic, comment.c.id)
    ).all()
    counts = Counter((r.zone_uid or "", r.topic) for r in rows)
    comments = [
        {
            "id": r.id,
            "date": as_utc(r.created_at).astimezone(VIETNAM_TIME).date().isoformat(),
            "zone_uid": r.zone_uid,
            "topic": r.topic,
            "body": r.body,
            "answer": r.answer,
            "answered_on": None
            if r.answered_at is None
            else as_utc(r.answered_at).astimezone(VIETNAM_TIME).date().isoformat(),
        }
        for r in rows
    ]
    return Synthesis(found, closed, received, dict(counts), comments, zone_codes or {})


def _csv(header: list[str], rows: list[list[Any]]) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def comments_csv(s: Synthesis) -> bytes:
    """Every published comment with its answer, one row each."""
    header = [
        "Số / No",
        "Ngày / Date",
        "Ô quy hoạch / Zone",
        "Chủ đề / Topic",
        "Góp ý / Comment",
        "Trả lời / Answer",
        "Ngày trả lời / Answered on",
    ]
    rows = [
        [
            c["id"],
            c["date"],
            s.code(c["zone_uid"]),
            TOPICS[c["topic"]][0],
            c["body"],
            c["answer"] or "",
            c["answered_on"] or "",
        ]
        for c in s.comments
    ]
    return _csv(header, rows)


def counts_csv(s: Synthesis) -> bytes:
    """Published comments counted by zone and topic."""
    rows = [[s.code(z), t, TOPICS[t][0], n] for (z, t), n in sorted(s.counts.items())]
    return _csv(["Ô quy hoạch / Zone", "topic", "Chủ đề / Topic", "Số góp ý / Comments"], rows)


def _vn_date(day: date | None) -> str:
    return "–" if day is None else day.strftime("%d/%m/%Y")


def _heading(pdf: FPDF, vi: str, en: str) -> None:
    pdf.ln(3)
    pdf.set_font("noto", "B", 11)
    pdf.cell(0, 6, f"{vi} / {en}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("noto", size=9)


def render_pdf(s: Synthesis, *, now: datetime | None = None) -> bytes:
    """The synthesis as an A4 PDF: summary, counts by zone and topic, comments and answers."""
    pdf = FPDF(format="A4")
    add_fonts(pdf)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("noto", "B", 14)
    pdf.multi_cell(0, 7, "BÁO CÁO TỔNG HỢP Ý KIẾN CỘNG ĐỒNG", align="C", new_x="LMARGIN")
    pdf.set_font("noto", size=9)
    pdf.multi_cell(0, 5, "Synthesis of the public consultation", align="C", new_x="LMARGIN")
    pdf.ln(2)
    p = s.plan
    period = f"{_vn_date(p.consultation_from)} – {_vn_date(p.consultation_to)}"
    day = (now or datetime.now(UTC)).astimezone(VIETNAM_TIME).strftime("%d/%m/%Y")
    for label, value in (
        ("Đồ án / Plan", p.name),
        ("Thời gian lấy ý kiến / Period", period),
        ("Ngày lập / Prepared on", day + ("" if s.closed else " (chưa kết thúc / still open)")),
        (
            "Ý kiến nhận được / Received",
            f"{sum(s.received.values())}: công bố / published {s.received['published']}, "
            f"từ chối / rejected {s.received['rejected']}, "
            f"chờ duyệt / pending {s.received['pending']}",
        ),
        ("Đã trả lời / Answered", str(sum(1 for c in s.comments if c["answer"]))),
    ):
        pdf.set_font("noto", "B", 9)
        pdf.cell(55, 5.5, label)
        pdf.set_font("noto", size=9)
        pdf.multi_cell(0, 5.5, value, new_x="LMARGIN", new_y="NEXT")
    _heading(pdf, "Số ý kiến theo ô quy hoạch và chủ đề", "Comments by zone and topic")
    with pdf.table(col_widths=(40, 90, 30), text_align=("LEFT", "LEFT", "RIGHT")) as table:
        table.row(["Ô / Zone", "Chủ đề / Topic", "Số / Count"])
        for (zone, topic), n in sorted(s.counts.items()):
            vi, en = TOPICS[topic]
            table.row([s.code(zone) or _NO_ZONE, f"{vi} / {en}", str(n)])
    _heading(pdf, "Ý kiến và trả lời", "Comments and answers")
    for c in s.comments:
        zone = s.code(c["zone_uid"]) or _NO_ZONE
        pdf.set_font("noto", "B", 9)
        pdf.multi_cell(
            0, 5, f"#{c['id']} · {c['date']} · {zone} · {TOPICS[c['topic']][0]}", new_x="LMARGIN"
        )
        pdf.set_font("noto", size=9)
        pdf.multi_cell(0, 5, c["body"], new_x="LMARGIN", new_y="NEXT")
        answer = c["answer"] or "(chưa trả lời / not answered)"
        pdf.set_x(pdf.l_margin + 6)
        pdf.multi_cell(0, 5, f"Trả lời / Answer: {answer}", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)
    return bytes(pdf.output())
