"""A plan in consultation for the consultation tests (API and page)."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from samples import ORIGIN, write_geojson
from shapely.geometry import box

from dothi.auth.accounts import create_account
from dothi.auth.tokens import create_token
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.planning import plans
from dothi.planning.consultation import comments as cs
from dothi.spatial.importer import ImportOptions, import_file

X0, Y0 = ORIGIN
W = 0.002  # zone width in degrees


def consultation_city(db: Database, settings: Settings, tmp_path: Path) -> dict[str, str]:
    """Plan ``qh-moi`` open for comments (zones z1, z2, z10 side by side: I-1, I-2, I-10),
    which adjusts ``qh-cu`` in force (I-1 as it was, I-2 taller and denser, I-10 new);
    ``qh-xong`` closed (zone z9), ``qh-nhap`` a draft; an editor and an administrator.
    Returns their tokens as ``{"editor": …, "admin": …}``."""
    today = cs.today_in_vietnam()
    with db.write() as conn:
        plans.add_plan(conn, "qh-cu", "Phân khu Bến Thành 2020 (minh họa)", "zoning")
        plans.set_status(conn, "qh-cu", "approved", decision=("20/QĐ-UBND", date(2020, 3, 2)))
        plans.add_plan(
            conn,
            "qh-moi",
            "Điều chỉnh phân khu Bến Thành (minh họa)",
            "zoning",
            supersedes="qh-cu",
        )
        plans.set_status(
            conn, "qh-moi", "consultation", consultation=(today - timedelta(days=3), today)
        )
        plans.add_plan(conn, "qh-xong", "Phân khu đã lấy ý kiến (minh họa)", "zoning")
        plans.set_status(
            conn,
            "qh-xong",
            "consultation",
            consultation=(today - timedelta(days=40), today - timedelta(days=10)),
        )
        plans.add_plan(conn, "qh-nhap", "Bản nháp", "detailed")
        create_account(conn, "kts", "editor")
        create_account(conn, "qt", "admin")
        editor = create_token(conn, "kts", "góp ý")[0]
        admin = create_token(conn, "qt", "góp ý")[0]
    common = {"land_use_function": "residential", "plan_decision_no": "?", "illustrative": True}
    common |= {"plan_decision_date": "2026-01-01", "plan_level": "zoning"}
    low, tall = {"max_floors": 5, "max_far": 3.0}, {"max_floors": 8, "max_far": 4.5}
    zones = [
        {"zone_uid": "c1", "zone_code": "I-1", "plan_id": "qh-cu", **common},
        {"zone_uid": "c2", "zone_code": "I-2", "plan_id": "qh-cu", **common, **low},
        {"zone_uid": "z1", "zone_code": "I-1", "plan_id": "qh-moi", **common},
        {"zone_uid": "z2", "zone_code": "I-2", "plan_id": "qh-moi", **common, **tall},
        {"zone_uid": "z10", "zone_code": "I-10", "plan_id": "qh-moi", **common},
        {"zone_uid": "z9", "zone_code": "IX", "plan_id": "qh-xong", **common},
    ]
    zones[4]["land_use_function"] = "education"
    cells = [0, 1, 0, 1, 2]
    for zone, i in zip(zones, cells, strict=False):
        zone["geometry"] = box(X0 + i * W, Y0, X0 + (i + 1) * W, Y0 + W)
    zones[5]["geometry"] = box(X0, Y0 + 2 * W, X0 + W, Y0 + 3 * W)
    path = write_geojson(tmp_path / "zones.geojson", zones)
    import_file(db, settings, path, ImportOptions(layer_id="planning_zone", key="zone_uid"))
    return {"editor": editor, "admin": admin}
