"""``dothi planning lookup``: what applies to a place or a parcel, from the command line."""

from __future__ import annotations

import json

import click

from dothi.auth.policy import operator
from dothi.cli.common import Context, default_user, pass_ctx, t
from dothi.errors import InvalidInput
from dothi.planning import lookup as pl


@click.group("planning")
def planning_group() -> None:
    """Thông tin quy hoạch / planning information."""


@planning_group.command("lookup")
@click.option("--lon", type=float, help="Kinh độ WGS 84 / WGS 84 longitude")
@click.option("--lat", type=float, help="Vĩ độ WGS 84 / WGS 84 latitude")
@click.option("--x", type=float, help="X trên giấy chứng nhận (bắc) / certificate X (northing)")
@click.option("--y", type=float, help="Y trên giấy chứng nhận (đông) / certificate Y (easting)")
@click.option("--crs", help="Hệ VN-2000 của X, Y, ví dụ vn2000-tm3:ho-chi-minh / CRS of X, Y")
@click.option("--commune", help="Mã xã/phường (5 chữ số) / commune code")
@click.option("--sheet", "sheet_no", help="Số tờ bản đồ / map sheet number")
@click.option("--parcel", "parcel_no", help="Số thửa / parcel number")
@click.option("--json", "as_json", is_flag=True, help="Xuất JSON / JSON output")
@pass_ctx
def planning_lookup(
    ctx: Context,
    lon: float | None,
    lat: float | None,
    x: float | None,
    y: float | None,
    crs: str | None,
    commune: str | None,
    sheet_no: str | None,
    parcel_no: str | None,
    as_json: bool,
) -> None:
    """Tra cứu quy hoạch theo điểm, tọa độ VN-2000 hoặc thửa / look up by point, VN-2000
    coordinates or parcel."""
    ways = {
        "point": (lon, lat),
        "certificate": (x, y, crs),
        "parcel": (commune, sheet_no, parcel_no),
    }
    given = [k for k, values in ways.items() if any(v is not None for v in values)]
    if len(given) != 1 or any(v is None for v in ways[given[0]]):
        raise InvalidInput(
            "Cho đúng một cách tra cứu: --lon --lat, hoặc --x --y --crs, hoặc "
            "--commune --sheet --parcel.",
            "Give exactly one way to look up: --lon --lat, or --x --y --crs, or "
            "--commune --sheet --parcel.",
        )
    db = ctx.database()
    who = operator(default_user())
    with db.read() as conn:
        if given[0] == "parcel":
            assert commune is not None and sheet_no is not None and parcel_no is not None
            answer = pl.lookup_parcel(db, conn, who, commune, sheet_no, parcel_no)
        else:
            if given[0] == "certificate":
                assert x is not None and y is not None and crs is not None
                lon, lat = pl.certificate_to_lonlat(x, y, crs)
            assert lon is not None and lat is not None
            answer = pl.lookup_point(db, conn, who, lon, lat)
    if as_json:
        click.echo(json.dumps(answer.as_dict(), ensure_ascii=False, indent=1))
        return
    _print(answer)


def _print(answer: pl.Lookup) -> None:
    commune = answer.commune or {}
    click.echo(t(f"Xã/phường: {commune.get('name', '-')}", f"Commune: {commune.get('name', '-')}"))
    if answer.parcel is not None:
        p = answer.parcel
        click.echo(
            t(
                f"Thửa {p.get('parcel_no')}, tờ {p.get('sheet_no')}: {answer.parcel_area_m2} m²",
                f"Parcel {p.get('parcel_no')}, sheet {p.get('sheet_no')}: "
                f"{answer.parcel_area_m2} m²",
            )
        )
    for z in answer.zones:
        share = "" if z.share is None else f" — {z.area_m2} m² ({z.share:.0%})"
        rules = ", ".join(f"{k}={v}" for k, v in z.rules.items() if v is not None)
        code = z.properties.get("zone_code", z.zone_uid)
        click.echo(f"  {t('Ô', 'Zone')} {code}{share}: {rules or '-'}")
    for c in answer.constraints:
        taken = "" if c.area_m2 is None else f": {c.area_m2} m²"
        click.echo(f"  {t('Ràng buộc', 'Constraint')} {c.kind}{taken}")
    if answer.envelope is not None:
        e = answer.envelope
        click.echo(
            t(
                f"Tối đa: chiếm đất {e['max_footprint_m2']} m², sàn {e['max_floor_area_m2']} m²",
                f"At most: footprint {e['max_footprint_m2']} m², floor area "
                f"{e['max_floor_area_m2']} m²",
            )
        )
    click.echo(t(pl.DISCLAIMER["vi"], pl.DISCLAIMER["en"]))


def register(cli: click.Group) -> None:
    """Add ``dothi planning`` to the ``dothi`` group."""
    cli.add_command(planning_group)
