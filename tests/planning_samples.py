"""A plan in consultation for the consultation tests (API and page)."""

from __future__ import annotations

from datetime import timedelta
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
    """Plan ``qh-moi`` open for comments (zones z1, z2 side by side), ``qh-xong`` closed
    (zone z9), ``qh-nhap`` a draft; an editor and an administrator. Returns their tokens
    as ``{"editor": …, "admin": …}``."""
    today = cs.today_in_vietnam()
    with db.write() as conn:
        plans.add_plan(conn, "qh-moi", "Điều chỉnh phân khu Bến Thành (minh họa)", "zoning")
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
    zones = [
        {"zone_uid": "z1", "zone_code": "I-1", "plan_id": "qh-moi", **common},
        {"zone_uid": "z2", "zone_code": "I-2", "plan_id": "qh-moi", **common},
        {"zone_uid": "z9", "zone_code": "IX", "plan_id": "qh-xong", **common},
    ]
    zones[0]["geometry"] = box(X0, Y0, X0 + W, Y0 + W)
    zones[1]["geometry"] = box(X0 + W, Y0, X0 + 2 * W, Y0 + W)
    zones[2]["geometry"] = box(X0, Y0 + 2 * W, X0 + W, Y0 + 3 * W)
    path = write_geojson(tmp_path / "zones.geojson", zones)
    import_file(db, settings, path, ImportOptions(layer_id="planning_zone", key="zone_uid"))
    return {"editor": editor, "admin": admin}
