"""Real clients against a running server: GDAL/OGR's OAPIF driver (through pyogrio), OWSLib."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import pyogrio
import pyogrio.raw
import pytest
from live import dothi_server
from owslib.ogcapi.features import Features
from prepared import dataset
from samples import ORIGIN, parcels, write_geojson

from dothi.config import Settings
from dothi.db.engine import Database
from dothi.spatial.importer import ImportOptions, import_file

N = 57  # more than GDAL's and OWSLib's page sizes, so paging is exercised


@dataset(shared=True)
def thua_layer(db: Database, settings: Settings, tmp_path: Path) -> None:
    rows = parcels(N)
    import_file(
        db,
        settings,
        write_geojson(tmp_path / "p.geojson", rows),
        ImportOptions(layer_id="thua", new_layer=True, access="public", key="ma", title_vi="Thửa"),
    )


@pytest.fixture(scope="session")
def servers() -> Iterator[tuple[dict[str, str], ExitStack]]:
    """The servers of these tests, one per backend (and xdist worker), stopped at the end
    of the session: the clients only read, so they share one whatever order tests run in."""
    with ExitStack() as stack:
        yield {}, stack


@pytest.fixture
def server(
    thua_layer: None,
    backend: str,
    env: dict[str, str],
    servers: tuple[dict[str, str], ExitStack],
) -> str:
    """``dothi serve`` in its own process: GDAL holds the GIL while it waits on the network."""
    urls, stack = servers
    if backend not in urls:
        # Two worker processes, as a production server runs: the clients page across both.
        urls[backend] = stack.enter_context(dothi_server(env, workers=2)) + "ogcapi"
    return urls[backend]


def test_gdal_oapif_lists_and_reads_every_page(server: str) -> None:
    layers = [str(name) for name, _ in pyogrio.list_layers(f"OAPIF:{server}")]
    assert layers == ["thua"]
    meta, _, geometry, fields = pyogrio.raw.read(f"OAPIF:{server}", layer="thua")
    assert len(geometry) == N
    names = list(meta["fields"])
    ids = sorted(fields[names.index("ma")])
    assert ids == [f"P{i:04d}" for i in range(N)]
    texts = set(fields[names.index("ten")])
    assert "Thửa số 3 Phường Bến Thành" in texts


def test_gdal_oapif_bbox(server: str) -> None:
    x, y = ORIGIN
    meta, _, geometry, fields = pyogrio.raw.read(
        f"OAPIF:{server}", layer="thua", bbox=(x - 0.0001, y - 0.0001, x + 0.0002, y + 0.0002)
    )
    assert len(geometry) == 1
    assert fields[list(meta["fields"]).index("ma")][0] == "P0000"


def test_owslib_collections_items_and_bbox(server: str) -> None:
    api = Features(server)
    ids = [c["id"] for c in api.collections()["collections"]]
    assert ids == ["thua"]
    assert api.collection("thua")["title"] == "Thửa"
    page = api.collection_items("thua", limit=20)
    assert page["numberMatched"] == N and len(page["features"]) == 20
    x, y = ORIGIN
    found = api.collection_items("thua", bbox=[x - 0.0001, y - 0.0001, x + 0.0012, y + 0.0002])
    assert sorted(f["id"] for f in found["features"]) == ["P0000", "P0001"]
    one = api.collection_item("thua", "P0002")
    assert one["properties"]["so_tang"] == 3


def test_owslib_filter(server: str) -> None:
    api = Features(server)
    found = api.collection_items("thua", filter="so_tang = 5 AND ma < 'P0020'")
    assert sorted(f["id"] for f in found["features"]) == ["P0004", "P0009", "P0014", "P0019"]
