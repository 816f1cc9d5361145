"""Moving coordinates between CRSs, and the guarantee that VN-2000 moves use EPSG:6960.

:func:`transformer` builds (and caches per thread) the ``always_xy`` transformer between two
CRSs; :func:`move`, :func:`move_xy` and :func:`mover` are the one way Dothi moves shapely
geometries and coordinates with it (:func:`move_with` with a transformer made elsewhere, such
as a local metric projection).

VN-2000 ↔ WGS 84 always goes through the national transformation EPSG:6960 (Decision
05/2007/QĐ-BTNMT); see :func:`transformer` for why PROJ's own choice cannot be trusted here,
and :func:`check_vn2000_operation` for how a transformer is checked.
"""

from __future__ import annotations

import functools
import math
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar, overload

import numpy as np
import numpy.typing as npt
import pyproj
import shapely
from pyproj.exceptions import ProjError
from pyproj.transformer import TransformerGroup

from dothi.errors import DothiError
from dothi.geo.crs import check_not_bound, is_vn2000

__all__ = [
    "Mover",
    "WrongDatumTransformation",
    "check_vn2000_operation",
    "move",
    "move_with",
    "move_xy",
    "mover",
    "transformer",
]

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


class WrongDatumTransformation(DothiError):
    """A VN-2000 ↔ WGS 84 transformation that is not the national EPSG:6960 one.

    This is never the user's fault: it means PROJ's database or the code chose another
    operation, which would misplace features by 0.5–1 m (or ~224 m with no shift at all).
    """

    status = 500
    code = "WrongDatumTransformation"


# --------------------------------------------------------------------------- checking


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
            "chuyển đổi bằng dothi.geo.transform.transformer().",
            "The transformer is not a single operation: PROJ would choose per point and may "
            "use EPSG:5194 (Mekong delta only). Build it with dothi.geo.transform.transformer().",
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


# --------------------------------------------------------------------------- transformers


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
        check_not_bound(crs)
    return _thread_cache()(src, dst)


# --------------------------------------------------------------------------- moving

#: What :func:`shapely.transform` calls: an (n, 2) array of x, y in, the moved one out.
Mover = Callable[[npt.NDArray[np.float64]], npt.NDArray[np.float64]]

_G = TypeVar("_G")


def _coordinates(t: pyproj.Transformer) -> Mover:
    def run(xy: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
        x, y = t.transform(xy[:, 0], xy[:, 1])
        return np.column_stack((x, y))

    return run


def mover(src: pyproj.CRS, dst: pyproj.CRS) -> Mover:
    """The coordinate function of :func:`transformer` (``src`` → ``dst``, x first), for
    :func:`shapely.transform` or for moving many batches with one transformer."""
    return _coordinates(transformer(src, dst))


def move(geoms: _G, src: pyproj.CRS, dst: pyproj.CRS) -> _G:
    """``geoms`` (one shapely geometry or an array of them) moved from ``src`` to ``dst``.

    Coordinates are x first in both CRSs (longitude, easting), whatever axis order the CRS
    defines; the result is 2D, as with :func:`shapely.transform`'s default.
    """
    return move_with(geoms, transformer(src, dst))


def move_with(geoms: _G, t: pyproj.Transformer) -> _G:
    """``geoms`` (one shapely geometry or an array of them) moved by the transformer ``t``
    (one made with ``always_xy``), e.g. one from :func:`dothi.geo.metric.local_metric`."""
    out: _G = shapely.transform(geoms, _coordinates(t))
    return out


@overload
def move_xy(x: float, y: float, src: pyproj.CRS, dst: pyproj.CRS) -> tuple[float, float]: ...


@overload
def move_xy(
    x: npt.NDArray[np.float64], y: npt.NDArray[np.float64], src: pyproj.CRS, dst: pyproj.CRS
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...


def move_xy(x: Any, y: Any, src: pyproj.CRS, dst: pyproj.CRS) -> tuple[Any, Any]:
    """Coordinates ``x``, ``y`` (numbers or arrays, x first) moved from ``src`` to ``dst``."""
    moved_x, moved_y = transformer(src, dst).transform(x, y)
    return moved_x, moved_y
