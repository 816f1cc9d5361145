"""Viet Nam's extent and the test for coordinates that cannot be longitude/latitude.

:data:`VIETNAM_EXTENT` is the one box every check of "is this in Viet Nam?" uses: the
importer flags features outside it and the planning lookup refuses points outside it.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

__all__ = ["VIETNAM_EXTENT", "in_vietnam", "looks_projected", "vietnam_extent"]

#: Lon/lat box (west, south, east, north) around Viet Nam in WGS 84 degrees: the mainland,
#: Hoàng Sa (east to ~112.7°E) and Trường Sa (east to ~117.8°E, south to ~7.2°N), up to
#: Lũng Cú (~23.4°N), with ~0.5° of margin so boundary data is not flagged.
VIETNAM_EXTENT: tuple[float, float, float, float] = (101.5, 6.5, 118.5, 24.0)


def vietnam_extent() -> tuple[float, float, float, float]:
    """Generous lon/lat box (west, south, east, north) around Vietnam, islands included.

    Covers the mainland, Hoàng Sa and Trường Sa; coordinates outside it are almost surely in
    the wrong CRS or have swapped axes.
    """
    return VIETNAM_EXTENT


def in_vietnam(lon: float, lat: float) -> bool:
    """True if the WGS 84 point (``lon``, ``lat``) lies in :data:`VIETNAM_EXTENT` (edges
    included); False for NaN or infinite values."""
    west, south, east, north = VIETNAM_EXTENT
    return west <= lon <= east and south <= lat <= north


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
