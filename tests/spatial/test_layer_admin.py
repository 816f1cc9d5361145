"""Layers created only when asked, not public by default; delete, restore, purge, rename,
access — each audited — on SQLite and PostGIS."""

from __future__ import annotations

from pathlib import Path

import pytest
from samples import commune, parcels, write_geojson
from sqlalchemy import Connection, func, select

from dothi.auth.audit import audit, known_actions, list_audit
from dothi.auth.policy import operator
from dothi.config import Settings
from dothi.db.engine import Database
from dothi.db.schema import changeset, feature
from dothi.errors import Conflict, InvalidInput, NotFound
from dothi.spatial import history, layer_admin
from dothi.spatial.importer import ImportOptions, import_file
from dothi.spatial.layers import feature_counts, find_layer, get_layer, list_layers


def record(conn: Connection, action: str, layer_id: str, target: str | None) -> None:
    audit(conn, operator("cli:test"), action, layer_id=layer_id, target=target)


def load(db: Database, settings: Settings, tmp_path: Path, layer: str = "thua", n: int = 3) -> None:
    path = write_geojson(tmp_path / f"{layer}.geojson", parcels(n))
    import_file(db, settings, path, ImportOptions(layer, key="ma", new_layer=True), audit=record)


def actions(db: Database, layer_id: str) -> list[str]:
    with db.read() as conn:
        return [e.action for e in reversed(list_audit(conn, layer_id=layer_id))]


def test_the_layer_actions_are_known_to_the_audit_log() -> None:
    assert set(layer_admin.ACTIONS) <= set(known_actions())


def test_a_typo_in_the_layer_is_refused_with_the_close_name(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    load(db, settings, tmp_path, "thua_dat_q1")
    path = write_geojson(tmp_path / "more.geojson", parcels(2))
    with pytest.raises(InvalidInput) as err:
        import_file(db, settings, path, ImportOptions("thua_dat_q2", key="ma"))
    assert "Did you mean: thua_dat_q1?" in err.value.en and "--new-layer" in err.value.en
    assert "Có phải ý bạn là: thua_dat_q1?" in err.value.vi
    with pytest.raises(InvalidInput) as err:
        import_file(db, settings, path, ImportOptions("land_parcels", key="ma"))
    assert "land_parcel" in err.value.en  # core layers are suggested too
    with db.read() as conn:
        assert [ly.id for ly in list_layers(conn)] == ["thua_dat_q1"]


def test_a_new_layer_is_internal_unless_asked_and_its_creation_is_audited(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    load(db, settings, tmp_path, "thua")
    path = write_geojson(tmp_path / "pub.geojson", parcels(1))
    import_file(db, settings, path, ImportOptions("cong_khai", new_layer=True, access="public"))
    with db.read() as conn:
        assert get_layer(conn, "thua").access == "internal"
        assert get_layer(conn, "cong_khai").access == "public"
    assert actions(db, "thua") == ["layer_create"]
    # A core layer is created without the flag, with the access its definition gives.
    core = write_geojson(tmp_path / "c.geojson", [commune()])
    report = import_file(db, settings, core, ImportOptions("admin_commune"))
    assert report.created_layer
    with db.read() as conn:
        assert get_layer(conn, "admin_commune").access == "public"


def test_delete_hides_the_layer_keeps_its_history_and_restore_brings_it_back(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    load(db, settings, tmp_path, "thua", 3)
    done = layer_admin.delete_layer(db, "thua", "cli:test", audit=record)
    assert (done.removed, done.purged) == (3, False)
    with db.read() as conn:
        assert find_layer(conn, "thua") is None
        assert [ly.id for ly in list_layers(conn, deleted=True)] == ["thua"]
        assert list_layers(conn) == []
        assert feature_counts(conn) == {}
        kept = conn.execute(select(func.count()).where(feature.c.layer_id == "thua")).scalar()
        assert kept == 3  # the versions stay, closed
    path = write_geojson(tmp_path / "again.geojson", parcels(1))
    with pytest.raises(InvalidInput) as err:
        import_file(db, settings, path, ImportOptions("thua", key="ma", new_layer=True))
    assert "dothi layers restore thua" in err.value.en
    assert layer_admin.restore_layer(db, "thua", "cli:test", audit=record) == 3
    with db.read() as conn:
        assert feature_counts(conn) == {"thua": 3}
        kinds = [c.kind for c in history.layer_history(conn, "thua")]
    assert sorted(kinds) == ["import", "layer_delete", "rollback"]
    assert actions(db, "thua") == ["layer_create", "layer_delete", "layer_restore"]


def test_purge_removes_layer_and_history_and_the_id_can_be_used_again(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    load(db, settings, tmp_path, "thua", 3)
    layer_admin.delete_layer(db, "thua", "cli:test", audit=record)
    done = layer_admin.delete_layer(db, "thua", "cli:test", purge=True, audit=record)
    assert done.purged and done.changeset_id is None
    with db.read() as conn:
        assert find_layer(conn, "thua", deleted=True) is None
        left = conn.execute(select(func.count()).where(changeset.c.layer_id == "thua")).scalar()
        assert left == 0
    load(db, settings, tmp_path, "thua", 2)  # on PostGIS: its partition was dropped
    with db.read() as conn:
        assert feature_counts(conn) == {"thua": 2}
    assert actions(db, "thua") == [
        "layer_create",
        "layer_delete",
        "layer_purge",
        "layer_create",
    ]


def test_core_layers_are_not_deleted(db: Database, settings: Settings, tmp_path: Path) -> None:
    path = write_geojson(tmp_path / "c.geojson", [commune()])
    import_file(db, settings, path, ImportOptions("admin_commune"))
    with pytest.raises(Conflict) as err:
        layer_admin.delete_layer(db, "admin_commune", "cli:test", purge=True)
    assert "core layer" in err.value.en and "rollback" in err.value.en
    with pytest.raises(NotFound):
        layer_admin.delete_layer(db, "khong_co", "cli:test")


def test_rename_and_access_changes_are_audited(
    db: Database, settings: Settings, tmp_path: Path
) -> None:
    load(db, settings, tmp_path, "thua")
    renamed = layer_admin.rename_layer(db, "thua", title_vi="Thửa đất Quận 1", audit=record)
    assert (renamed.id, renamed.title_vi, renamed.title_en) == ("thua", "Thửa đất Quận 1", "thua")
    with pytest.raises(InvalidInput):
        layer_admin.rename_layer(db, "thua", title_en="  ")
    assert layer_admin.set_layer_access(db, "thua", "public", audit=record) == (
        "internal",
        "public",
    )
    layer_admin.set_layer_access(db, "thua", "public", audit=record)  # no change, no entry
    with pytest.raises(InvalidInput):
        layer_admin.set_layer_access(db, "thua", "secret")
    with db.read() as conn:
        assert get_layer(conn, "thua").access == "public"
        entries = list_audit(conn, layer_id="thua")
    assert [e.action for e in reversed(entries)] == ["layer_create", "layer_rename", "layer_access"]
    assert entries[0].target == "access:internal->public"
