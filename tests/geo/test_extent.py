"""Viet Nam's extent is one box: what the import takes as inside, the planning lookup does too.

Đảo An Bang (Trường Sa) lies south of the box the planning lookup used to have of its own; a
point imported there must be one the lookup answers for. A point east of Trường Sa is
outside for both: the import keeps the row and flags it (it never drops data), the lookup
refuses it, and both say "outside Viet Nam".
"""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from samples import write_geojson
from shapely.geometry import Point

from dothi.auth.policy import ANONYMOUS
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.errors import InvalidInput
from dothi.geo.extent import VIETNAM_EXTENT, in_vietnam, vietnam_extent
from dothi.planning.lookup import lookup_point
from dothi.spatial.importer import ImportOptions, ImportReport, import_file

AN_BANG = (112.92, 7.87)  # Đảo An Bang, Trường Sa
EAST_OF_TRUONG_SA = (119.0, 7.87)
OUTSIDE_VI = "ngoài lãnh thổ Việt Nam"


def _import_point(
    db: Database, settings: Settings, path: Path, lon: float, lat: float
) -> ImportReport:
    rows = [{"ma": "D1", "ten": "Điểm thử", "geometry": Point(lon, lat)}]
    return import_file(
        db,
        settings,
        write_geojson(path, rows),
        ImportOptions("dao", key="ma", new_layer=True, access="public"),
    )


def test_in_vietnam_is_the_extent() -> None:
    west, south, east, north = VIETNAM_EXTENT
    assert vietnam_extent() == VIETNAM_EXTENT
    assert in_vietnam(*AN_BANG) and not in_vietnam(*EAST_OF_TRUONG_SA)
    assert in_vietnam(west, south) and in_vietnam(east, north)  # edges are inside
    assert not in_vietnam(west - 0.01, 15.0) and not in_vietnam(110.0, north + 0.01)
    assert not in_vietnam(math.nan, 10.0) and not in_vietnam(106.0, math.inf)


def test_a_point_on_an_bang_is_imported_and_looked_up(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    report = _import_point(db, settings, tmp_path / "an_bang.geojson", *AN_BANG)
    assert (report.inserted, report.rejected, report.flagged) == (1, 0, 0)
    with db.read() as conn:
        answer = lookup_point(db, conn, ANONYMOUS, *AN_BANG)  # not refused as outside
    assert answer.point == AN_BANG
    assert answer.zones == [] and answer.parcel is None


def test_a_point_east_of_truong_sa_is_outside_for_both(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    report = _import_point(db, settings, tmp_path / "east.geojson", *EAST_OF_TRUONG_SA)
    assert (report.inserted, report.rejected, report.flagged) == (1, 0, 1)
    [note] = [n for n in report.notes if n.kind == "flagged"]
    assert OUTSIDE_VI in note.reason
    with db.read() as conn, pytest.raises(InvalidInput) as caught:
        lookup_point(db, conn, ANONYMOUS, *EAST_OF_TRUONG_SA)
    assert OUTSIDE_VI in caught.value.vi and "outside Viet Nam" in caught.value.en
