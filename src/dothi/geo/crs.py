"""Naming coordinate reference systems: CRS specs and VN-2000 TM-3 zones by province.

Everything Dothi stores carries a CRS *spec* string (``"EPSG:9210"``, ``"OGC:CRS84"``) made by
:func:`crs_to_spec`; users may also write Vietnamese shorthands such as
``vn2000-tm3:da-nang`` or ``vn2000-tm3:107°45'`` (hệ tọa độ VN-2000, múi chiếu 3°), which
:func:`resolve_crs` turns into a :class:`pyproj.CRS`.

The province → central meridian tables live in ``data/vn2000_provinces.json`` because some
values are still unconfirmed and must be correctable without a code change. Moving
coordinates between CRSs (EPSG:6960 for VN-2000) is :mod:`dothi.geo.transform`'s job, Viet
Nam's extent :mod:`dothi.geo.extent`'s.
"""

from __future__ import annotations

import difflib
import functools
import json
import math
import re
import unicodedata
from dataclasses import dataclass
from importlib import resources
from typing import Any, Literal, cast

import pyproj
from pyproj.exceptions import CRSError

from dothi.errors import ConfigError, InvalidInput

__all__ = [
    "Edition",
    "ProvinceTM3",
    "check_not_bound",
    "crs_to_spec",
    "is_geographic_wgs84",
    "is_vn2000",
    "province_candidates",
    "provinces",
    "resolve_crs",
    "tm3_epsg",
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

_VN2000_DATUM = "vietnam 2000"
_WGS84_DATUM_PREFIX = "world geodetic system 1984"

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
    check_not_bound(crs)
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


def check_not_bound(crs: pyproj.CRS) -> None:
    """Refuse a CRS that carries its own datum shift (TOWGS84/+towgs84, a "bound" CRS).

    Such shifts are often copied with the wrong sign for VN-2000, so Dothi never uses them.
    """
    if not crs.is_bound:
        return
    raise InvalidInput(
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
