"""Coordinate reference systems: CRS specs, VN-2000 TM-3 by province, safe transformers.

Everything Dothi stores carries a CRS *spec* string (``"EPSG:9210"``, ``"OGC:CRS84"``) made by
:func:`crs_to_spec`; users may also write Vietnamese shorthands such as
``vn2000-tm3:da-nang`` or ``vn2000-tm3:107°45'`` (hệ tọa độ VN-2000, múi chiếu 3°), which
:func:`resolve_crs` turns into a :class:`pyproj.CRS`.

VN-2000 ↔ WGS 84 always goes through the national transformation EPSG:6960 (Decision
05/2007/QĐ-BTNMT); see :func:`transformer` for why PROJ's own choice cannot be trusted here.
The province → central meridian tables live in ``data/vn2000_provinces.json`` because some
values are still unconfirmed and must be correctable without a code change.
"""

from __future__ import annotations

import difflib
import functools
import json
import math
import re
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal, cast

import numpy as np
import pyproj
from numpy.typing import ArrayLike
from pyproj.exceptions import CRSError, ProjError
from pyproj.transformer import TransformerGroup

from dothi.errors import ConfigError, DothiError, InvalidInput

__all__ = [
    "Edition",
    "ProvinceTM3",
    "WrongDatumTransformation",
    "check_vn2000_operation",
    "crs_to_spec",
    "is_geographic_wgs84",
    "is_vn2000",
    "looks_projected",
    "province_candidates",
    "provinces",
    "resolve_crs",
    "tm3_epsg",
    "transformer",
    "vietnam_extent",
]

Edition = Literal["2001", "2025"]
EDITIONS: tuple[Edition, ...] = ("2001", "2025")

_EDITION_VI = {
    "2001": "danh sách 63 tỉnh trước 01/7/2025 (Thông tư 973/2001/TT-TCĐC)",
    "2025": "danh sách 34 tỉnh từ 01/7/2025 (Thông tư 24/2025/TT-BNNMT)",
}
_EDITION_EN = {
    "2001": "63-province list before 1 July 2025 (Circular 973/2001/TT-TCĐC)",
    "2025": "34-province list from 1 July 2025 (Circular 24/2025/TT-BNNMT)",
}

# EPSG:6960 "VN-2000 to WGS 84 (2)" as published in Decision 05/2007/QĐ-BTNMT, coordinate-frame
# convention: tx, ty, tz (m), rx, ry, rz (arc-seconds), scale (ppm). Kept in code, not in the
# JSON, on purpose: this is the independent reference the check compares PROJ's pipeline with,
# so a damaged proj.db cannot vouch for itself.
_EPSG_6960_CF = (
    -191.90441429,
    -39.30318279,
    -111.45032835,
    -0.00928836,
    0.01975479,
    -0.00427372,
    0.252906278,
)
# A Helmert whose translation lies this close to 6960's is some VN-2000 ↔ WGS 84 shift (5194,
# a wrong-sign +towgs84, a rounded copy...). All VN-2000 shifts in circulation are within a
# few metres of each other; other datums' are far off (Hà Nội 1972 ↔ WGS 84: ~190 m away).
_VN2000_TRANSLATION_RADIUS_M = 25.0

_VN2000_DATUM = "vietnam 2000"
_WGS84_DATUM_PREFIX = "world geodetic system 1984"

# Mainland, Hoàng Sa (east to ~112.7°E) and Trường Sa (east to ~117.8°E, south to ~7.2°N), up
# to Lũng Cú (~23.4°N), with ~0.5° of margin so boundary data is not flagged.
_VIETNAM_EXTENT = (101.5, 6.5, 118.5, 24.0)

_ACCEPTED_FORMS_VI = (
    "EPSG:<mã> (ví dụ EPSG:4326, EPSG:9210), urn:ogc:def:crs:EPSG::<mã>, "
    "http://www.opengis.net/def/crs/EPSG/0/<mã>, CRS84 hoặc OGC:CRS84, "
    "vn2000 (VN-2000 tọa độ địa lý, EPSG:4756), vn2000-utm48, vn2000-utm49, "
    "vn2000-tm3:<mã tỉnh | tên tỉnh | slug | kinh tuyến trục như 107.75 hoặc 107°45'>"
    "[@2001|@2025]"
)
_ACCEPTED_FORMS_EN = (
    "EPSG:<code> (e.g. EPSG:4326, EPSG:9210), urn:ogc:def:crs:EPSG::<code>, "
    "http://www.opengis.net/def/crs/EPSG/0/<code>, CRS84 or OGC:CRS84, "
    "vn2000 (VN-2000 geographic, EPSG:4756), vn2000-utm48, vn2000-utm49, "
    "vn2000-tm3:<province code | province name | slug | central meridian such as 107.75 or "
    "107°45'>[@2001|@2025]"
)


class WrongDatumTransformation(DothiError):
    """A VN-2000 ↔ WGS 84 transformation that is not the national EPSG:6960 one.

    This is never the user's fault: it means PROJ's database or the code chose another
    operation, which would misplace features by 0.5–1 m (or ~224 m with no shift at all).
    """

    status = 500
    code = "WrongDatumTransformation"


@dataclass(frozen=True)
class ProvinceTM3:
    """One province's VN-2000 TM-3 zone in one edition of the province list."""

    edition: Edition
    code: str
    name: str
    slug: str
    central_meridian: float
    epsg: int
    certainty: Literal["verified", "uncertain"]
    aliases: tuple[str, ...] = ()
    note: str | None = None

    @property
    def spec(self) -> str:
        """The unambiguous spec for this entry, e.g. ``"vn2000-tm3:lai-chau@2001"``."""
        return f"vn2000-tm3:{self.slug}@{self.edition}"


@dataclass(frozen=True)
class _Tables:
    provinces: dict[Edition, tuple[ProvinceTM3, ...]]
    tm3_epsg: dict[float, int]
    deprecated_epsg: dict[int, int]


# --------------------------------------------------------------------------- data loading


@functools.cache
def _tables() -> _Tables:
    # Loaded on first use, not at import, so importing dothi.geo stays cheap and a broken
    # data file surfaces as a clear ConfigError where it is needed.
    text = (
        resources.files("dothi.geo")
        .joinpath("data", "vn2000_provinces.json")
        .read_text(encoding="utf-8")
    )
    raw: dict[str, Any] = json.loads(text)
    tm3 = {float(k): int(v) for k, v in raw["tm3_epsg"].items()}
    deprecated = {int(k): int(v) for k, v in raw["deprecated_epsg"].items()}
    tables: dict[Edition, tuple[ProvinceTM3, ...]] = {}
    for edition in EDITIONS:
        entries = []
        for item in raw[f"provinces_{edition}"]:
            entry = ProvinceTM3(
                edition=edition,
                code=str(item["code"]),
                name=unicodedata.normalize("NFC", item["name"]),
                slug=str(item["slug"]),
                central_meridian=float(item["central_meridian"]),
                epsg=int(item["epsg"]),
                certainty=item["certainty"],
                aliases=tuple(unicodedata.normalize("NFC", a) for a in item.get("aliases", ())),
                note=item.get("note"),
            )
            # The file is meant to be corrected by hand; a meridian edited without its EPSG
            # code (or vice versa) would silently project into the wrong zone.
            if _lookup_meridian(tm3, entry.central_meridian) != entry.epsg:
                raise ConfigError(
                    f"Tệp vn2000_provinces.json không nhất quán: {entry.name} ({edition}) có "
                    f"kinh tuyến trục {entry.central_meridian} nhưng EPSG:{entry.epsg}. Hãy sửa "
                    "cho khớp với bảng tm3_epsg.",
                    f"vn2000_provinces.json is inconsistent: {entry.name} ({edition}) has central "
                    f"meridian {entry.central_meridian} but EPSG:{entry.epsg}. Make it match the "
                    "tm3_epsg table.",
                )
            if entry.certainty not in ("verified", "uncertain"):
                raise ConfigError(
                    f"Tệp vn2000_provinces.json: certainty của {entry.name} phải là 'verified' "
                    "hoặc 'uncertain'.",
                    f"vn2000_provinces.json: the certainty of {entry.name} must be 'verified' "
                    "or 'uncertain'.",
                )
            entries.append(entry)
        tables[edition] = tuple(entries)
    return _Tables(provinces=tables, tm3_epsg=tm3, deprecated_epsg=deprecated)


def _lookup_meridian(table: dict[float, int], meridian: float) -> int | None:
    for value, code in table.items():
        if math.isclose(value, meridian, abs_tol=1e-9):
            return code
    return None


def provinces(edition: Edition) -> tuple[ProvinceTM3, ...]:
    """All provinces of one edition: ``"2001"`` (63 provinces) or ``"2025"`` (34 provinces)."""
    return _tables().provinces[edition]


def tm3_epsg(meridian: float) -> int:
    """EPSG code of the VN-2000 TM-3 CRS with this central meridian in decimal degrees.

    ``105.75`` means 105°45′ (proj.db itself writes it as 105.45, degree.minute).
    """
    code = _lookup_meridian(_tables().tm3_epsg, meridian)
    if code is None:
        raise _unknown_meridian(meridian)
    return code


# --------------------------------------------------------------------------- formatting


def _dm(meridian: float) -> str:
    degrees = int(meridian)
    minutes = round((meridian - degrees) * 60)
    return f"{degrees}°{minutes:02d}′"


def _slug(text: str) -> str:
    # Diacritics, case, "Thành phố"/"Tỉnh"/"TP" prefixes and punctuation are all ways the
    # same province is written in the field; fold them so only the name itself matters.
    folded = unicodedata.normalize("NFC", text).strip().lower().replace("đ", "d")
    folded = "".join(
        c for c in unicodedata.normalize("NFD", folded) if unicodedata.category(c) != "Mn"
    )
    slug = re.sub(r"[^a-z0-9]+", "-", folded).strip("-")
    for prefix in ("thanh-pho-", "tinh-", "tp-"):
        if slug.startswith(prefix):
            slug = slug[len(prefix) :]
            break
    return slug


# --------------------------------------------------------------------------- resolve_crs

_CRS84_RE = re.compile(
    r"^(?:(?:ogc:)?crs84"
    r"|urn:ogc:def:crs:ogc:(?:1\.3)?:crs84"
    r"|https?://www\.opengis\.net/def/crs/ogc/(?:1\.3|0)/crs84)$"
)
_EPSG_RES = (
    re.compile(r"^epsg:(\d+)$"),
    re.compile(r"^urn:ogc:def:crs:epsg:[0-9.]*:(\d+)$"),
    re.compile(r"^https?://www\.opengis\.net/def/crs/epsg/[0-9.]+/(\d+)$"),
)
_FIXED_SPECS = {"vn2000": 4756, "vn2000-utm48": 3405, "vn2000-utm49": 3406}
_TM3_PREFIX = "vn2000-tm3:"
_QUALIFIER_RE = re.compile(r"^(.*?)\s*@\s*([^@]*)$")
_CODE_RE = re.compile(r"^\d{1,2}$")
_DECIMAL_RE = re.compile(r"^\d{3}(?:\.\d+)?$")
_DEG_MIN_RE = re.compile(r"^(\d{3})\s*(?:°|º|d|deg)\s*(?:(\d{1,2}(?:\.\d+)?)\s*(?:'|′|’|m|min)?)?$")
_DEG_DASH_MIN_RE = re.compile(r"^(\d{3})-(\d{2})$")


def resolve_crs(spec: str) -> pyproj.CRS:
    """Turn a CRS spec written by a user or stored by Dothi into a :class:`pyproj.CRS`.

    Accepted forms: ``EPSG:n`` (any case), ``urn:ogc:def:crs:EPSG::n``,
    ``http://www.opengis.net/def/crs/EPSG/0/n``, ``CRS84``/``OGC:CRS84``/the OGC CRS84 URN or
    URI, ``vn2000`` (EPSG:4756), ``vn2000-utm48``, ``vn2000-utm49`` and
    ``vn2000-tm3:<province>`` where ``<province>`` is a GSO code, a name with or without
    diacritics, a slug or a central meridian (``107.75``, ``107°45'``), optionally followed by
    ``@2001`` or ``@2025`` to choose the province list.

    Raises :class:`~dothi.errors.InvalidInput` for unknown or deprecated codes and for
    provinces whose meridian depends on the list (the message names the exact spec to use).

    >>> resolve_crs("vn2000-tm3:da-nang").to_epsg()
    5899
    """
    if not isinstance(spec, str) or not spec.strip():
        raise InvalidInput(
            "Thiếu hệ tọa độ. Các dạng được chấp nhận: " + _ACCEPTED_FORMS_VI + ".",
            "No coordinate reference system given. Accepted forms: " + _ACCEPTED_FORMS_EN + ".",
        )
    text = unicodedata.normalize("NFC", spec.strip())
    low = text.lower()
    if _CRS84_RE.match(low):
        return pyproj.CRS.from_user_input("OGC:CRS84")
    for pattern in _EPSG_RES:
        match = pattern.match(low)
        if match:
            return _from_epsg(int(match.group(1)))
    if low in _FIXED_SPECS:
        return pyproj.CRS.from_epsg(_FIXED_SPECS[low])
    if low.startswith(_TM3_PREFIX):
        return pyproj.CRS.from_epsg(_tm3_code(text[len(_TM3_PREFIX) :].strip(), text))
    raise _unknown_spec(text)


def _unknown_spec(text: str) -> InvalidInput:
    hint_vi = hint_en = ""
    if text.isdigit():
        # A bare number is the commonest slip; say what it would have to be written as.
        hint_vi = f" Nếu đây là mã EPSG, hãy viết 'EPSG:{text}'."
        hint_en = f" If this is an EPSG code, write 'EPSG:{text}'."
    elif text.lower().startswith(("vn2000", "vn-2000", "vn 2000")):
        hint_vi = " Với múi chiếu 3° theo tỉnh, hãy viết ví dụ 'vn2000-tm3:da-nang'."
        hint_en = " For a provincial 3° zone write e.g. 'vn2000-tm3:da-nang'."
    return InvalidInput(
        f"Không nhận ra hệ tọa độ '{text}'.{hint_vi} Các dạng được chấp nhận: "
        f"{_ACCEPTED_FORMS_VI}.",
        f"Unknown coordinate reference system '{text}'.{hint_en} Accepted forms: "
        f"{_ACCEPTED_FORMS_EN}.",
    )


def _deprecated_error(code: int, replacement: int | None) -> InvalidInput:
    if replacement is not None:
        return InvalidInput(
            f"EPSG:{code} đã bị EPSG hủy bỏ (định nghĩa cũ đảo lẫn false easting và false "
            f"northing); hãy dùng EPSG:{replacement} thay thế. Nếu dữ liệu thật sự được tạo "
            f"bằng định nghĩa cũ, hãy kiểm tra lại tọa độ trước khi nhập.",
            f"EPSG:{code} is deprecated (its definition swapped false easting and false "
            f"northing); use EPSG:{replacement} instead. If the data really was produced with "
            f"the old definition, check its coordinates before importing.",
        )
    return InvalidInput(
        f"EPSG:{code} đã bị EPSG hủy bỏ; hãy dùng mã thay thế được ghi trong sổ đăng ký EPSG "
        f"(epsg.org) cho EPSG:{code}.",
        f"EPSG:{code} is deprecated; use the replacement code that the EPSG registry "
        f"(epsg.org) gives for EPSG:{code}.",
    )


def _from_epsg(code: int) -> pyproj.CRS:
    replacement = _tables().deprecated_epsg.get(code)
    if replacement is not None:
        raise _deprecated_error(code, replacement)
    try:
        crs = pyproj.CRS.from_epsg(code)
    except CRSError:
        raise InvalidInput(
            f"Không có hệ tọa độ EPSG:{code} trong cơ sở dữ liệu PROJ. Hãy kiểm tra lại mã "
            "(ví dụ EPSG:4326 cho WGS 84, EPSG:9210 cho VN-2000 TM-3 105°45′).",
            f"EPSG:{code} is not a coordinate reference system in PROJ's database. Check the "
            "code (e.g. EPSG:4326 for WGS 84, EPSG:9210 for VN-2000 TM-3 105°45′).",
        ) from None
    if crs.is_deprecated:
        raise _deprecated_error(code, None)
    return crs


def _parse_meridian(key: str) -> float | None:
    """Decimal degrees for ``107.75``/``107°45'``/``107-45``; None if ``key`` is no meridian."""
    key = key.strip().lower()
    if _DECIMAL_RE.match(key):
        return float(key)
    match = _DEG_MIN_RE.match(key) or _DEG_DASH_MIN_RE.match(key)
    if match:
        minutes = float(match.group(2) or 0)
        if minutes >= 60:
            return math.nan
        return int(match.group(1)) + minutes / 60
    return None


def _unknown_meridian(meridian: float) -> InvalidInput:
    known = sorted(_tables().tm3_epsg)
    listing = ", ".join(f"{_dm(m)} ({m:g})" for m in known)
    hint_vi = hint_en = ""
    if not math.isnan(meridian):
        # proj.db and some GIS dialogs write 105°45′ as 105.45 (degree.minute).
        degrees = int(meridian)
        as_minutes = degrees + round((meridian - degrees) * 100, 6) / 60
        if _lookup_meridian(_tables().tm3_epsg, as_minutes) is not None:
            hint_vi = (
                f" Nếu ý bạn là {_dm(as_minutes)} (cách viết độ.phút của proj.db), hãy viết "
                f"'{as_minutes:g}' hoặc '{_dm(as_minutes)}'."
            )
            hint_en = (
                f" If you meant {_dm(as_minutes)} (proj.db's degree.minute notation), write "
                f"'{as_minutes:g}' or '{_dm(as_minutes)}'."
            )
    shown = "?" if math.isnan(meridian) else f"{meridian:g}"
    return InvalidInput(
        f"Không có múi chiếu VN-2000 TM-3 với kinh tuyến trục {shown}.{hint_vi} Các kinh tuyến "
        f"trục có mã EPSG: {listing}.",
        f"There is no VN-2000 TM-3 zone with central meridian {shown}.{hint_en} Central "
        f"meridians with an EPSG code: {listing}.",
    )


def province_candidates(key: str, edition: Edition | None = None) -> tuple[ProvinceTM3, ...]:
    """Provinces a key names: a GSO code (``"48"``), a name (``"Đà Nẵng"``, ``"Da Nang"``),
    a slug (``"da-nang"``) or an alias, in one edition or in both (2001 entries first)."""
    editions = EDITIONS if edition is None else (edition,)
    key = key.strip()
    if _CODE_RE.match(key):
        code = key.zfill(2)
        return tuple(p for e in editions for p in provinces(e) if p.code == code)
    # Hyphens are dropped too, so "danang" and "Bà Rịa-Vũng Tàu" find their province.
    wanted = _slug(key).replace("-", "")
    if not wanted:
        return ()
    return tuple(p for e in editions for p in provinces(e) if wanted in _names(p))


def _tm3_code(key: str, spec: str) -> int:
    edition: Edition | None = None
    qualified = _QUALIFIER_RE.match(key)
    if qualified:
        key, qualifier = qualified.group(1).strip(), qualified.group(2).strip()
        if qualifier not in EDITIONS:
            raise InvalidInput(
                f"Hậu tố '@{qualifier}' trong '{spec}' không hợp lệ: dùng @2001 cho "
                f"{_EDITION_VI['2001']} hoặc @2025 cho {_EDITION_VI['2025']}.",
                f"The suffix '@{qualifier}' in '{spec}' is not valid: use @2001 for the "
                f"{_EDITION_EN['2001']} or @2025 for the {_EDITION_EN['2025']}.",
            )
        edition = cast(Edition, qualifier)
    if not key:
        raise _unknown_spec(spec)

    meridian = _parse_meridian(key)
    if meridian is not None:
        # A meridian names the zone directly; the list edition does not matter.
        code = _lookup_meridian(_tables().tm3_epsg, meridian)
        if code is None:
            raise _unknown_meridian(meridian)
        return code

    candidates = province_candidates(key, edition)
    if not candidates:
        raise _unknown_province(key, spec, edition)
    meridians = {p.central_meridian for p in candidates}
    by_code = bool(_CODE_RE.match(key))
    same_province = all(_same_province(candidates[0], p) for p in candidates[1:])
    uncertain_mix = len(candidates) > 1 and any(p.certainty == "uncertain" for p in candidates)
    # Accept only what means the same zone in both lists. A code that names two different
    # provinces (44: Quảng Bình, then Quảng Trị) is refused even if the meridians happen to
    # agree, as is an agreement that rests on an unconfirmed 2025 meridian: correcting the
    # data would otherwise silently move every feature stored under that spec.
    if len(meridians) > 1 or (by_code and not same_province) or uncertain_mix:
        raise _ambiguous_province(key, candidates, by_code)
    return candidates[0].epsg


def _names(p: ProvinceTM3) -> set[str]:
    return {_slug(n).replace("-", "") for n in (p.slug, p.name, *p.aliases)}


def _same_province(a: ProvinceTM3, b: ProvinceTM3) -> bool:
    # Renamed but not merged away (Thừa Thiên Huế → Huế) counts as the same: the aliases say so.
    return bool(_names(a) & _names(b))


def _unknown_province(key: str, spec: str, edition: Edition | None) -> InvalidInput:
    editions = EDITIONS if edition is None else (edition,)
    slugs = sorted({p.slug for e in editions for p in provinces(e)})
    close = difflib.get_close_matches(_slug(key), slugs, n=3, cutoff=0.6)
    hint_vi = f" Có phải ý bạn là: {', '.join(close)}?" if close else ""
    hint_en = f" Did you mean: {', '.join(close)}?" if close else ""
    return InvalidInput(
        f"Không tìm thấy tỉnh/thành '{key}' trong '{spec}'.{hint_vi} Hãy dùng mã tỉnh GSO "
        "(ví dụ 48), tên có hoặc không dấu (Đà Nẵng, Da Nang), slug (da-nang) hoặc kinh tuyến "
        "trục (107.75 hoặc 107°45').",
        f"No province '{key}' in '{spec}'.{hint_en} Use a GSO province code (e.g. 48), a name "
        "with or without diacritics (Đà Nẵng, Da Nang), a slug (da-nang) or a central meridian "
        "(107.75 or 107°45').",
    )


def _ambiguous_province(
    key: str, candidates: tuple[ProvinceTM3, ...], by_code: bool
) -> InvalidInput:
    lines_vi, lines_en, specs = [], [], []
    for p in candidates:
        exact = f"vn2000-tm3:{p.code if by_code else p.slug}@{p.edition}"
        specs.append(exact)
        flag_vi = (
            " — chưa được xác nhận, nguồn không thống nhất" if p.certainty != "verified" else ""
        )
        flag_en = " — unconfirmed, sources disagree" if p.certainty != "verified" else ""
        lines_vi.append(
            f"{p.name}, mã {p.code}, theo {_EDITION_VI[p.edition]}: kinh tuyến trục "
            f"{_dm(p.central_meridian)}, EPSG:{p.epsg}{flag_vi} → '{exact}'"
        )
        lines_en.append(
            f"{p.name}, code {p.code}, in the {_EDITION_EN[p.edition]}: central meridian "
            f"{_dm(p.central_meridian)}, EPSG:{p.epsg}{flag_en} → '{exact}'"
        )
    return InvalidInput(
        f"'{key}' không xác định được một múi chiếu duy nhất: "
        + "; ".join(lines_vi)
        + f". Hãy ghi rõ một trong: {', '.join(specs)} (hoặc mã EPSG tương ứng). Dữ liệu địa "
        "chính lập trước 01/7/2025 giữ kinh tuyến trục cũ (@2001).",
        f"'{key}' does not name a single zone: "
        + "; ".join(lines_en)
        + f". Write one of: {', '.join(specs)} (or the EPSG code). Cadastral data made before "
        "1 July 2025 keeps its old meridian (@2001).",
    )


# --------------------------------------------------------------------------- crs_to_spec

_CRS84 = "OGC:CRS84"


def crs_to_spec(crs: pyproj.CRS) -> str:
    """The canonical spec to store for ``crs``: ``"EPSG:n"`` or ``"OGC:CRS84"``.

    The result round-trips: ``resolve_crs(crs_to_spec(c))`` equals ``c`` (axis order aside,
    which Dothi ignores because it always transforms with ``always_xy``). A CRS carrying a
    TOWGS84 datum shift is refused, as is one PROJ cannot match to an EPSG code.
    """
    if crs.is_bound:
        raise _bound_crs_error(crs)
    if crs.to_authority() == ("OGC", "CRS84"):
        return _CRS84
    try:
        matches = crs.list_authority(auth_name="EPSG", min_confidence=70)
    except CRSError:
        matches = []
    for match in matches:
        code = int(match.code)
        candidate = pyproj.CRS.from_epsg(code)
        # PROJ's confidence is a heuristic; only a CRS that is really the same may be stored
        # under the code, otherwise the stored spec would denote other coordinates.
        if not candidate.equals(crs, ignore_axis_order=True):
            continue
        if candidate.is_deprecated or code in _tables().deprecated_epsg:
            raise _deprecated_error(code, _tables().deprecated_epsg.get(code))
        return f"EPSG:{code}"
    raise InvalidInput(
        f"Không xác định được mã EPSG cho hệ tọa độ '{crs.name}'. Hãy cho biết hệ tọa độ bằng "
        "mã, ví dụ EPSG:9210 hoặc vn2000-tm3:<tỉnh>.",
        f"Cannot find an EPSG code for the coordinate reference system '{crs.name}'. Give the "
        "CRS as a code instead, e.g. EPSG:9210 or vn2000-tm3:<province>.",
    )


def _bound_crs_error(crs: pyproj.CRS) -> InvalidInput:
    return InvalidInput(
        f"Hệ tọa độ '{crs.name}' kèm tham số chuyển đổi TOWGS84/+towgs84. Tham số này hay bị "
        "chép sai dấu cho VN-2000 (sai 0,5–1 m), nên không được chấp nhận: hãy cho biết hệ "
        "tọa độ bằng mã EPSG hoặc vn2000-tm3:<tỉnh>; Dothi tự dùng phép chuyển đổi quốc gia "
        "EPSG:6960.",
        f"The coordinate reference system '{crs.name}' carries a TOWGS84/+towgs84 datum shift. "
        "For VN-2000 these are often copied with the wrong sign (0.5–1 m off), so they are not "
        "accepted: give the CRS as an EPSG code or vn2000-tm3:<province>; Dothi applies the "
        "national transformation EPSG:6960 itself.",
    )


# --------------------------------------------------------------------------- predicates


def _datum_name(crs: pyproj.CRS) -> str:
    geodetic = crs.geodetic_crs
    datum = geodetic.datum if geodetic is not None else None
    return "" if datum is None else datum.name.replace("_", " ").lower()


def is_vn2000(crs: pyproj.CRS) -> bool:
    """True if ``crs`` is based on the VN-2000 datum (geographic, UTM or TM-3)."""
    return _datum_name(crs) == _VN2000_DATUM


def is_geographic_wgs84(crs: pyproj.CRS) -> bool:
    """True if ``crs`` is longitude/latitude in degrees on WGS 84 (EPSG:4326, OGC:CRS84, …)."""
    if crs.is_bound or not crs.is_geographic:
        return False
    if not _datum_name(crs).startswith(_WGS84_DATUM_PREFIX):
        return False
    return all(axis.unit_name == "degree" for axis in crs.axis_info[:2])


def vietnam_extent() -> tuple[float, float, float, float]:
    """Generous lon/lat box (west, south, east, north) around Vietnam, islands included.

    Covers the mainland, Hoàng Sa and Trường Sa; coordinates outside it are almost surely in
    the wrong CRS or have swapped axes.
    """
    return _VIETNAM_EXTENT


def looks_projected(xs: ArrayLike, ys: ArrayLike) -> bool:
    """True if the values cannot be lon/lat degrees (some |x| > 180 or |y| > 90).

    NaN and infinite values are ignored. The importer uses this to refuse bare projected
    coordinates that arrive without a CRS rather than guess one.
    """
    x = np.asarray(xs, dtype=float).ravel()
    y = np.asarray(ys, dtype=float).ravel()
    x = x[np.isfinite(x)]
    y = y[np.isfinite(y)]
    return bool((x.size and np.abs(x).max() > 180.0) or (y.size and np.abs(y).max() > 90.0))


# --------------------------------------------------------------------------- transformations


@dataclass(frozen=True)
class _Helmert:
    params: tuple[float, ...]  # tx, ty, tz, rx, ry, rz (coordinate frame), scale
    inverse: bool


def _helmert_steps(definition: str) -> list[_Helmert]:
    steps = []
    for chunk in re.split(r"\+step\b", definition)[1:]:
        opts: dict[str, str] = {}
        for token in chunk.split():
            name, _, value = token.lstrip("+").partition("=")
            opts[name] = value
        if opts.get("proj") != "helmert":
            continue
        values = [float(opts.get(k) or 0.0) for k in ("x", "y", "z", "rx", "ry", "rz", "s")]
        if opts.get("convention") == "position_vector":
            # Position vector rotates the other way: normalise to coordinate frame so one
            # comparison covers both (this is the +towgs84 sign trap).
            values[3:6] = [-v for v in values[3:6]]
        steps.append(_Helmert(tuple(values), inverse="inv" in opts))
    return steps


def _is_6960(step: _Helmert) -> bool:
    return all(
        math.isclose(a, b, rel_tol=0, abs_tol=1e-9)
        for a, b in zip(step.params, _EPSG_6960_CF, strict=True)
    )


def _is_vn2000_like(step: _Helmert) -> bool:
    tx, ty, tz = step.params[:3]
    ref = _EPSG_6960_CF[:3]
    near = math.dist((tx, ty, tz), ref) < _VN2000_TRANSLATION_RADIUS_M
    near_negated = math.dist((-tx, -ty, -tz), ref) < _VN2000_TRANSLATION_RADIUS_M
    return near or near_negated


def _pipeline(t: pyproj.Transformer) -> str | None:
    try:
        return t.to_proj4()
    except ProjError:
        return None


def check_vn2000_operation(t: pyproj.Transformer) -> None:
    """Raise :class:`WrongDatumTransformation` unless ``t`` shifts VN-2000 with EPSG:6960.

    Checks the PROJ pipeline itself, not names: it must be a single operation (not a set
    PROJ picks from per point), contain exactly one VN-2000 Helmert step, with the
    parameters of Decision 05/2007/QĐ-BTNMT in either sign convention, applied in the right
    direction when the source or target CRS is known. This rejects EPSG:5194, a wrong-sign
    +towgs84 and a missing datum shift alike.
    """
    definition = _pipeline(t)
    if definition is None:
        raise WrongDatumTransformation(
            "Phép chuyển đổi không xác định một thao tác duy nhất: PROJ sẽ tự chọn theo từng "
            "điểm và có thể dùng EPSG:5194 (chỉ cho đồng bằng sông Cửu Long). Hãy tạo phép "
            "chuyển đổi bằng dothi.geo.crs.transformer().",
            "The transformer is not a single operation: PROJ would choose per point and may "
            "use EPSG:5194 (Mekong delta only). Build it with dothi.geo.crs.transformer().",
        )
    steps = [s for s in _helmert_steps(definition) if _is_vn2000_like(s)]
    good = [s for s in steps if _is_6960(s)]
    if len(steps) != 1 or len(good) != 1:
        found = "; ".join(
            ", ".join(f"{v:.10g}" for v in s.params) + (" (inv)" if s.inverse else "")
            for s in steps
        )
        found = found or "không có / none"
        raise WrongDatumTransformation(
            "Phép chuyển đổi VN-2000 ↔ WGS 84 không phải EPSG:6960 (Quyết định "
            f"05/2007/QĐ-BTNMT). Các bước Helmert VN-2000 tìm thấy: {found}. Kiểm tra proj.db "
            "và cách tạo phép chuyển đổi.",
            "The VN-2000 ↔ WGS 84 transformation is not EPSG:6960 (Decision "
            f"05/2007/QĐ-BTNMT). VN-2000 Helmert steps found: {found}. Check proj.db and how "
            "the transformer was built.",
        )
    source, target = t.source_crs, t.target_crs
    expected_inverse: bool | None = None
    if source is not None and is_vn2000(source):
        expected_inverse = False
    elif target is not None and is_vn2000(target):
        expected_inverse = True
    if expected_inverse is not None and good[0].inverse != expected_inverse:
        raise WrongDatumTransformation(
            "Bước EPSG:6960 bị áp dụng ngược chiều (sai khoảng 450 m). Kiểm tra cách tạo phép "
            "chuyển đổi.",
            "The EPSG:6960 step is applied in the wrong direction (about 450 m off). Check how "
            "the transformer was built.",
        )


def _no_vn2000_shift(t: pyproj.Transformer) -> bool:
    definition = _pipeline(t)
    return definition is not None and not any(
        _is_vn2000_like(s) for s in _helmert_steps(definition)
    )


def _build_transformer(src: pyproj.CRS, dst: pyproj.CRS) -> pyproj.Transformer:
    # How the operation is chosen, and why not Transformer.from_crs:
    # PROJ 9.5 knows two VN-2000 → WGS 84 transformations, EPSG:6960 (national, area "Vietnam
    # onshore") and EPSG:5194 (Total's, area "DBSCL 02 and 03": 9.35–11.04°N, 104.24–107.11°E,
    # which includes Hồ Chí Minh City). Both have accuracy 1 m, so from_crs returns a
    # transformer holding both and picks per point at transform time: inside that box it uses
    # 5194 (0.7–0.8 m off), elsewhere 6960. An area_of_interest would only move the heuristic.
    # So we list the candidates with TransformerGroup (PROJ's own order, ballpark ones last)
    # and take the first whose pipeline passes check_vn2000_operation: the EPSG:6960
    # Helmert, exactly once, in the right direction. If none does, we refuse rather than fall
    # back. Building the pipeline string by hand was rejected: it would duplicate PROJ's unit
    # and axis handling and lose the operation's metadata (names, ids, source/target CRS).
    vn_src, vn_dst = is_vn2000(src), is_vn2000(dst)
    if vn_src == vn_dst:
        chosen = pyproj.Transformer.from_crs(src, dst, always_xy=True)
        if vn_src and not _no_vn2000_shift(chosen):
            # Two VN-2000 CRSs share the datum; any datum shift here would be spurious.
            raise WrongDatumTransformation(
                "Phép chuyển đổi giữa hai hệ tọa độ VN-2000 lại chứa một phép dịch datum.",
                "A transformation between two VN-2000 CRSs contains a datum shift.",
            )
        return chosen
    for candidate in TransformerGroup(src, dst, always_xy=True).transformers:
        try:
            check_vn2000_operation(candidate)
        except WrongDatumTransformation:
            continue
        return candidate
    raise WrongDatumTransformation(
        f"PROJ không có phép chuyển đổi dựa trên EPSG:6960 từ '{src.name}' sang '{dst.name}'. "
        "Hãy cập nhật pyproj/proj.db (cần EPSG:6960 'VN-2000 to WGS 84 (2)').",
        f"PROJ offers no EPSG:6960-based transformation from '{src.name}' to '{dst.name}'. "
        "Update pyproj/proj.db (EPSG:6960 'VN-2000 to WGS 84 (2)' is required).",
    )


# TransformerGroup hands out transformers that share one PROJ object and are not thread-safe
# (unlike Transformer.from_crs), so the cache is per thread. Do not persist a transformer as
# PROJJSON either: PROJ 9.5 drops the inverse flag of the Helmert step on the way back
# (≈ 400 m error); its PROJ string round-trips exactly.
_local = threading.local()


def _thread_cache() -> Callable[[pyproj.CRS, pyproj.CRS], pyproj.Transformer]:
    cached: Callable[[pyproj.CRS, pyproj.CRS], pyproj.Transformer] | None = getattr(
        _local, "build", None
    )
    if cached is None:
        cached = functools.lru_cache(maxsize=128)(_build_transformer)
        _local.build = cached
    return cached


def transformer(src: pyproj.CRS, dst: pyproj.CRS) -> pyproj.Transformer:
    """An ``always_xy`` transformer from ``src`` to ``dst``, cached per thread.

    Whenever exactly one side is VN-2000-based the operation is the national EPSG:6960
    (never EPSG:5194, never a null shift, never a wrong-sign +towgs84), chosen the same way
    for every point. CRSs carrying their own TOWGS84 are refused. The returned object belongs
    to the calling thread: call this function again in another thread (it is cheap, cached).
    """
    for crs in (src, dst):
        if crs.is_bound:
            raise _bound_crs_error(crs)
    return _thread_cache()(src, dst)
