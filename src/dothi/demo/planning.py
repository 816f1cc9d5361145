"""The demo city's plans (illustrative): the approved 2026 zoning plan, its 2027 draft
adjustment open for comments with a few answered comments, and two scenarios to compare.

Everything here is marked illustrative (minh họa): no legal effect. Loading twice changes
nothing.
"""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy import func, select

from dothi.auth.personal_data import data_key
from dothi.auth.policy import operator
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.planning import plans
from dothi.planning.consultation import comments as cs
from dothi.planning.scenarios import store as sc
from dothi.planning.tables import comment

PLAN_2026 = "minh-hoa-2026"
PLAN_2027 = "minh-hoa-2027"
_AUTHORITY = "UBND TP Hồ Chí Minh (minh họa / illustrative)"
#: (zone, topic, comment, answer) — illustrative comments on the draft, with answers.
_COMMENTS = (
    (
        "MINH-HOA-2027-26743-05",
        "green_space",
        "Đề nghị giữ hàng cây dầu và mở rộng công viên cho trẻ em trong khu này. (minh họa)",
        "Tiếp thu: ô được điều chỉnh thành cây xanh công cộng. (minh họa)",
    ),
    (
        None,
        "transport",
        "Tăng tầng cao thì cần thêm chỗ đỗ xe và mở rộng vỉa hè. (minh họa)",
        "Chỉ tiêu đỗ xe được tính trong phương án; hồ sơ sẽ bổ sung. (minh họa)",
    ),
    (
        "MINH-HOA-2027-26740-03",
        "social_infrastructure",
        "Khu này thiếu trường tiểu học gần nhà. (minh họa)",
        None,
    ),
)


#: Two scenarios compared on the demo's planner page: the plan in force and its draft.
_SCENARIOS = (
    {
        "id": "minh-hoa-a",
        "name": "Phương án A: quy hoạch 2026 / Scenario A: the 2026 plan",
        "plan_id": PLAN_2026,
        "assumptions": {
            "floor_area_per_person_m2": 30,
            "household_size": 3.3,
            "mixed_use_residential_share": 0.5,
            "edition": "QCVN 01:2021/BXD",
            "urban_class": "special",
        },
    },
    {
        "id": "minh-hoa-b",
        "name": "Phương án B: điều chỉnh 2027 / Scenario B: the 2027 draft",
        "plan_id": PLAN_2027,
        "assumptions": {
            "floor_area_per_person_m2": 30,
            "household_size": 3.3,
            "mixed_use_residential_share": 0.5,
            "edition": "QCVN 01:2026/BXD",
            "urban_class": "special",
        },
    },
)


def load_demo_planning(db: Database, settings: Settings) -> None:
    """Register the demo plans, their scenarios, and comment on the draft (once)."""
    with db.write() as conn:
        known = {p.id for p in plans.list_plans(conn)}
        if PLAN_2026 not in known:
            plans.add_plan(
                conn,
                PLAN_2026,
                "Quy hoạch phân khu MINH HỌA khu trung tâm TP Hồ Chí Minh / ILLUSTRATIVE "
                "zoning plan, central Ho Chi Minh City",
                "zoning",
                scale="1/2000",
                authority=_AUTHORITY,
            )
            plans.set_status(
                conn, PLAN_2026, "approved", decision=("MINH-HOA/2026", date(2026, 1, 1))
            )
        if PLAN_2027 not in known:
            plans.add_plan(
                conn,
                PLAN_2027,
                "Điều chỉnh quy hoạch phân khu MINH HỌA khu trung tâm (dự thảo) / ILLUSTRATIVE "
                "draft adjustment of the central zoning plan",
                "zoning",
                scale="1/2000",
                authority=_AUTHORITY,
                supersedes=PLAN_2026,
            )
            # Open around the day the demo is loaded, so that visitors can comment.
            today = cs.today_in_vietnam()
            period = (today - timedelta(days=7), today + timedelta(days=30))
            plans.set_status(conn, PLAN_2027, "consultation", consultation=period)
        saved = {s.id for s in sc.list_scenarios(conn, operator("demo"))}
        for doc in _SCENARIOS:
            if doc["id"] not in saved:
                sc.add_scenario(conn, operator("demo"), {**doc, "illustrative": True})
        stmt = select(func.count()).where(comment.c.plan_id == PLAN_2027)
        if conn.execute(stmt).scalar_one():
            return
    key, who = data_key(settings), operator("demo")
    for zone, topic, body, answer in _COMMENTS:
        new = cs.NewComment(body=body, topic=topic, zone_uid=zone)
        made = cs.submit(db, key, PLAN_2027, new, f"demo-{topic}")
        with db.write() as conn:
            cs.moderate(conn, who, made["id"], "published", None)
            if answer:
                cs.answer(conn, who, made["id"], answer)
