"""Tests for dothi.geo.crs: CRS specs, VN-2000 province zones and the EPSG:6960 guarantee.

Control values come from shared/VIETNAM.md (section VN-2000). One of them is corrected here:
the Hồ Chí Minh City vector printed there (E 603 786.186, N 1 191 941.011) is what EPSG:5194
gives, not EPSG:6960 — see test_vietnam_md_hcmc_vector_is_the_5194_result.
"""

from __future__ import annotations

import gzip
import importlib.resources
import json
import math
import re
import threading
import unicodedata
from pathlib import Path
from typing import Any

import numpy as np
import pyproj
import pytest
from pyproj.transformer import TransformerGroup

from dothi.errors import ConfigError, InvalidInput
from dothi.geo import crs as gcrs
from dothi.geo.crs import (
    EDITIONS,
    Edition,
    crs_to_spec,
    is_geographic_wgs84,
    is_vn2000,
    province_candidates,
    provinces,
    resolve_crs,
    tm3_epsg,
)
from dothi.geo.extent import looks_projected, vietnam_extent
from dothi.geo.transform import WrongDatumTransformation, check_vn2000_operation, transformer

WGS84 = pyproj.CRS.from_epsg(4326)
DATA_FILE = Path(gcrs.__file__).parent / "data" / "vn2000_provinces.json"
ADMIN_2025 = Path(gcrs.__file__).parents[1] / "demo" / "data" / "admin_province.geojson.gz"

# (lon, lat) WGS 84 → (E, N) in the given CRS, EPSG:6960.
HANOI = (105.8542, 21.0285)
HANOI_5897 = (588591.944, 2326345.312)
HCMC = (106.700806, 10.776889)
HCMC_9210 = (603786.984, 1191941.056)  # EPSG:6960; VIETNAM.md's value is EPSG:5194's
HCMC_9210_VIETNAM_MD = (603786.186, 1191941.011)
BINH_THUAN_9217 = (568262.924, 1255172.510)  # → WGS 84 below
BINH_THUAN = (108.877201, 11.349358)

MM = 0.001
DEG_MM = 1e-8  # ≈ 1.1 mm on the ground


def _wrong_sign_crs(lon_0: float) -> pyproj.CRS:
    # The widespread mistake: the Decision's coordinate-frame rotations pasted unflipped into
    # +towgs84, which PROJ reads as position vector.
    return pyproj.CRS(
        f"+proj=tmerc +lat_0=0 +lon_0={lon_0} +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 "
        "+towgs84=-191.90441429,-39.30318279,-111.45032835,-0.00928836,0.01975479,-0.00427372,"
        "0.252906278 +units=m +no_defs"
    )


def _right_sign_crs(lon_0: float) -> pyproj.CRS:
    return pyproj.CRS(
        f"+proj=tmerc +lat_0=0 +lon_0={lon_0} +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84 "
        "+towgs84=-191.90441429,-39.30318279,-111.45032835,0.00928836,-0.01975479,0.00427372,"
        "0.252906278 +units=m +no_defs"
    )


def _ground_distance(lon1: float, lat1: float, lon2: float, lat2: float) -> float:
    return float(pyproj.Geod(ellps="WGS84").inv(lon1, lat1, lon2, lat2)[2])


def _tm_params(code: int) -> dict[str, float]:
    operation = pyproj.CRS.from_epsg(code).coordinate_operation
    assert operation is not None
    for p in operation.params:
        assert p.unit_name in ("degree", "metre", "unity")  # not proj.db's degree.minute
    return {p.name: float(p.value) for p in operation.params}


def _operation_by_id(src: pyproj.CRS, dst: pyproj.CRS, code: int) -> pyproj.Transformer:
    for t in TransformerGroup(src, dst, always_xy=True).transformers:
        ids = [(op.to_json_dict().get("id") or {}).get("code") for op in t.operations or ()]
        if code in ids:
            return t
    raise AssertionError(f"PROJ offers no operation through EPSG:{code}")


# --------------------------------------------------------------------------- control points


def test_hanoi_control_point_both_directions() -> None:
    t = transformer(WGS84, resolve_crs("EPSG:5897"))
    x, y = t.transform(*HANOI)
    assert abs(x - HANOI_5897[0]) < MM and abs(y - HANOI_5897[1]) < MM
    lon, lat = transformer(resolve_crs("EPSG:5897"), WGS84).transform(*HANOI_5897)
    assert abs(lon - HANOI[0]) < DEG_MM and abs(lat - HANOI[1]) < DEG_MM


def test_hcmc_control_point_both_directions() -> None:
    t = transformer(WGS84, resolve_crs("EPSG:9210"))
    x, y = t.transform(*HCMC)
    assert abs(x - HCMC_9210[0]) < MM and abs(y - HCMC_9210[1]) < MM
    lon, lat = transformer(resolve_crs("EPSG:9210"), WGS84).transform(*HCMC_9210)
    assert abs(lon - HCMC[0]) < DEG_MM and abs(lat - HCMC[1]) < DEG_MM


def test_binh_thuan_control_point_both_directions() -> None:
    lon, lat = transformer(resolve_crs("EPSG:9217"), WGS84).transform(*BINH_THUAN_9217)
    assert abs(lon - BINH_THUAN[0]) < 1e-6 and abs(lat - BINH_THUAN[1]) < 1e-6
    # The published lon/lat have 6 decimals (±0.055 m each way), which bounds the reverse check.
    x, y = transformer(WGS84, resolve_crs("EPSG:9217")).transform(*BINH_THUAN)
    assert math.hypot(x - BINH_THUAN_9217[0], y - BINH_THUAN_9217[1]) < 0.08


def test_vietnam_md_hcmc_vector_is_the_5194_result() -> None:
    # Kept so nobody "fixes" the code to match the number in VIETNAM.md: inside the Mekong
    # block PROJ's default picks EPSG:5194, and that is where the printed value comes from.
    t5194 = _operation_by_id(WGS84, pyproj.CRS.from_epsg(9210), 5194)
    x, y = t5194.transform(*HCMC)
    assert math.hypot(x - HCMC_9210_VIETNAM_MD[0], y - HCMC_9210_VIETNAM_MD[1]) < MM
    ours = transformer(WGS84, resolve_crs("EPSG:9210")).transform(*HCMC)
    assert 0.7 < math.hypot(ours[0] - x, ours[1] - y) < 0.9
    with pytest.raises(WrongDatumTransformation):
        check_vn2000_operation(t5194)


@pytest.mark.parametrize(
    ("spec", "epsg", "wgs84", "projected"),
    [
        ("vn2000-tm3:ha-noi", 5897, HANOI, HANOI_5897),
        ("vn2000-tm3:01", 5897, HANOI, HANOI_5897),
        ("vn2000-tm3:105", 5897, HANOI, HANOI_5897),
        ("vn2000-tm3:Hà Nội", 5897, HANOI, HANOI_5897),
        ("vn2000-tm3:105°00'", 5897, HANOI, HANOI_5897),
        ("vn2000-tm3:ho-chi-minh", 9210, HCMC, HCMC_9210),
        ("vn2000-tm3:79", 9210, HCMC, HCMC_9210),
        ("vn2000-tm3:105.75", 9210, HCMC, HCMC_9210),
        ("vn2000-tm3:TP. Hồ Chí Minh", 9210, HCMC, HCMC_9210),
        ("vn2000-tm3:105°45′", 9210, HCMC, HCMC_9210),
        ("vn2000-tm3:108.25", 9217, None, None),
        ("vn2000-tm3:108°15'", 9217, None, None),
        ("vn2000-tm3:khanh-hoa", 9217, None, None),
        ("vn2000-tm3:Khánh Hoà", 9217, None, None),
        ("vn2000-tm3:56", 9217, None, None),
    ],
)
def test_control_points_through_shorthand_specs(
    spec: str,
    epsg: int,
    wgs84: tuple[float, float] | None,
    projected: tuple[float, float] | None,
) -> None:
    crs = resolve_crs(spec)
    assert crs.to_epsg() == epsg
    if wgs84 is None or projected is None:
        lon, lat = transformer(crs, WGS84).transform(*BINH_THUAN_9217)
        assert abs(lon - BINH_THUAN[0]) < 1e-6 and abs(lat - BINH_THUAN[1]) < 1e-6
        return
    x, y = transformer(WGS84, crs).transform(*wgs84)
    assert abs(x - projected[0]) < MM and abs(y - projected[1]) < MM
    lon, lat = transformer(crs, WGS84).transform(*projected)
    assert abs(lon - wgs84[0]) < DEG_MM and abs(lat - wgs84[1]) < DEG_MM


@pytest.mark.parametrize(
    "spec",
    [
        "vn2000-tm3:da-nang",
        "vn2000-tm3:48",
        "vn2000-tm3:107.75",
        "vn2000-tm3:Đà Nẵng",
        "vn2000-tm3:107°45'",
        "vn2000-tm3:Da Nang",
        "vn2000-tm3:danang",
        "vn2000-tm3:Thành phố Đà Nẵng",
        "VN2000-TM3:DA-NANG",
        "vn2000-tm3:107-45",
        "vn2000-tm3:da-nang@2001",
        "vn2000-tm3:48@2025",
        "EPSG:5899",
        unicodedata.normalize("NFD", "vn2000-tm3:Đà Nẵng"),
    ],
)
def test_da_nang_forms_all_give_5899(spec: str) -> None:
    crs = resolve_crs(spec)
    assert crs.to_epsg() == 5899
    # Same numbers as the EPSG code itself, through EPSG:6960.
    point = (108.2208, 16.0678)
    t = transformer(WGS84, crs)
    check_vn2000_operation(t)
    x, y = t.transform(*point)
    ref = transformer(WGS84, pyproj.CRS.from_epsg(5899)).transform(*point)
    assert (x, y) == pytest.approx(ref, abs=1e-6)
    assert 500000 < x < 560000  # east of 107°45′, as Đà Nẵng is


# --------------------------------------------------------------------------- the sign trap


@pytest.mark.parametrize(
    ("epsg", "lon_0", "wgs84", "projected"),
    [(5897, 105.0, HANOI, HANOI_5897), (9210, 105.75, HCMC, HCMC_9210)],
)
def test_wrong_sign_towgs84_is_off_by_decimetres_ours_is_not(
    epsg: int, lon_0: float, wgs84: tuple[float, float], projected: tuple[float, float]
) -> None:
    wrong = pyproj.Transformer.from_crs(WGS84, _wrong_sign_crs(lon_0), always_xy=True)
    right = pyproj.Transformer.from_crs(WGS84, _right_sign_crs(lon_0), always_xy=True)
    ours = transformer(WGS84, pyproj.CRS.from_epsg(epsg))

    def error(t: pyproj.Transformer) -> float:
        x, y = t.transform(*wgs84)
        return math.hypot(x - projected[0], y - projected[1])

    assert 0.3 < error(wrong) < 1.0
    assert error(right) < 0.01
    assert error(ours) < 0.01
    with pytest.raises(WrongDatumTransformation):
        check_vn2000_operation(wrong)
    check_vn2000_operation(right)  # numerically EPSG:6960, so it passes
    check_vn2000_operation(ours)


def test_wrong_sign_towgs84_inverse_at_binh_thuan() -> None:
    wrong = pyproj.Transformer.from_crs(_wrong_sign_crs(108.25), WGS84, always_xy=True)
    ours = transformer(pyproj.CRS.from_epsg(9217), WGS84)
    lon_w, lat_w = wrong.transform(*BINH_THUAN_9217)
    lon_o, lat_o = ours.transform(*BINH_THUAN_9217)
    assert 0.3 < _ground_distance(lon_w, lat_w, *BINH_THUAN) < 1.0
    assert _ground_distance(lon_o, lat_o, *BINH_THUAN) < 0.1  # the 6-decimal rounding


def test_helmert_matches_an_independent_implementation() -> None:
    # Decision 05/2007/QĐ-BTNMT applied by hand (coordinate-frame rotations), to prove that
    # the sign PROJ uses is the legal one and not merely self-consistent.
    a, f = 6378137.0, 1 / 298.257223563
    e2 = f * (2 - f)
    tx, ty, tz = -191.90441429, -39.30318279, -111.45032835
    rx, ry, rz = (math.radians(v / 3600) for v in (-0.00928836, 0.01975479, -0.00427372))
    scale = 1 + 0.252906278e-6

    def to_ecef(lon: float, lat: float) -> np.ndarray:
        la, ph = math.radians(lon), math.radians(lat)
        n = a / math.sqrt(1 - e2 * math.sin(ph) ** 2)
        return np.array(
            [
                n * math.cos(ph) * math.cos(la),
                n * math.cos(ph) * math.sin(la),
                n * (1 - e2) * math.sin(ph),
            ]
        )

    def to_geodetic(xyz: np.ndarray) -> tuple[float, float]:
        x, y, z = xyz
        p = math.hypot(x, y)
        lat = math.atan2(z, p * (1 - e2))
        for _ in range(10):
            n = a / math.sqrt(1 - e2 * math.sin(lat) ** 2)
            h = p / math.cos(lat) - n
            lat = math.atan2(z, p * (1 - e2 * n / (n + h)))
        return math.degrees(math.atan2(y, x)), math.degrees(lat)

    rotation = np.array([[1, rz, -ry], [-rz, 1, rx], [ry, -rx, 1]])
    t = transformer(pyproj.CRS.from_epsg(4756), WGS84)
    for lon, lat in [(105.85, 21.03), (106.70, 10.77), (108.2, 16.06), (104.9, 8.6)]:
        expected = to_geodetic(np.array([tx, ty, tz]) + scale * rotation @ to_ecef(lon, lat))
        assert t.transform(lon, lat) == pytest.approx(expected, abs=1e-9)


# --------------------------------------------------------------------------- operation choice


@pytest.mark.parametrize(
    ("src", "dst"),
    [
        ("EPSG:4326", "EPSG:9210"),
        ("EPSG:9210", "EPSG:4326"),
        ("OGC:CRS84", "vn2000-tm3:can-tho"),
        ("vn2000", "EPSG:4326"),
        ("EPSG:4326", "vn2000"),
        ("vn2000-utm48", "EPSG:3857"),
        ("EPSG:32648", "vn2000-utm48"),
        ("vn2000-utm49", "EPSG:4979"),
    ],
)
def test_every_vn2000_wgs84_pair_uses_6960(src: str, dst: str) -> None:
    t = transformer(resolve_crs(src), resolve_crs(dst))
    check_vn2000_operation(t)
    assert "VN-2000 to WGS 84 (2)" in t.description
    assert "(1)" not in t.description


def test_mekong_delta_points_do_not_switch_to_5194() -> None:
    # PROJ's default switches operation per point; ours must give 6960 everywhere, so a point
    # inside the DBSCL block and one outside agree with the 6960 pipeline applied by hand.
    t = transformer(pyproj.CRS.from_epsg(4756), WGS84)
    explicit = _operation_by_id(pyproj.CRS.from_epsg(4756), WGS84, 6960)
    for lon, lat in [(105.78, 10.03), (106.70, 10.77), (105.85, 21.03), (104.5, 9.0)]:
        assert t.transform(lon, lat) == pytest.approx(explicit.transform(lon, lat), abs=1e-12)


def test_check_refuses_proj_default_null_shift_and_wrong_direction() -> None:
    default = pyproj.Transformer.from_crs(WGS84, pyproj.CRS.from_epsg(9210), always_xy=True)
    with pytest.raises(WrongDatumTransformation) as caught:
        check_vn2000_operation(default)  # holds 6960 and 5194, picks per point
    assert "5194" in caught.value.en and "5194" in caught.value.vi
    null = pyproj.Transformer.from_pipeline(
        "+proj=pipeline +step +proj=unitconvert +xy_in=deg +xy_out=rad "
        "+step +proj=tmerc +lat_0=0 +lon_0=105 +k=0.9999 +x_0=500000 +y_0=0 +ellps=WGS84"
    )
    with pytest.raises(WrongDatumTransformation):
        check_vn2000_operation(null)
    # PROJ 9.5 loses the inverse flag of the Helmert when an operation goes through PROJJSON:
    # the result applies 6960 backwards (~400 m). The direction check must catch it.
    ours = transformer(WGS84, pyproj.CRS.from_epsg(9210))
    via_json = pyproj.Transformer.from_pipeline(ours.to_json())
    x, y = via_json.transform(*HCMC)
    if math.hypot(x - HCMC_9210[0], y - HCMC_9210[1]) > 1.0:
        with pytest.raises(WrongDatumTransformation) as backwards:
            check_vn2000_operation(via_json)
        assert "450" in backwards.value.en
    else:  # a PROJ that round-trips correctly must then also pass the check
        check_vn2000_operation(via_json)


def test_vn2000_to_vn2000_has_no_datum_shift() -> None:
    t = transformer(resolve_crs("EPSG:5897"), resolve_crs("EPSG:9210"))
    definition = t.to_proj4()
    assert definition is not None and "helmert" not in definition
    via_geographic = pyproj.Transformer.from_pipeline(
        "+proj=pipeline +step +inv +proj=tmerc +lat_0=0 +lon_0=105 +k=0.9999 +x_0=500000 "
        "+ellps=WGS84 +step +proj=tmerc +lat_0=0 +lon_0=105.75 +k=0.9999 +x_0=500000 +ellps=WGS84"
    )
    assert t.transform(*HANOI_5897) == pytest.approx(
        via_geographic.transform(*HANOI_5897), abs=1e-6
    )


def test_vn2000_to_other_datum_goes_through_6960() -> None:
    t = transformer(pyproj.CRS.from_epsg(4147), pyproj.CRS.from_epsg(5897))  # Hà Nội 1972
    check_vn2000_operation(t)


def test_utm_48_and_49_round_trip() -> None:
    for spec, epsg, point in [
        ("vn2000-utm48", 3405, HANOI),
        ("vn2000-utm49", 3406, (108.22, 16.07)),
    ]:
        crs = resolve_crs(spec)
        assert crs.to_epsg() == epsg
        assert crs_to_spec(crs) == f"EPSG:{epsg}"
        forward, back = transformer(WGS84, crs), transformer(crs, WGS84)
        check_vn2000_operation(forward)
        check_vn2000_operation(back)
        x, y = forward.transform(*point)
        assert 160000 < x < 840000  # inside the zone
        assert back.transform(x, y) == pytest.approx(point, abs=DEG_MM)
        # UTM differs from the same point via VN-2000 geographic only by the projection.
        lon_vn, lat_vn = transformer(WGS84, pyproj.CRS.from_epsg(4756)).transform(*point)
        utm = pyproj.Transformer.from_crs(4756, epsg, always_xy=True).transform(lon_vn, lat_vn)
        assert (x, y) == pytest.approx(utm, abs=1e-6)


def test_transformer_is_cached_per_thread() -> None:
    src, dst = WGS84, pyproj.CRS.from_epsg(9210)
    assert transformer(src, dst) is transformer(src, dst)
    results: list[tuple[int, tuple[float, float]]] = []

    def work() -> None:
        t = transformer(src, dst)
        results.append((id(t), t.transform(*HCMC)))

    threads = [threading.Thread(target=work) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len({r[1] for r in results}) == 1
    assert results[0][1] == pytest.approx(HCMC_9210, abs=MM)


def test_transformer_refuses_towgs84_crs() -> None:
    with pytest.raises(InvalidInput) as caught:
        transformer(WGS84, _right_sign_crs(105))
    assert "TOWGS84" in caught.value.en and "TOWGS84" in caught.value.vi
    assert "EPSG:6960" in caught.value.en


# --------------------------------------------------------------------------- province tables


def _raw() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(DATA_FILE.read_text(encoding="utf-8"))
    return data


def test_tables_have_63_and_34_provinces_with_sources() -> None:
    raw = _raw()
    assert len(provinces("2001")) == len(raw["provinces_2001"]) == 63
    assert len(provinces("2025")) == len(raw["provinces_2025"]) == 34
    sources = raw["sources"]
    assert isinstance(sources, dict)
    assert "973/2001/TT-TCĐC" in sources["provinces_2001"]
    assert "24/2025/TT-BNNMT" in sources["provinces_2025"]
    for edition in EDITIONS:
        entries = provinces(edition)
        codes = [p.code for p in entries]
        assert len(set(codes)) == len(codes)
        assert all(len(c) == 2 and c.isdigit() for c in codes)
        compact = [p.slug.replace("-", "") for p in entries]
        assert len(set(compact)) == len(compact)
        for p in entries:
            assert p.name == unicodedata.normalize("NFC", p.name)
            assert p.slug.isascii() and p.slug == p.slug.lower()


def test_old_gso_codes_spot_checks() -> None:
    by_code = {p.code: p.name for p in provinces("2001")}
    expected = {
        "01": "Hà Nội",
        "02": "Hà Giang",
        "04": "Cao Bằng",
        "12": "Lai Châu",
        "44": "Quảng Bình",
        "45": "Quảng Trị",
        "46": "Thừa Thiên Huế",
        "48": "Đà Nẵng",
        "49": "Quảng Nam",
        "72": "Tây Ninh",
        "77": "Bà Rịa - Vũng Tàu",
        "79": "Hồ Chí Minh",
        "92": "Cần Thơ",
        "96": "Cà Mau",
    }
    for code, name in expected.items():
        assert by_code[code] == name


def test_2025_codes_and_names_match_the_admin_data() -> None:
    # The demo's province layer comes from the same 2025 unit list (see its SOURCES.md).
    with gzip.open(ADMIN_2025, "rt", encoding="utf-8") as fh:
        units = [f["properties"] for f in json.load(fh)["features"]]
    admin = {u["code"]: gcrs._slug(u["name"]) for u in units}
    assert len(admin) == 34
    ours = {p.code: p.slug for p in provinces("2025")}
    assert ours == admin


def test_uncertain_values_are_exactly_the_marked_ones() -> None:
    uncertain = {
        (p.edition, p.name)
        for edition in EDITIONS
        for p in provinces(edition)
        if p.certainty == "uncertain"
    }
    assert uncertain == {("2025", "Quảng Trị"), ("2025", "Tây Ninh")}


def test_tm3_epsg_map_matches_proj() -> None:
    raw = _raw()
    table = raw["tm3_epsg"]
    assert isinstance(table, dict)
    assert set(table.values()) == {5896, 5897, 5898, 5899, *range(9205, 9219)}
    for key, code in table.items():
        params = _tm_params(code)
        assert params["Longitude of natural origin"] == pytest.approx(float(key), abs=1e-12)
        assert params["Scale factor at natural origin"] == 0.9999
        assert params["False easting"] == 500000 and params["False northing"] == 0
        assert is_vn2000(pyproj.CRS.from_epsg(code))
        assert tm3_epsg(float(key)) == code


@pytest.mark.parametrize("edition", EDITIONS)
def test_every_province_resolves_or_is_reported_ambiguous(edition: Edition) -> None:
    for p in provinces(edition):
        lon_0 = _tm_params(p.epsg)["Longitude of natural origin"]
        assert lon_0 == pytest.approx(p.central_meridian, abs=1e-12)
        ascii_name = gcrs._slug(p.name).replace("-", " ")
        for key in (p.code, p.slug, p.name, ascii_name):
            assert resolve_crs(f"vn2000-tm3:{key}@{edition}").to_epsg() == p.epsg
        assert resolve_crs(p.spec).to_epsg() == p.epsg
        for key in (p.code, p.slug, p.name):
            candidates = province_candidates(key)
            try:
                crs = resolve_crs(f"vn2000-tm3:{key}")
            except InvalidInput as err:
                assert len(candidates) == 2
                for c in candidates:
                    assert c.name in err.vi and c.name in err.en
                    assert f"EPSG:{c.epsg}" in err.vi and f"EPSG:{c.epsg}" in err.en
                    assert f"@{c.edition}" in err.vi and f"@{c.edition}" in err.en
                continue
            assert crs.to_epsg() == p.epsg
            assert all(c.epsg == p.epsg for c in candidates)


@pytest.mark.parametrize(
    ("key", "names", "specs"),
    [
        ("12", ["Lai Châu"], ["vn2000-tm3:12@2001", "vn2000-tm3:12@2025"]),
        ("44", ["Quảng Bình", "Quảng Trị"], ["vn2000-tm3:44@2001", "vn2000-tm3:44@2025"]),
        ("Lai Châu", ["Lai Châu"], ["vn2000-tm3:lai-chau@2001", "vn2000-tm3:lai-chau@2025"]),
        ("quang-tri", ["Quảng Trị"], ["vn2000-tm3:quang-tri@2001", "vn2000-tm3:quang-tri@2025"]),
        ("Tay Ninh", ["Tây Ninh"], ["vn2000-tm3:tay-ninh@2001", "vn2000-tm3:tay-ninh@2025"]),
        ("bac ninh", ["Bắc Ninh"], ["vn2000-tm3:bac-ninh@2001", "vn2000-tm3:bac-ninh@2025"]),
    ],
)
def test_ambiguous_provinces_are_refused_in_both_languages(
    key: str, names: list[str], specs: list[str]
) -> None:
    with pytest.raises(InvalidInput) as caught:
        resolve_crs(f"vn2000-tm3:{key}")
    err = caught.value
    for text in (err.vi, err.en):
        for name in names:
            assert name in text
        for spec in specs:
            assert spec in text
    assert "kinh tuyến trục" in err.vi and "central meridian" in err.en
    for spec in specs:
        resolve_crs(spec)  # the suggested spec really works


def test_lai_chau_meridians_by_edition() -> None:
    assert resolve_crs("vn2000-tm3:12@2001").to_epsg() == 9205  # 103°00′
    assert resolve_crs("vn2000-tm3:12@2025").to_epsg() == 9208  # 104°45′
    assert resolve_crs("vn2000-tm3:44@2001").to_epsg() == 9211  # Quảng Bình 106°00′
    assert resolve_crs("vn2000-tm3:45").to_epsg() == 9212  # only in 2001: Quảng Trị 106°15′


@pytest.mark.parametrize(
    ("key", "epsg"),
    [("hue", 9214), ("Thừa Thiên Huế", 9214), ("46", 9214), ("TPHCM", 9210), ("Hà Giang", 9209)],
)
def test_names_that_agree_across_lists_are_accepted(key: str, epsg: int) -> None:
    assert resolve_crs(f"vn2000-tm3:{key}").to_epsg() == epsg


# --------------------------------------------------------------------------- spec parsing


@pytest.mark.parametrize(
    ("spec", "authority"),
    [
        ("EPSG:4326", ("EPSG", "4326")),
        ("epsg:9210", ("EPSG", "9210")),
        (" EPSG:5897 ", ("EPSG", "5897")),
        ("urn:ogc:def:crs:EPSG::3405", ("EPSG", "3405")),
        ("urn:ogc:def:crs:EPSG:9.9.1:3406", ("EPSG", "3406")),
        ("http://www.opengis.net/def/crs/EPSG/0/9217", ("EPSG", "9217")),
        ("https://www.opengis.net/def/crs/EPSG/0/4756", ("EPSG", "4756")),
        ("CRS84", ("OGC", "CRS84")),
        ("OGC:CRS84", ("OGC", "CRS84")),
        ("urn:ogc:def:crs:OGC:1.3:CRS84", ("OGC", "CRS84")),
        ("http://www.opengis.net/def/crs/OGC/1.3/CRS84", ("OGC", "CRS84")),
        ("vn2000", ("EPSG", "4756")),
        ("vn2000-utm48", ("EPSG", "3405")),
        ("vn2000-utm49", ("EPSG", "3406")),
    ],
)
def test_spec_forms_and_round_trip(spec: str, authority: tuple[str, str]) -> None:
    crs = resolve_crs(spec)
    assert crs.to_authority() == authority
    stored = crs_to_spec(crs)
    assert stored == ":".join(authority)
    assert resolve_crs(stored) == crs


def test_crs_to_spec_identifies_an_esri_prj() -> None:
    esri = (
        'PROJCS["VN_2000_TM3_105",GEOGCS["GCS_VN_2000",DATUM["D_Vietnam_2000",'
        'SPHEROID["WGS_1984",6378137.0,298.257223563]],PRIMEM["Greenwich",0.0],'
        'UNIT["Degree",0.0174532925199433]],PROJECTION["Transverse_Mercator"],'
        'PARAMETER["False_Easting",500000.0],PARAMETER["False_Northing",0.0],'
        'PARAMETER["Central_Meridian",105.0],PARAMETER["Scale_Factor",0.9999],'
        'PARAMETER["Latitude_Of_Origin",0.0],UNIT["Meter",1.0]]'
    )
    assert crs_to_spec(pyproj.CRS.from_wkt(esri)) == "EPSG:5897"


def test_crs_to_spec_refuses_what_it_cannot_store() -> None:
    with pytest.raises(InvalidInput) as bound:
        crs_to_spec(_wrong_sign_crs(105))
    assert "TOWGS84" in bound.value.vi and "TOWGS84" in bound.value.en
    with pytest.raises(InvalidInput) as deprecated:
        crs_to_spec(pyproj.CRS.from_epsg(6957))
    assert "EPSG:5897" in deprecated.value.vi and "EPSG:5897" in deprecated.value.en
    custom = pyproj.CRS("+proj=tmerc +lon_0=105.1 +k=0.9999 +x_0=500000 +ellps=WGS84")
    with pytest.raises(InvalidInput) as unknown:
        crs_to_spec(custom)
    assert "EPSG" in unknown.value.vi and "EPSG" in unknown.value.en


@pytest.mark.parametrize(("old", "new"), [(6956, 5896), (6957, 5897), (6958, 5898), (6959, 5899)])
def test_deprecated_epsg_refused_with_replacement(old: int, new: int) -> None:
    for spec in (f"EPSG:{old}", f"urn:ogc:def:crs:EPSG::{old}"):
        with pytest.raises(InvalidInput) as caught:
            resolve_crs(spec)
        err = caught.value
        assert f"EPSG:{new}" in err.vi and f"EPSG:{new}" in err.en
        assert "hủy bỏ" in err.vi and "deprecated" in err.en


@pytest.mark.parametrize(
    "spec",
    ["foo", "4326", "EPSG:", "EPSG:99999", "vn2000-tm4:48", "vn2000-tm3:", "vn2000-tm3:xyz", ""],
)
def test_unknown_specs_refused_in_both_languages(spec: str) -> None:
    with pytest.raises(InvalidInput) as caught:
        resolve_crs(spec)
    err = caught.value
    assert err.vi != err.en
    assert re.search(r"\b(hệ tọa độ|Hãy|hãy)\b", err.vi)
    assert re.search(r"\b(Accepted forms|Use|Check|write)\b", err.en)


def test_unknown_spec_lists_accepted_forms() -> None:
    with pytest.raises(InvalidInput) as caught:
        resolve_crs("UTM48")
    for text in (caught.value.vi, caught.value.en):
        for form in ("EPSG:", "OGC:CRS84", "vn2000-utm48", "vn2000-tm3:", "@2025"):
            assert form in text
    with pytest.raises(InvalidInput) as bare:
        resolve_crs("4326")
    assert "'EPSG:4326'" in bare.value.vi and "'EPSG:4326'" in bare.value.en


def test_degree_minute_slip_gets_a_hint() -> None:
    with pytest.raises(InvalidInput) as caught:
        resolve_crs("vn2000-tm3:105.45")
    assert "105.75" in caught.value.vi and "105.75" in caught.value.en
    with pytest.raises(InvalidInput):
        resolve_crs("vn2000-tm3:107°75'")
    with pytest.raises(InvalidInput) as qualifier:
        resolve_crs("vn2000-tm3:12@2020")
    assert "@2001" in qualifier.value.vi and "@2025" in qualifier.value.en


# --------------------------------------------------------------------------- small helpers


def test_is_geographic_wgs84() -> None:
    assert is_geographic_wgs84(WGS84)
    assert is_geographic_wgs84(resolve_crs("OGC:CRS84"))
    assert is_geographic_wgs84(pyproj.CRS.from_epsg(4979))
    assert not is_geographic_wgs84(pyproj.CRS.from_epsg(4756))
    assert not is_geographic_wgs84(pyproj.CRS.from_epsg(3857))
    assert not is_geographic_wgs84(pyproj.CRS.from_epsg(9210))
    assert not is_geographic_wgs84(pyproj.CRS("+proj=longlat +ellps=WGS84 +towgs84=1,2,3"))


def test_vietnam_extent_covers_mainland_and_islands() -> None:
    west, south, east, north = vietnam_extent()
    # Bounding box of the 34 provinces in shared/data/vn-admin-2025 (islands included).
    assert west < 102.1415 and south < 7.1838 and east > 117.8280 and north > 23.3933
    for lon, lat in [(112.7361, 16.5), (117.8, 10.0), (106.6, 8.68), (105.32, 23.39)]:
        assert west <= lon <= east and south <= lat <= north
    assert not (west <= 100.5 <= east)  # Thailand stays outside
    assert not (south <= 25.0 <= north)  # so does Yunnan


def test_looks_projected() -> None:
    assert not looks_projected([105.85, 106.7], [21.03, 10.77])
    assert looks_projected([588591.944], [2326345.312])
    assert looks_projected(np.array([105.0, 200.0]), np.array([21.0, 21.0]))
    assert looks_projected([105.0], [95.0])
    assert not looks_projected([], [])
    assert not looks_projected([float("nan"), 105.0], [21.0, float("inf")])


def test_inconsistent_data_file_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = _raw()
    raw["provinces_2025"][0]["central_meridian"] = 105.75  # Hà Nội, EPSG left at 5897
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "vn2000_provinces.json").write_text(json.dumps(raw), encoding="utf-8")
    monkeypatch.setattr(importlib.resources, "files", lambda package: tmp_path)
    gcrs._tables.cache_clear()
    try:
        with pytest.raises(ConfigError) as caught:
            provinces("2025")
        assert "Hà Nội" in caught.value.vi and "EPSG:5897" in caught.value.en
    finally:
        monkeypatch.undo()
        gcrs._tables.cache_clear()
    assert len(provinces("2025")) == 34
